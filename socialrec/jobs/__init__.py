"""Jobs: ``sync`` (export -> train or reuse -> score -> writeback) and its scheduler."""

from socialrec.jobs.retry import RetryPolicy, is_transient, retry_transient
from socialrec.jobs.sync import RetrainPolicy, Sync, SyncConfig, SyncStopped, SyncSummary

__all__ = [
    "RetrainPolicy",
    "RetryPolicy",
    "Sync",
    "SyncConfig",
    "SyncStopped",
    "SyncSummary",
    "is_transient",
    "retry_transient",
]
