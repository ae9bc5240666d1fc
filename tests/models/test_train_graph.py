"""TrainGraph (socialrec/models/train_graph.py): the operators of one training split."""

from __future__ import annotations

import numpy as np
import torch

from socialrec.models.train_graph import TrainGraph
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
