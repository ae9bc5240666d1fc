"""Fakes of the :class:`~socialrec.graph.runner.QueryRunner` seam, for unit tests without a server.

``RecordingRunner`` records every query; ``answers`` (by query file name, e.g.
``"run_current"``) or ``answer`` decide what reads return; ``run_begin``
numbers runs 1, 2, ... as the server's sequence would, unless ``answers`` names it. ``LeaseServer``
plays the lock queries (``cypher/lock_*.cypher``) against an in-memory table,
so the lock's state machine runs in milliseconds. Both are checked by mypy
against the ``QueryRunner`` protocol (see the assignments at the bottom), so
they cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from socialrec.errors import DatabaseError
from socialrec.graph.runner import QueryRunner

Call = tuple[str, dict[str, Any]]
Rows = list[dict[str, Any]]
Answer = Rows | Callable[[dict[str, Any]], Rows]


def query_name(query: str) -> str:
    """``<name>`` of a query loaded from ``cypher/<name>.cypher``, else the text itself."""
    return str(getattr(query, "name", query)).removesuffix(".cypher")


@dataclass
class RecordingRunner:
    """Records every read and write.

    Args:
        answers: rows (or a function of the parameters giving rows) by query
            name, for reads and ``write_records``.
        answer: the fallback for anything ``answers`` does not name.
        counters: the counters a write of that query name reports.
        fail_on_write: the 0-based write that raises, to test what a
            half-finished job leaves behind.
    """

    answers: dict[str, Answer] = field(default_factory=dict)
    answer: Callable[[str, dict[str, Any]], Rows] = lambda q, p: []
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    fail_on_write: int | None = None
    reads: list[Call] = field(default_factory=list)
    writes: list[Call] = field(default_factory=list)
    #: Query names in the order they ran, reads and writes together.
    log: list[str] = field(default_factory=list)
    #: Writes tried, the failed one included.
    attempts: int = 0
    #: The last run number ``run_begin`` gave.
    last_run: int = 0

    def _rows(self, query: str, params: dict[str, Any]) -> Rows:
        found = self.answers.get(query_name(query))
        if found is None and query_name(query) == "run_begin":
            self.last_run += 1
            return [{"id": self.last_run}]
        if found is None:
            return self.answer(str(query), params)
        return found(params) if callable(found) else [dict(r) for r in found]

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        p = dict(params or {})
        self.reads.append((query, p))
        self.log.append(query_name(query))
        return self._rows(query, p)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        self.attempts += 1
        if self.fail_on_write is not None and self.attempts - 1 == self.fail_on_write:
            raise DatabaseError(f"injected failure at write {self.fail_on_write}")
        self.writes.append((query, dict(params or {})))
        self.log.append(query_name(query))
        return dict(self.counters.get(query_name(query), {"properties_set": 1}))

    def write_records(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        self.write(query, params)
        return self._rows(query, dict(params or {}))

    def write_autocommit(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, int]:
        return self.write(query, params)

    def names(self, kind: str = "writes") -> list[str]:
        """The query names of ``writes`` or ``reads``, in order."""
        return [query_name(q) for q, _ in getattr(self, kind)]


@dataclass
class LeaseServer(RecordingRunner):
    """The lock queries against an in-memory table with a settable server clock.

    ``now_ms`` is the server's ``timestamp()``; tests move it to expire leases.
    ``unreachable`` makes every query raise a transient ``DatabaseError``.
    """

    now_ms: int = 1_000_000
    locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    constraint: bool = False
    unreachable: bool = False

    def _check(self) -> None:
        if self.unreachable:
            raise DatabaseError("cannot reach Neo4j (fake)", transient=True)

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        self._check()
        rows = super().read(query, params)
        if "SHOW CONSTRAINTS" in str(query):
            return [{"name": "socialrec_lock_name"}] if self.constraint else []
        return rows

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        self._check()
        counters = super().write(query, params)
        if query_name(query) == "lock_schema":
            self.constraint = True
        return counters

    def write_records(self, query: str, params: Mapping[str, Any] | None = None) -> Rows:
        self._check()
        p = dict(params or {})
        if query_name(query) != "lock_acquire":
            return super().write_records(query, p)
        super().write(query, p)
        lock = self.locks.setdefault(p["name"], {"owner": None, "expires_at": None})
        free = lock["owner"] is None or lock["expires_at"] < self.now_ms
        takes = not p.get("renew") and (free or lock["owner"] == p["stale"])
        if takes or lock["owner"] == p["owner"]:
            lock.update(owner=p["owner"], expires_at=self.now_ms + p["ttl_ms"])
        return [{"owner": lock["owner"], "expires_at": lock["expires_at"]}]

    def write_autocommit(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, int]:
        self._check()
        p = dict(params or {})
        counters = super().write(query, p)
        lock = self.locks.get(p.get("name", ""))
        if query_name(query) == "lock_release" and lock and lock["owner"] == p["owner"]:
            lock.update(owner=None, expires_at=None)
        return counters


# mypy checks that both fakes still satisfy the protocol the code depends on.
_recording: QueryRunner = RecordingRunner()
_lease: QueryRunner = LeaseServer()
