"""The exception types socialrec raises.

Everything derives from :class:`SocialrecError`, so callers can catch one type.
Errors from the database are wrapped (``raise ... from e``), never turned into
status flags.
"""

from __future__ import annotations

from pathlib import Path


class SocialrecError(Exception):
    """Root of every error socialrec raises on purpose."""


class ConfigError(SocialrecError):
    """A setting is missing or invalid (options, environment, config file)."""


class MappingError(SocialrecError):
    """The graph mapping is invalid, or does not match the database."""


class InputFormatError(SocialrecError):
    """A data file has a malformed line. The message starts with ``file:line:``."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{self.path}:{line}: {problem}")


class ServerError(SocialrecError):
    """The local Neo4j server could not be provisioned, started or stopped."""


class DatabaseError(SocialrecError):
    """A query failed in Neo4j. The driver's exception is the ``__cause__``.

    ``transient`` is true for failures that may go away by themselves (the
    server restarting or unreachable, a leader switch, a lock timeout): the
    driver already retried those for a while; jobs retry them again with
    backoff, and fail on anything else.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
