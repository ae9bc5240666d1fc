"""Negatives for BPR (socialrec/train/negatives.py)."""

import numpy as np
import torch

from socialrec.train.negatives import NegativeSampler


def test_negatives_are_never_positives() -> None:
    rng = np.random.default_rng(0)
    train_edges = np.stack([rng.integers(0, 50, 500), rng.integers(0, 30, 500)])
    sampler = NegativeSampler(train_edges, 30, rng)
    users = rng.integers(0, 50, 5000)
    neg = sampler.sample(users)
    positives = set(zip(train_edges[0].tolist(), train_edges[1].tolist(), strict=True))
    assert not any((u, j) in positives for u, j in zip(users.tolist(), neg.tolist(), strict=True))


def test_hardest_negative_is_the_highest_scored_candidate() -> None:
    from socialrec.train.negatives import hardest_negatives

    user_emb = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    item_emb = torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 5.0]])
    candidates = torch.tensor([[0, 1, 2], [0, 2, 3], [1, 2, 3]])
    users = torch.tensor([0, 1, 0])
    # user 0 scores items by x (3, 0, 1, -1); user 1 by y (0, 2, 1, 5).
    assert hardest_negatives(user_emb, item_emb, users, candidates).tolist() == [0, 3, 2]
