"""Negatives for BPR: uniform ones outside each user's training items, and the
hardest of several candidates (dynamic negative sampling)."""

from __future__ import annotations

import numpy as np
import torch

from socialrec.pairs import lookup_sorted, pair_keys, sorted_unique


class NegativeSampler:
    """Uniform negatives outside each user's training positives (rejection sampling).

    Clashes are re-drawn up to 50 times; only a user who has nearly every item
    could keep a positive as its negative (its loss term is then constant).
    """

    def __init__(self, train: np.ndarray, num_items: int, rng: np.random.Generator) -> None:
        self.num_items = num_items
        self.rng = rng
        self.keys = sorted_unique(pair_keys(train[0], train[1], num_items))

    def sample(self, users: np.ndarray) -> np.ndarray:
        neg = self.rng.integers(0, self.num_items, len(users))
        todo = np.arange(len(users))
        for _ in range(50):
            _, clash = lookup_sorted(self.keys, pair_keys(users[todo], neg[todo], self.num_items))
            todo = todo[clash]
            if len(todo) == 0:
                break
            neg[todo] = self.rng.integers(0, self.num_items, len(todo))
        return neg


def hardest_negatives(
    user_emb: torch.Tensor, item_emb: torch.Tensor, users: torch.Tensor, candidates: torch.Tensor
) -> torch.Tensor:
    """For each row of ``candidates`` (``[B, M]`` items), the one that ``users``
    currently score highest (no gradient flows through the choice)."""
    with torch.no_grad():
        scores = (user_emb[users].unsqueeze(1) * item_emb[candidates]).sum(-1)
        return candidates.gather(1, scores.argmax(1, keepdim=True)).squeeze(1)
