"""Retrying jobs on transient database errors, with exponential backoff.

The driver already retries a transaction that fails transiently for up to
``max_retry_time`` (30 s). A Neo4j restart or a long network cut outlasts
that; a job then fails with a transient :class:`~socialrec.errors.DatabaseError`,
and :func:`retry_transient` runs the whole job again after a pause (a new job
starts by cleaning up the run the failed one left). Anything else — a syntax
error, a constraint violation, bad data — fails at once: retrying it would only
fail again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from socialrec.errors import DatabaseError

T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from, is a transient database error."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, DatabaseError) and seen.transient:
            return True
        seen = seen.__cause__
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Args:
        attempts (int): tries in all, the first included. (default: ``5``)
        backoff (float): seconds before the second try; doubled each time.
            (default: ``5.0``)
        max_backoff (float): longest pause. (default: ``300.0``)
    """

    attempts: int = 5
    backoff: float = 5.0
    max_backoff: float = 300.0

    def delays(self) -> list[float]:
        return [min(self.backoff * 2**n, self.max_backoff) for n in range(self.attempts - 1)]


def retry_transient(
    job: Callable[[], T],
    policy: RetryPolicy,
    stop: threading.Event | None = None,
    log: Callable[[str], None] | None = None,
) -> T:
    """Run ``job``; on a transient error wait and run it again, up to ``policy.attempts``."""
    stop = stop or threading.Event()
    delays = policy.delays()
    for attempt in range(policy.attempts):
        try:
            return job()
        except Exception as e:
            if not is_transient(e) or attempt == len(delays) or stop.is_set():
                raise
            if log:
                log(f"transient failure ({e}); retrying in {delays[attempt]:.0f} s")
            if stop.wait(delays[attempt]):
                raise
    raise AssertionError("unreachable")  # pragma: no cover
