"""A fake QueryRunner that records queries, for unit tests without a server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Call = tuple[str, dict[str, Any]]


@dataclass
class RecordingRunner:
    """Records every read and write; ``answer`` decides what reads return.

    ``fail_on_write`` makes the write with that 0-based index raise, to test
    what a half-finished job leaves behind.
    """

    answer: Callable[[str, dict[str, Any]], list[dict[str, Any]]] = lambda q, p: []
    fail_on_write: int | None = None
    reads: list[Call] = field(default_factory=list)
    writes: list[Call] = field(default_factory=list)

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.reads.append((str(query), dict(params or {})))
        return self.answer(str(query), dict(params or {}))

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        if self.fail_on_write is not None and len(self.writes) == self.fail_on_write:
            raise RuntimeError("injected failure")
        self.writes.append((str(query), dict(params or {})))
        return {"properties_set": 1}

    def write_records(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self.write(query, params)
        return self.answer(str(query), dict(params or {}))

    def write_autocommit(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, int]:
        return self.write(query, params)
