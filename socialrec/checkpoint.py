"""``Checkpoint``: a trained model, the one file type every stage reads and writes.

A checkpoint holds what serving needs without the graph (final embeddings and
the Neo4j ids they belong to) and what a rerun needs (weights, the training
config, metrics), plus the mapping and schema hash of the snapshot it was
trained on. Saved with :mod:`socialrec.fileformat` (kind, version, digest).
Training writes it (:func:`socialrec.train.experiment.checkpoint_of`), scoring,
writeback, the sync and :class:`~socialrec.Recommender` read it; nothing else
opens a checkpoint file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor

from socialrec.fileformat import FileFormatError, load_payload, peek_payload, save_payload
from socialrec.ids import canonical_ids, ids_from_plain, ids_to_plain

KIND = "socialrec-checkpoint"
FORMAT_VERSION = 2


class CheckpointError(FileFormatError):
    """A checkpoint is missing, foreign, truncated, or does not fit the snapshot."""


@dataclass
class Checkpoint:
    """A trained model's embeddings, ids and provenance.

    Args:
        model (str): model name (``social``, ``lightgcn``...).
        user_embedding (Tensor): ``[num_users, d]`` in the order of ``ids["user"]``.
        item_embedding (Tensor): ``[num_items, d]`` in the order of ``ids["item"]``.
        ids (dict): node type -> canonical id array (:mod:`socialrec.ids`).
        mapping (dict): the snapshot's mapping, in file layout.
        schema_hash (str): the snapshot's schema hash.
        config (dict): the training config. (default: ``{}``)
        state_dict (dict): model weights. (default: ``{}``)
        metrics (dict): validation / test figures. (default: ``{}``)
        trained_at (float): epoch seconds. (default: now)
    """

    model: str
    user_embedding: Tensor
    item_embedding: Tensor
    ids: dict[str, np.ndarray]
    mapping: dict[str, Any]
    schema_hash: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    state_dict: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.ids = {nt: canonical_ids(v) for nt, v in self.ids.items()}
        for nt, emb in (("user", self.user_embedding), ("item", self.item_embedding)):
            if nt in self.ids and len(self.ids[nt]) != emb.shape[0]:
                raise CheckpointError(
                    f"checkpoint of {self.model!r}: {emb.shape[0]} {nt} embeddings "
                    f"for {len(self.ids[nt])} {nt} ids"
                )

    @property
    def test_metrics(self) -> dict[str, float]:
        return dict(self.metrics.get("test", {}))

    def save(self, path: str | Path) -> Path:
        """Write the checkpoint (atomic; loadable with ``weights_only=True``)."""
        return save_payload(
            path,
            KIND,
            FORMAT_VERSION,
            {
                "model": self.model,
                "config": json.dumps(self.config),
                "state_dict": dict(self.state_dict),
                "user_embedding": self.user_embedding.detach().cpu(),
                "item_embedding": self.item_embedding.detach().cpu(),
                "ids": {nt: ids_to_plain(v) for nt, v in self.ids.items()},
                "mapping": self.mapping,
                "schema_hash": self.schema_hash,
                "metrics": json.dumps(self.metrics),
                "trained_at": float(self.trained_at),
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        """Read a checkpoint; named errors for a missing, foreign or damaged file."""
        try:
            p = load_payload(path, KIND, FORMAT_VERSION)
            return cls(
                model=p["model"],
                user_embedding=p["user_embedding"],
                item_embedding=p["item_embedding"],
                ids={nt: ids_from_plain(v) for nt, v in p["ids"].items()},
                mapping=p["mapping"],
                schema_hash=p["schema_hash"],
                config=json.loads(p["config"]),
                state_dict=p["state_dict"],
                metrics=json.loads(p["metrics"]),
                trained_at=p["trained_at"],
            )
        except CheckpointError:
            raise
        except FileFormatError as e:
            raise CheckpointError(str(e)) from e
        except (KeyError, TypeError, json.JSONDecodeError) as e:
            raise CheckpointError(f"{path}: not a complete socialrec checkpoint ({e!r})") from e

    @staticmethod
    def peek(path: str | Path) -> dict[str, Any]:
        """Small fields (model, trained_at, schema_hash, mapping) without loading embeddings."""
        try:
            p = peek_payload(path, KIND)
        except FileFormatError as e:
            raise CheckpointError(str(e)) from e
        return {k: p.get(k) for k in ("model", "trained_at", "schema_hash", "mapping")}
