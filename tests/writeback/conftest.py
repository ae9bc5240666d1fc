"""A planted graph for writeback tests, and a scorer over it.

Two taste communities: users 0-9 and items 0-9 are "A", users 10-19 and items
10-19 are "B". Each user interacted with 3 items of their community and is
friends with the next user of the same community. Embeddings are planted to
match (A along the first axis, B along the second), so the right answers of
every query are known without training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from socialrec.export import Exporter, GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.writer import GraphWriter
from socialrec.score import Scorer
from tests.helpers import checkpoint_for

N_USERS, N_ITEMS = 20, 20


def community(node: int) -> int:
    return 0 if node < 10 else 1


@dataclass
class Planted:
    snapshot: GraphSnapshot
    scorer: Scorer


def planted_embeddings(snapshot: GraphSnapshot, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def embed(ids: np.ndarray) -> torch.Tensor:
        base = torch.zeros(len(ids), 4)
        for r, node in enumerate(ids.tolist()):
            base[r, community(int(node))] = 1.0
        return base + 0.1 * torch.rand(len(ids), 4, generator=g)

    return embed(snapshot.ids["user"]), embed(snapshot.ids["item"])


def load_planted(db: Neo4jRunner) -> None:
    writer = GraphWriter(db)
    writer.apply_schema()
    rng = np.random.default_rng(0)
    users, items, weights = [], [], []
    for u in range(N_USERS):
        base = 0 if community(u) == 0 else 10
        for i in rng.choice(10, 3, replace=False):
            users.append(u)
            items.append(base + int(i))
            weights.append(float(rng.integers(1, 100)))
    writer.interactions(users, items, weights, None)
    a = [u for u in range(N_USERS) if u not in (9, 19)]
    writer.friendships(a, [u + 1 for u in a])
    writer.item_attributes(list(range(N_ITEMS)), [f"genre-{community(i)}" for i in range(N_ITEMS)])


@pytest.fixture
def planted(db: Neo4jRunner) -> Planted:
    load_planted(db)
    snapshot = Exporter(db).full()
    user_emb, item_emb = planted_embeddings(snapshot)
    scorer = Scorer.from_checkpoint(checkpoint_for(snapshot, user_emb, item_emb), snapshot)
    return Planted(snapshot, scorer)
