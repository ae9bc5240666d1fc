import numpy as np
import pytest

from socialrec.errors import SocialrecError
from socialrec.train.splits import split
from tests.helpers import snapshot_from_arrays, synthetic_snapshot


def as_set(edges: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(edges[0].tolist(), edges[1].tolist(), strict=True))


def test_random_split_partitions_each_user_by_ratio() -> None:
    snap = synthetic_snapshot()
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=1)
    parts = [as_set(sp.train), as_set(sp.valid), as_set(sp.test)]
    all_edges = as_set(snap.data["user", "interacts", "item"].edge_index.numpy())
    assert parts[0] | parts[1] | parts[2] == all_edges
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    counts = np.bincount(sp.train[0], minlength=sp.num_users)
    total = np.bincount(snap.data["user", "interacts", "item"].edge_index[0].numpy())
    assert (counts >= 1).all()  # every user keeps a training interaction
    for u in np.flatnonzero(total >= 10)[:50]:
        assert abs((sp.test[0] == u).sum() - 0.2 * total[u]) <= 0.5 + 1e-9
    assert as_set(split(snap, "random", (0.7, 0.1, 0.2), seed=1).test) == parts[2]
    assert as_set(split(snap, "random", (0.7, 0.1, 0.2), seed=2).test) != parts[2]


def test_temporal_split_holds_out_the_newest() -> None:
    inter = np.array([[0, 0, 0, 0, 0, 1, 1], [0, 1, 2, 3, 4, 0, 1]])
    times = np.array([50, 10, 40, 20, 30, 5, 6])
    snap = snapshot_from_arrays(2, 5, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), times)
    sp = split(snap, "temporal", (0.6, 0.2, 0.2))
    # User 0 (5 interactions): newest (t=50) to test, next (t=40) to validation.
    # User 1 (2 interactions): 20 % of 2 rounds to 0, so both stay in training.
    assert as_set(sp.test) == {(0, 0)}
    assert as_set(sp.valid) == {(0, 2)}
    assert {(1, 0), (1, 1)} <= as_set(sp.train)
    with pytest.raises(SocialrecError, match="timestamps"):
        split(
            snapshot_from_arrays(2, 5, 1, inter, np.empty((2, 0), int), np.array([[0], [0]])),
            "temporal",
        )


def test_leave_one_out() -> None:
    inter = np.array([[0, 0, 0, 1, 1], [0, 1, 2, 0, 1]])
    times = np.array([1, 3, 2, 1, 2])
    snap = snapshot_from_arrays(2, 3, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), times)
    sp = split(snap, "loo")
    assert as_set(sp.test) == {(0, 1)} and as_set(sp.valid) == {(0, 2)}
    assert as_set(sp.train) == {(0, 0), (1, 0), (1, 1)}  # user 1 has too few to hold out


def test_bad_ratios_and_kind() -> None:
    snap = synthetic_snapshot(100, 50)
    with pytest.raises(SocialrecError, match="sum to 1"):
        split(snap, "random", (0.5, 0.1, 0.1))
    with pytest.raises(SocialrecError, match="unknown split"):
        split(snap, "weird")
