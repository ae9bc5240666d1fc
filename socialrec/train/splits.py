"""Train / validation / test splits of the user-item interactions.

Interactions are binarised (one edge per user-item pair, as exported). Every
split is per user: each user's interactions are ordered (randomly, by time, or
with the last one held out) and cut by ratio, so every user with enough
interactions is represented in each part. Model selection uses the validation
part only; the test part is touched once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialrec.errors import SocialrecError
from socialrec.export.snapshot import INTERACTS, GraphSnapshot

#: Per-user ratios used by the papers we compare with (LastFM: 80/20 train/test);
#: the validation part is carved out of the 80 % training part.
PAPER_RATIOS = (0.7, 0.1, 0.2)


@dataclass(frozen=True)
class Split:
    """``[2, E]`` arrays of (user, item) for each part."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    num_users: int
    num_items: int
    kind: str
    seed: int

    def describe(self) -> str:
        return (
            f"{self.kind} split (seed {self.seed}): train {self.train.shape[1]:,}, "
            f"valid {self.valid.shape[1]:,}, test {self.test.shape[1]:,}"
        )


def interactions(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray]:
    """The snapshot's interactions (``[2, E]``) and their times (``-1`` if unknown)."""
    store = snapshot.data[INTERACTS]
    return store.edge_index.numpy(), store.edge_time.numpy()


def _cut(
    users: np.ndarray, order_key: np.ndarray, n_valid: np.ndarray, n_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (train, valid, test): per user, the last ``n_test`` edges in key order
    are test, the ``n_valid`` before them validation, the rest training."""
    order = np.lexsort((order_key, users))
    counts = np.bincount(users)
    start = np.cumsum(counts) - counts
    u_sorted = users[order]
    rank_from_end = (start[u_sorted] + counts[u_sorted] - 1) - np.arange(len(users))
    part = np.zeros(len(users), dtype=np.int8)  # 0 train, 1 valid, 2 test
    per_edge_test = n_test[u_sorted]
    per_edge_valid = n_valid[u_sorted]
    part[rank_from_end < per_edge_test + per_edge_valid] = 1
    part[rank_from_end < per_edge_test] = 2
    out = np.empty_like(part)
    out[order] = part
    return out == 0, out == 1, out == 2


def split(
    snapshot: GraphSnapshot,
    kind: str = "random",
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> Split:
    """Split per user.

    Args:
        kind (str): ``"random"`` (shuffled), ``"temporal"`` (oldest to train,
            newest to test; needs timestamps) or ``"loo"`` (leave-one-out: the
            newest, or a random one without timestamps, to test and the one
            before to validation, for users with at least 3). (default: ``"random"``)
        ratios (tuple): train, validation, test shares for random and temporal.
            (default: ``(0.8, 0.1, 0.1)``; :data:`PAPER_RATIOS` for paper tables)
        seed (int): shuffling seed. (default: ``0``)
    """
    edges, times = interactions(snapshot)
    users = edges[0]
    n_users = snapshot.data["user"].num_nodes
    rng = np.random.default_rng(seed)
    counts = np.bincount(users, minlength=n_users)
    if kind in ("random", "temporal"):
        if abs(sum(ratios) - 1.0) > 1e-6 or min(ratios) < 0:
            raise SocialrecError(f"split ratios {ratios} must be >= 0 and sum to 1")
        n_test = np.floor(counts * ratios[2] + 0.5).astype(np.int64)
        n_valid = np.floor(counts * ratios[1] + 0.5).astype(np.int64)
        # At least one interaction of every user stays in training.
        n_test = np.minimum(n_test, np.maximum(counts - 1, 0))
        n_valid = np.minimum(n_valid, np.maximum(counts - 1 - n_test, 0))
    elif kind == "loo":
        n_test = (counts >= 3).astype(np.int64)
        n_valid = (counts >= 3).astype(np.int64)
    else:
        raise SocialrecError(f"unknown split {kind!r}: use random, temporal or loo")
    noise = rng.random(len(users))
    if kind == "random":
        key = noise
    else:
        if kind == "temporal" and (times < 0).all():
            raise SocialrecError("a temporal split needs interaction timestamps; none are set")
        key = times.astype(np.float64) + noise * 0.5  # random among equal times
    train, valid, test = _cut(users, key, n_valid, n_test)
    return Split(
        edges[:, train],
        edges[:, valid],
        edges[:, test],
        n_users,
        snapshot.data["item"].num_nodes,
        kind,
        seed,
    )
