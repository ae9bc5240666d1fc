"""SocialSTAMP (socialrec/models/stamp.py): short-term attention fused with SocialLGN."""

from __future__ import annotations

import numpy as np
import torch

from socialrec.models import SocialLGN, SocialSTAMP, build_model
from socialrec.models.train_graph import TrainGraph, Weighting
from tests.helpers import snapshot_from_arrays


def _timed_graph(history: bool = True) -> TrainGraph:
    # user 0: items 0, 1, 2 in that order; user 1: items 2, 3; user 2: friends only
    inter = np.array([[0, 0, 0, 1, 1], [0, 1, 2, 2, 3]])
    times = np.array([10, 20, 30, 5, 40])
    friends = np.array([[0, 1], [2, 2]])
    snap = snapshot_from_arrays(3, 5, 1, inter, friends, np.array([[0], [0]]), times)
    return TrainGraph.build(snap, inter, times, Weighting(history=history))


def _training_model() -> tuple[TrainGraph, SocialSTAMP]:
    torch.manual_seed(0)
    g = _timed_graph()
    model = build_model("sequence", g, 8, 2, sequence_length=2)
    assert isinstance(model, SocialSTAMP)
    model.train()
    return g, model


def test_forward_backward_on_a_tiny_graph() -> None:
    g, model = _training_model()
    out = model(g)
    rows = model.batch_users(out, g, torch.tensor([0, 0, 1]), torch.tensor([0, 2, 4]))
    assert rows is not None and rows.shape == (3, 8)
    loss, _ = model.bpr_loss(
        out.user,
        out.item,
        torch.tensor([0, 0, 1]),
        torch.tensor([0, 2, 3]),
        torch.tensor([4, 4, 0]),
        1e-4,
        user_vectors=rows,
    )
    loss.backward()
    for name in ("position.weight", "w_item.weight", "w_session.weight", "user.weight"):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_training_is_causal_and_serving_attends_over_the_latest() -> None:
    g, model = _training_model()
    out = model(g)
    # user 0's first interaction (edge 0) has no history: the graph vector alone
    rows = model.batch_users(out, g, torch.tensor([0, 0]), torch.tensor([0, 2]))
    assert rows is not None
    assert torch.allclose(rows[0], out.user[0])
    assert not torch.allclose(rows[1], out.user[0])  # item 2 comes after items 0, 1
    # the served embedding: the graph part plus attention over the latest items
    model.eval()
    with torch.no_grad():
        served = model(g)
        graph_part = SocialLGN.forward(model, g)
    assert not torch.allclose(served.user[0], graph_part.user[0])
    assert torch.allclose(served.user[2], graph_part.user[2])  # no history: unchanged
    assert torch.allclose(served.item, graph_part.item)


def test_without_histories_it_is_its_graph_model() -> None:
    torch.manual_seed(0)
    g = _timed_graph(history=False)
    model = build_model("sequence", g, 8, 2)
    assert isinstance(model, SocialSTAMP)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(g).user, SocialLGN.forward(model, g).user)
    assert model.batch_users(model(g), g, torch.tensor([0]), torch.tensor([0])) is None
