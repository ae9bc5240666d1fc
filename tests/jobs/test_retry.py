"""Retry on transient database errors only, with growing pauses."""

from __future__ import annotations

import threading

import pytest

from socialrec.errors import DatabaseError, SocialrecError
from socialrec.jobs.retry import RetryPolicy, is_transient, retry_transient
from socialrec.writeback import WritebackError


def flaky(failures: list[BaseException]):  # type: ignore[no-untyped-def]
    calls = []

    def job() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    return job, calls


def test_transient_errors_are_retried_until_success() -> None:
    outage = DatabaseError("cannot reach Neo4j", transient=True)
    wrapped = WritebackError("run failed")
    wrapped.__cause__ = DatabaseError("leader switch", transient=True)
    job, calls = flaky([outage, wrapped])
    log: list[str] = []
    assert retry_transient(job, RetryPolicy(attempts=3, backoff=0.01), log=log.append) == "done"
    assert len(calls) == 3 and len(log) == 2 and "retrying" in log[0]


def test_permanent_errors_fail_at_once() -> None:
    job, calls = flaky([DatabaseError("syntax error", transient=False)])
    with pytest.raises(DatabaseError, match="syntax"):
        retry_transient(job, RetryPolicy(attempts=5, backoff=0.01))
    assert len(calls) == 1


def test_gives_up_after_the_last_attempt_and_on_stop() -> None:
    job, calls = flaky([DatabaseError("down", transient=True)] * 5)
    with pytest.raises(DatabaseError):
        retry_transient(job, RetryPolicy(attempts=3, backoff=0.01))
    assert len(calls) == 3
    stop = threading.Event()
    stop.set()
    job, calls = flaky([DatabaseError("down", transient=True)] * 5)
    with pytest.raises(DatabaseError):
        retry_transient(job, RetryPolicy(attempts=3, backoff=10), stop=stop)
    assert len(calls) == 1


def test_backoff_doubles_up_to_the_cap() -> None:
    assert RetryPolicy(attempts=5, backoff=2, max_backoff=10).delays() == [2, 4, 8, 10]
    assert not is_transient(SocialrecError("x"))
