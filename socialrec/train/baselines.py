"""The non-trainable baselines, as embeddings whose inner products are their scores,
so that they are evaluated, stored and served like every trained model."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from socialrec.errors import ConfigError
from socialrec.train.splits import Split


def popularity_embeddings(split: Split) -> tuple[torch.Tensor, torch.Tensor]:
    """The popularity baseline as embeddings: score(u, i) = training count of i."""
    pop = np.bincount(split.train[1], minlength=split.num_items).astype(np.float32)
    return torch.ones(split.num_users, 1), torch.from_numpy(pop).unsqueeze(1)


def baseline_embeddings(
    name: str, split: Split, gds: Any = None, neighbours: int = 50
) -> tuple[torch.Tensor, torch.Tensor]:
    """User and item embeddings of the baseline ``name`` (one of ``BASELINES``)."""
    if name == "popularity":
        return popularity_embeddings(split)
    if name == "gds_similarity":
        if gds is None:
            raise ConfigError("gds_similarity runs in Neo4j: it needs a connection with GDS")
        from socialrec.models.gds_similarity import node_similarity_embeddings

        return node_similarity_embeddings(
            gds, split.train, split.num_users, split.num_items, neighbours
        )
    raise ConfigError(f"{name!r} is not a baseline")
