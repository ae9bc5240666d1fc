"""Connection settings: command-line options, environment, config file, local server.

Precedence, first wins: an explicit option, the environment (``NEO4J_URI``,
``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``), the ``[neo4j]`` table of
the config file (``--config``, ``$SOCIALREC_CONFIG`` or ``./socialrec.toml``),
and last the credentials of the local server that ``socialrec neo4j start``
provisioned. The password is kept out of ``repr`` and never printed or logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socialrec.errors import ConfigError

DEFAULT_CONFIG_FILE = "socialrec.toml"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach Neo4j.

    Args:
        uri (str): Bolt URI, e.g. ``bolt://127.0.0.1:7687`` or ``neo4j+s://...``.
        user (str): user name. (default: ``"neo4j"``)
        password (str): password; hidden from ``repr``. (default: ``""``)
        database (str): database name. (default: ``"neo4j"``)
    """

    uri: str
    user: str = "neo4j"
    password: str = field(default="", repr=False)
    database: str = "neo4j"

    def describe(self) -> str:
        """Safe to print: no password."""
        return f"{self.uri} (user {self.user}, database {self.database})"

    @classmethod
    def from_env(cls, prefix: str = "NEO4J_") -> ConnectionSettings | None:
        """``<prefix>URI`` / ``USER`` / ``PASSWORD`` / ``DATABASE`` from the
        environment, or ``None`` when ``<prefix>URI`` is unset or empty.

        The tests read ``SOCIALREC_TEST_NEO4J_*`` and the benchmarks ``NEO4J_*``
        through this one function.
        """
        uri = os.environ.get(f"{prefix}URI")
        if not uri:
            return None
        return cls(
            uri=uri,
            user=os.environ.get(f"{prefix}USER") or "neo4j",
            password=os.environ.get(f"{prefix}PASSWORD", ""),
            database=os.environ.get(f"{prefix}DATABASE") or "neo4j",
        )


def read_config_file(path: str | Path | None) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when none is named and none is found."""
    explicit = path or os.environ.get("SOCIALREC_CONFIG")
    candidate = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    if not candidate.exists():
        if explicit:
            raise ConfigError(f"{candidate}: config file not found")
        return {}
    try:
        return tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{candidate}: cannot read config file: {e}") from e


def resolve_connection(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    config: dict[str, Any] | None = None,
    local_credentials: dict[str, str] | None = None,
) -> ConnectionSettings:
    """Combine the sources in precedence order (see the module docstring).

    ``uri`` etc. are option values; click fills them from the environment, so by
    the time they get here "option" and "environment" are one source.
    """
    table = (config or {}).get("neo4j", {})
    if not isinstance(table, dict):
        raise ConfigError("config file: [neo4j] must be a table")
    local = local_credentials or {}
    resolved_uri = uri or table.get("uri") or local.get("uri")
    if not resolved_uri:
        raise ConfigError(
            "no Neo4j to talk to: set NEO4J_URI (or --uri, or [neo4j] uri in socialrec.toml), "
            "or start the local server with `socialrec neo4j start`"
        )
    # Credentials come from the same place as the URI: a config-file server uses
    # the config file's password, the local server its own stored one.
    source = table if (uri or table.get("uri")) else local
    if password is None:
        password = source.get("password")
    if password is None and source.get("password_env"):
        password = os.environ.get(source["password_env"])
    return ConnectionSettings(
        uri=resolved_uri,
        user=user or source.get("user") or "neo4j",
        password=password or "",
        database=database or table.get("database") or "neo4j",
    )
