"""Writeback: recommendations and embeddings into Neo4j, atomically and versioned."""

from socialrec.writeback.candidates import candidate_mask, popular_items
from socialrec.writeback.lock import LockError, WriterLock
from socialrec.writeback.runs import RunStore, WritebackError
from socialrec.writeback.writer import (
    RunPlan,
    Writeback,
    WritebackConfig,
    WritebackReport,
    write_checkpoint,
)

__all__ = [
    "LockError",
    "RunPlan",
    "RunStore",
    "Writeback",
    "WritebackConfig",
    "WritebackError",
    "WritebackReport",
    "WriterLock",
    "candidate_mask",
    "popular_items",
    "write_checkpoint",
]
