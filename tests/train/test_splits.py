import numpy as np
import pytest
import torch

from socialrec.errors import SocialrecError
from socialrec.export.snapshot import GraphSnapshot
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


def _timed_snapshot(users: int = 300, items: int = 200) -> GraphSnapshot:
    return synthetic_snapshot(users, items, seed=3, drift=0.5)


def test_time_cut_puts_every_later_interaction_after_the_cut() -> None:
    snap = _timed_snapshot()
    sp = split(snap, "time_cut", (0.8, 0.1, 0.1))
    edges = snap.data["user", "interacts", "item"].edge_index.numpy()
    times = snap.data["user", "interacts", "item"].edge_time.numpy()
    when = dict(zip(zip(edges[0].tolist(), edges[1].tolist(), strict=True), times, strict=True))
    train_t = [when[e] for e in as_set(sp.train)]
    valid_t = [when[e] for e in as_set(sp.valid)]
    test_t = [when[e] for e in as_set(sp.test)]
    assert sp.cut_times is not None
    t_valid, t_test = sp.cut_times
    # nothing from after the cut, from anyone, is in training
    assert max(train_t) < t_valid <= min(valid_t)
    assert max(valid_t) < t_test <= min(test_t)
    total = edges.shape[1]
    assert abs(len(test_t) / total - 0.1) < 0.02 and abs(len(valid_t) / total - 0.1) < 0.02
    assert sorted(sp.train_time.tolist()) == sorted(train_t)  # type: ignore[union-attr]
    assert "cut at" in sp.describe()


def test_leave_last_out_never_trains_on_a_later_interaction() -> None:
    snap = _timed_snapshot()
    sp = split(snap, "loo", seed=1)
    edges = snap.data["user", "interacts", "item"].edge_index.numpy()
    times = snap.data["user", "interacts", "item"].edge_time.numpy()
    when = dict(zip(zip(edges[0].tolist(), edges[1].tolist(), strict=True), times, strict=True))
    latest_train: dict[int, int] = {}
    for u, i in as_set(sp.train):
        latest_train[u] = max(latest_train.get(u, -1), when[(u, i)])
    valid_t = {u: when[(u, i)] for u, i in as_set(sp.valid)}
    for u, i in as_set(sp.test):
        assert when[(u, i)] >= valid_t[u] >= latest_train[u]
    assert len(as_set(sp.test)) == len(valid_t) == int((np.bincount(edges[0]) >= 3).sum())
    # the training times travel with the split, aligned with its edges
    assert sp.train_time is not None
    assert [when[(u, i)] for u, i in sp.train.T.tolist()] == sp.train_time.tolist()


def test_a_refit_split_keeps_the_times_of_validation_too() -> None:
    sp = split(_timed_snapshot(), "loo")
    merged = sp.with_validation_in_training()
    assert merged.valid.shape[1] == 0
    assert merged.train.shape[1] == sp.train.shape[1] + sp.valid.shape[1]
    assert merged.train_time is not None and sp.valid_time is not None
    assert merged.train_time[-len(sp.valid_time) :].tolist() == sp.valid_time.tolist()


def test_the_weights_travel_with_the_split() -> None:
    snap = _timed_snapshot()
    store = snap.data["user", "interacts", "item"]
    store.edge_weight = torch.arange(store.edge_index.shape[1], dtype=torch.float32)
    edges, weights = store.edge_index.numpy(), store.edge_weight.numpy()
    weight_of = {(u, i): w for u, i, w in zip(edges[0], edges[1], weights, strict=True)}
    sp = split(snap, "random", seed=3)
    assert sp.train_weight is not None and sp.valid_weight is not None
    assert [weight_of[(u, i)] for u, i in sp.train.T.tolist()] == sp.train_weight.tolist()
    assert [weight_of[(u, i)] for u, i in sp.valid.T.tolist()] == sp.valid_weight.tolist()
    merged = sp.with_validation_in_training()
    assert merged.train_weight is not None
    assert merged.train_weight.tolist() == sp.train_weight.tolist() + sp.valid_weight.tolist()


def test_a_time_cut_needs_timestamps() -> None:
    inter = np.array([[0, 0, 1], [0, 1, 1]])
    snap = snapshot_from_arrays(2, 2, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]))
    with pytest.raises(SocialrecError, match="time_cut split needs interaction timestamps"):
        split(snap, "time_cut")
