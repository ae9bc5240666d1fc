"""Train / validation / test splits of the user-item interactions.

Interactions are binarised (one edge per user-item pair, as exported). Four
kinds of split:

* ``random``: each user's interactions shuffled and cut by ratio;
* ``temporal``: each user's oldest to training, newest to test, by ratio;
* ``loo`` (leave-last-out): each user's newest interaction is the test, the one
  before it validation (users with at least 3);
* ``time_cut``: one global cut in time for everyone: training before
  :math:`T_v`, validation in :math:`[T_v, T_t)`, test from :math:`T_t` on, the
  times chosen so that the parts hold the ratios' shares of all interactions.
  This is how a deployed model meets the future: nothing from after the cut,
  from any user, is seen in training.

The per-user kinds represent every user with enough interactions in each part.
Model selection uses the validation part only; the test part is touched once,
at the end. The training interactions' times and weights travel with the
split (``train_time``, ``train_weight``), for the time-aware models and for
confidence weighting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from socialrec.errors import SocialrecError
from socialrec.export.snapshot import INTERACTS, GraphSnapshot
from socialrec.train.config import SPLIT_KINDS as KINDS

#: Per-user ratios used by the papers we compare with (LastFM: 80/20 train/test);
#: the validation part is carved out of the 80 % training part.
PAPER_RATIOS = (0.7, 0.1, 0.2)


@dataclass(frozen=True)
class Split:
    """``[2, E]`` arrays of (user, item) for each part.

    ``train_time`` and ``valid_time`` are the parts' interaction times (Unix
    seconds, ``-1`` where unknown; ``None``: not recorded), ``train_weight``
    and ``valid_weight`` their weights (play counts, ratings: the mapping's
    weight property, ``NaN`` where unknown). ``cut_times`` are a ``time_cut``
    split's :math:`(T_v, T_t)`.
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    num_users: int
    num_items: int
    kind: str
    seed: int
    train_time: np.ndarray | None = None
    valid_time: np.ndarray | None = None
    cut_times: tuple[int, int] | None = None
    train_weight: np.ndarray | None = None
    valid_weight: np.ndarray | None = None

    def describe(self) -> str:
        text = (
            f"{self.kind} split (seed {self.seed}): train {self.train.shape[1]:,}, "
            f"valid {self.valid.shape[1]:,}, test {self.test.shape[1]:,}"
        )
        if self.cut_times is not None:
            text += f", cut at {_day(self.cut_times[0])} and {_day(self.cut_times[1])}"
        return text

    def with_validation_in_training(self) -> Split:
        """Training + validation as the training part, nothing to validate on (a refit)."""
        times = weights = None
        if self.train_time is not None and self.valid_time is not None:
            times = np.concatenate([self.train_time, self.valid_time])
        if self.train_weight is not None and self.valid_weight is not None:
            weights = np.concatenate([self.train_weight, self.valid_weight])
        return replace(
            self,
            train=np.concatenate([self.train, self.valid], axis=1),
            valid=np.empty((2, 0), dtype=self.train.dtype),
            train_time=times,
            valid_time=np.empty(0, dtype=np.int64) if times is not None else None,
            train_weight=weights,
            valid_weight=np.empty(0, dtype=weights.dtype) if weights is not None else None,
        )


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d")


def interactions(snapshot: GraphSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The snapshot's interactions (``[2, E]``), their times (``-1`` if unknown)
    and their weights (``NaN`` if unknown; ``None``: the snapshot has none)."""
    store = snapshot.data[INTERACTS]
    weights = store.edge_weight.numpy() if "edge_weight" in store else None
    return store.edge_index.numpy(), store.edge_time.numpy(), weights


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
    """Split the snapshot's interactions.

    Args:
        kind (str): ``"random"``, ``"temporal"``, ``"loo"`` or ``"time_cut"`` (see
            the module's docstring). ``loo`` without timestamps holds out a random
            interaction; the others that order by time need timestamps.
            (default: ``"random"``)
        ratios (tuple): train, validation, test shares (per user for random and
            temporal, of all interactions for time_cut). (default:
            ``(0.8, 0.1, 0.1)``; :data:`PAPER_RATIOS` for paper tables)
        seed (int): shuffling seed (and tie-breaking among equal times).
            (default: ``0``)
    """
    if kind not in KINDS:
        raise SocialrecError(f"unknown split {kind!r}: use {', '.join(KINDS)}")
    edges, times, weights = interactions(snapshot)
    users = edges[0]
    n_users = snapshot.data["user"].num_nodes
    rng = np.random.default_rng(seed)
    counts = np.bincount(users, minlength=n_users)
    if kind != "loo" and (abs(sum(ratios) - 1.0) > 1e-6 or min(ratios) < 0):
        raise SocialrecError(f"split ratios {ratios} must be >= 0 and sum to 1")
    if kind in ("temporal", "time_cut") and (times < 0).all():
        raise SocialrecError(
            f"a {kind} split needs interaction timestamps; none are set "
            "(map the interaction's time property, or use --split random)"
        )
    noise = rng.random(len(users))
    cut_times = None
    if kind == "time_cut":
        train, valid, test, cut_times = _time_cut(times, ratios)
    else:
        if kind == "loo":
            n_test = (counts >= 3).astype(np.int64)
            n_valid = (counts >= 3).astype(np.int64)
        else:
            n_test = np.floor(counts * ratios[2] + 0.5).astype(np.int64)
            n_valid = np.floor(counts * ratios[1] + 0.5).astype(np.int64)
            # At least one interaction of every user stays in training.
            n_test = np.minimum(n_test, np.maximum(counts - 1, 0))
            n_valid = np.minimum(n_valid, np.maximum(counts - 1 - n_test, 0))
        # random among equal times (and everywhere for a random split)
        key = noise if kind == "random" else times.astype(np.float64) + noise * 0.5
        train, valid, test = _cut(users, key, n_valid, n_test)
    return Split(
        edges[:, train],
        edges[:, valid],
        edges[:, test],
        n_users,
        snapshot.data["item"].num_nodes,
        kind,
        seed,
        train_time=times[train],
        valid_time=times[valid],
        cut_times=cut_times,
        train_weight=None if weights is None else weights[train],
        valid_weight=None if weights is None else weights[valid],
    )


def _time_cut(
    times: np.ndarray, ratios: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Masks (train, valid, test) of one global cut in time, and the cut times.

    The cut times are quantiles of the interaction times; every interaction at
    or after a cut falls after it, so a part never holds an interaction older
    than one of the part before. Interactions without a time stay in training.
    """
    known = times >= 0
    t = np.sort(times[known])
    t_valid = int(t[min(len(t) - 1, int(len(t) * ratios[0]))])
    t_test = int(t[min(len(t) - 1, int(len(t) * (ratios[0] + ratios[1])))])
    train = ~known | (times < t_valid)
    test = known & (times >= t_test) & (ratios[2] > 0)
    valid = ~train & ~test
    return train, valid, test, (t_valid, t_test)
