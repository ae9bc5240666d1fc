"""Writeback: recommendations and embeddings into Neo4j, atomically and versioned.

Members are imported on first use, so that ``socialrec.writeback.config`` (the
options of the command line) loads without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from socialrec.writeback.candidates import candidate_mask, popular_items
    from socialrec.writeback.config import WritebackConfig
    from socialrec.writeback.lock import LockError, WriterLock
    from socialrec.writeback.plan import RunPlan
    from socialrec.writeback.runs import RunStore, WritebackError
    from socialrec.writeback.shards import Shards
    from socialrec.writeback.writer import Writeback, WritebackReport

_WHERE = {
    "candidate_mask": "candidates",
    "popular_items": "candidates",
    "WritebackConfig": "config",
    "LockError": "lock",
    "WriterLock": "lock",
    "RunStore": "runs",
    "WritebackError": "runs",
    "Shards": "shards",
    "RunPlan": "plan",
    "Writeback": "writer",
    "WritebackReport": "writer",
}

__all__ = [
    "LockError",
    "RunPlan",
    "RunStore",
    "Shards",
    "Writeback",
    "WritebackConfig",
    "WritebackError",
    "WritebackReport",
    "WriterLock",
    "candidate_mask",
    "popular_items",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'socialrec.writeback' has no attribute {name!r}")
    return getattr(importlib.import_module(f"socialrec.writeback.{_WHERE[name]}"), name)
