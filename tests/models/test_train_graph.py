"""TrainGraph (socialrec/models/train_graph.py): the operators of one training split."""

from __future__ import annotations

import numpy as np
import torch

from socialrec.models.train_graph import (
    CONFIDENCE_RANGE,
    POPULARITY_WEIGHT_CAP,
    Periods,
    TrainGraph,
    UserHistory,
    Weighting,
    confidence_weights,
    popularity_weights,
    recency_weights,
)
from tests.helpers import snapshot_from_arrays


def _graph(train: np.ndarray) -> TrainGraph:
    inter = np.array([[0, 0, 1, 1, 2], [0, 1, 1, 2, 3]])
    friends = np.array([[0, 1, 2], [1, 3, 3]])
    has = np.array([[0, 0, 1], [0, 1, 1]])
    return TrainGraph.build(snapshot_from_arrays(4, 5, 2, inter, friends, has), train)


def test_operators_are_the_normalised_training_graph_only() -> None:
    train = np.array([[0, 0, 1], [0, 1, 1]])  # (1, 2) and (2, 3) are held out
    g = _graph(train)
    a = g.item_to_user.matrix.to_dense()
    assert a.shape == (4, 5)
    assert torch.count_nonzero(a) == 3  # held-out interactions never propagate
    du, di = torch.tensor([2.0, 1, 0, 0]), torch.tensor([1.0, 2, 0, 0, 0])
    for u, i in train.T:
        assert torch.isclose(a[u, i], 1 / torch.sqrt(du[u] * di[i]))
    assert torch.allclose(g.user_to_item.matrix.to_dense(), a.T)
    assert g.user_degree.tolist() == [2, 1, 0, 0]
    assert g.item_degree.tolist() == [1, 2, 0, 0, 0]


def test_friends_are_symmetric_and_attributes_row_normalised() -> None:
    g = _graph(np.array([[0], [0]]))
    assert g.friends is not None and g.item_attributes is not None
    s = g.friends.matrix.to_dense()
    assert torch.allclose(s, s.T)
    assert g.user_friends.tolist() == [1, 2, 1, 2]
    assert torch.isclose(s[1, 3], 1 / torch.sqrt(torch.tensor(2.0 * 2.0)))
    rows = g.item_attributes.matrix.to_dense().sum(1)
    assert torch.allclose(rows[:2], torch.ones(2)) and float(rows[2:].abs().sum()) == 0


DAY = 86_400


def test_recency_weights_by_hand() -> None:
    users = np.array([0, 0, 1, 1, 1])
    times = np.array([0, 10 * DAY, 5 * DAY, 20 * DAY, -1])
    # each user's ages count back from their own newest: user 0 from day 10, user 1 from day 20
    w = recency_weights(users, times, 10.0, 2)
    assert w is not None
    expected = [np.exp(-1.0), 1.0, np.exp(-1.5), 1.0, 1.0]  # an unknown time weighs 1
    assert np.allclose(w, expected)
    # from the newest of anyone (day 20)
    g = recency_weights(users, times, 10.0, 2, reference="global")
    assert g is not None
    assert np.allclose(g, [np.exp(-2.0), np.exp(-1.0), np.exp(-1.5), 1.0, 1.0])
    assert recency_weights(users, times, 0.0, 2) is None  # off
    assert recency_weights(users, np.full(5, -1), 10.0, 2) is None  # nothing known


def test_recency_weighted_operator_is_the_weighted_symmetric_norm() -> None:
    # user 0 rated item 0 ten days before item 1; user 1 rated item 1
    inter = np.array([[0, 0, 1], [0, 1, 1]])
    times = np.array([0, 10 * DAY, 3 * DAY])
    snap = snapshot_from_arrays(2, 2, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), times)
    g = TrainGraph.build(snap, inter, times, Weighting(recency_days=10.0))
    a = g.item_to_user.matrix.to_dense().double()
    w00, w01, w11 = np.exp(-1.0), 1.0, 1.0
    d_u0, d_u1, d_i0, d_i1 = w00 + w01, w11, w00, w01 + w11
    assert np.isclose(a[0, 0].item(), w00 / np.sqrt(d_u0 * d_i0), rtol=1e-5)
    assert np.isclose(a[0, 1].item(), w01 / np.sqrt(d_u0 * d_i1), rtol=1e-5)
    assert np.isclose(a[1, 1].item(), w11 / np.sqrt(d_u1 * d_i1), rtol=1e-5)
    assert torch.allclose(g.user_to_item.matrix.to_dense(), g.item_to_user.matrix.to_dense().T)
    # the loss weights are the same weights, scaled to mean 1, in the given order
    assert g.interaction_weight is not None
    mean = (w00 + w01 + w11) / 3
    assert torch.allclose(g.interaction_weight.double(), torch.tensor([w00, w01, w11]) / mean)


def test_without_times_recency_changes_nothing() -> None:
    train = np.array([[0, 0, 1], [0, 1, 1]])
    static = _graph(train)
    unknown = TrainGraph.build(
        snapshot_from_arrays(4, 5, 2, train, np.empty((2, 0), int), np.array([[0], [0]])),
        train,
        np.full(3, -1),
        Weighting(recency_days=30.0, history=True),
    )
    assert unknown.interaction_weight is None and unknown.history is None
    assert torch.equal(
        static.item_to_user.matrix.to_dense(), unknown.item_to_user.matrix.to_dense()
    )


def test_user_history_in_time_order() -> None:
    # user 0: items 3 (t=30), 1 (t=10), 2 (t=20); user 1: item 0; user 2: none
    users, items = np.array([0, 0, 1, 0]), np.array([3, 1, 0, 2])
    times = np.array([30, 10, 5, 20])
    h = UserHistory.build(users, items, times, 3)
    assert h.ptr.tolist() == [0, 3, 4, 4]
    assert h.item.tolist() == [1, 2, 3, 0]  # oldest first
    assert h.position.tolist() == [2, 0, 0, 1]  # each given interaction's place
    # before the interaction with item 3 (position 2): items 2, then 1, newest first
    before, mask = h.before(torch.tensor([0]), torch.tensor([2]), 3)
    assert before[mask].tolist() == [2, 1] and mask.tolist() == [[True, True, False]]
    latest, mask = h.latest(torch.tensor([0, 1, 2]), 2)
    assert latest[0].tolist() == [3, 2] and mask[0].all()
    assert latest[1][mask[1]].tolist() == [0] and not mask[2].any()


def test_popularity_weights_by_hand() -> None:
    items = np.array([0, 0, 0, 0, 1])  # item 0: 4 positives, item 1: 1
    w = popularity_weights(items, 2, 1.0)
    assert w is not None and np.allclose(w, [1, 1, 1, 1, 4])
    half = popularity_weights(items, 2, 0.5)
    assert half is not None and np.allclose(half, [1, 1, 1, 1, 2])
    assert popularity_weights(items, 2, 0.0) is None
    # rare items are clipped: 1 against 1000 would weigh 1000x
    skewed = np.array([0] * 1000 + [1])
    capped = popularity_weights(skewed, 2, 1.0)
    assert capped is not None and capped[-1] == POPULARITY_WEIGHT_CAP
    # in the loss only, with mean 1; the operators stay the static ones
    train = np.array([[0, 0, 1], [0, 1, 1]])  # item 1 twice, item 0 once
    g = TrainGraph.build(
        snapshot_from_arrays(2, 2, 1, train, np.empty((2, 0), int), np.array([[0], [0]])),
        train,
        weighting=Weighting(popularity_debias=1.0),
    )
    assert g.interaction_weight is not None
    assert torch.allclose(g.interaction_weight, torch.tensor([2.0, 1.0, 1.0]) / (4 / 3))
    assert torch.equal(
        g.item_to_user.matrix.to_dense(),
        TrainGraph.build(
            snapshot_from_arrays(2, 2, 1, train, np.empty((2, 0), int), np.array([[0], [0]])),
            train,
        ).item_to_user.matrix.to_dense(),
    )


def test_confidence_weights_by_hand() -> None:
    users = np.array([0, 0, 1, 1, 1])
    plays = np.array([np.e - 1, np.e**3 - 1, 7.0, 7.0, np.nan])  # log1p: 1, 3 | 2.08, 2.08, ?
    c = confidence_weights(users, plays, 1.0, 2)
    assert c is not None
    # against the user's own mean log-weight: user 0's mean is 2
    assert np.allclose(c, [0.5, 1.5, 1.0, 1.0, 1.0])  # unknown weight: 1
    squared = confidence_weights(users, plays, 2.0, 2)
    assert squared is not None and np.allclose(squared[:2], [0.25, 2.25])
    # a heavy listener's plays do not outweigh a light one's: each is against its own mean
    scaled = confidence_weights(users, np.where(users == 0, plays * 1000, plays), 1.0, 2)
    assert scaled is not None and np.allclose(scaled[2:], c[2:]) and scaled[1] > scaled[0]
    # clipped both ways, and nothing to weigh without an exponent or a usable weight
    wild = confidence_weights(np.zeros(3, int), np.array([0.0, 1e30, 1.0]), 3.0, 1)
    assert wild is not None and wild.min() == CONFIDENCE_RANGE[0]
    assert wild.max() <= CONFIDENCE_RANGE[1]
    assert confidence_weights(users, plays, 0.0, 2) is None
    assert confidence_weights(users, np.full(5, np.nan), 1.0, 2) is None
    # a user whose every weight is 0 keeps weight 1
    zero = confidence_weights(np.array([0, 1]), np.array([0.0, 5.0]), 1.0, 2)
    assert zero is not None and np.allclose(zero, [1.0, 1.0])


def test_confidence_weighs_the_operators_and_the_loss() -> None:
    train = np.array([[0, 0, 1], [0, 1, 1]])
    snap = snapshot_from_arrays(2, 2, 1, train, np.empty((2, 0), int), np.array([[0], [0]]))
    plays = np.array([1.0, 100.0, 5.0])
    static = TrainGraph.build(snap, train)
    # exponent 0, or no weights: exactly the static graph
    for graph in (
        TrainGraph.build(snap, train, weighting=Weighting(), weights=plays),
        TrainGraph.build(snap, train, weighting=Weighting(confidence=1.0)),
    ):
        assert graph.interaction_weight is None
        assert torch.equal(
            graph.item_to_user.matrix.to_dense(), static.item_to_user.matrix.to_dense()
        )
    g = TrainGraph.build(snap, train, weighting=Weighting(confidence=1.0), weights=plays)
    assert g.interaction_weight is not None
    w = g.interaction_weight
    assert w[1] > w[0] and torch.isclose(w.mean(), torch.tensor(1.0))  # 100 plays > 1 play
    a = g.item_to_user.matrix.to_dense()
    assert a[0, 1] > a[0, 0]  # user 0 propagates more from item 1, their heavier one
    assert not torch.equal(a, static.item_to_user.matrix.to_dense())


def test_periods_by_hand() -> None:
    users = np.array([0, 0, 1, 1])
    times = np.array([5 * DAY, 25 * DAY, 12 * DAY, -1])
    p = Periods.build(users, times, 10.0, 3)
    assert p is not None and p.count == 3
    assert p.edge.tolist() == [0, 2, 0, 0]  # from the oldest (day 5); unknown: the oldest
    assert p.user_latest.tolist() == [2, 0, 2]  # user 2 has none: the newest period
    assert Periods.build(users, times, 0.0, 3) is None
    assert Periods.build(users, np.full(4, -1), 10.0, 3) is None
