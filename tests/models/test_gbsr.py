"""GBSR (socialrec/models/gbsr.py): SocialLGN on a learned, denoised friend graph."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from socialrec.models import GBSR, TrainGraph, build_model
from socialrec.models.gbsr import hsic
from socialrec.train import experiment
from socialrec.train.config import TrainConfig
from tests.helpers import snapshot_from_arrays, synthetic_snapshot, tiny_graph


def test_hsic_is_larger_for_dependent_rows() -> None:
    torch.manual_seed(0)
    x = torch.randn(1000, 8)
    same = hsic(x, x, 0.25)
    related = hsic(x, x + 0.5 * torch.randn(1000, 8), 0.25)
    unrelated = hsic(x, torch.randn(1000, 8), 0.25)
    assert same > related > unrelated > -1e-6
    assert unrelated < 0.2 * same


def test_hsic_equals_the_trace_formula() -> None:
    torch.manual_seed(1)
    x, y = torch.randn(50, 8), torch.randn(50, 8)
    kx, ky = (
        torch.exp((F.normalize(a, dim=-1) @ F.normalize(a, dim=-1).T - 1) / 0.25) for a in (x, y)
    )
    centre = torch.eye(50) - 1 / 50
    expected = torch.trace(kx @ centre @ ky @ centre) / 49**2
    assert torch.allclose(hsic(x, y, 0.25), expected, rtol=1e-4)


def test_forward_backward_reaches_every_parameter() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("gbsr", graph, embedding_dim=8, num_layers=2)
    assert isinstance(model, GBSR)
    model.train()
    out = model(graph)
    assert out.view is not None  # the full graph's pass, for the bottleneck
    users, items = torch.tensor([0, 1, 2]), torch.tensor([0, 2, 3])
    aux = model.auxiliary_loss(out, users, items)
    assert aux is not None and torch.isfinite(aux) and aux > 0
    loss = (out.user[users] * out.item[items]).sum() + aux
    loss.backward()
    for name, p in model.named_parameters():
        if name.startswith("period"):
            continue
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.mask_out.weight.grad is not None
    assert model.mask_out.weight.grad.abs().sum() > 0  # the mask learns from the loss


def test_keep_weights_are_bounded_and_fixed_when_serving() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = GBSR(graph.num_users, graph.num_items, 8, 2, edge_bias=0.5)
    u0 = model.user_layer0(graph)
    model.train()
    sampled = model.keep_weights(graph, u0)
    assert graph.friends is not None
    assert sampled.shape == graph.friends.matrix.values().shape
    assert ((sampled >= 0.5) & (sampled <= 1.5)).all()
    model.eval()
    with torch.no_grad():
        assert torch.equal(model.keep_weights(graph, u0), model.keep_weights(graph, u0))
        out = model(graph)
    assert out.view is None  # no second pass outside training
    assert model.auxiliary_loss(out, torch.tensor([0]), torch.tensor([0])) is None


def test_without_friends_it_is_social_lgn_without_friends() -> None:
    inter = np.array([[0, 0, 1, 2], [0, 1, 1, 2]])
    snap = snapshot_from_arrays(3, 3, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]))
    graph = TrainGraph.build(snap, inter)
    model = build_model("gbsr", graph, embedding_dim=4, num_layers=2)
    out = model(graph)
    assert out.user.shape == (3, 4) and torch.isfinite(out.user).all()
    assert model.auxiliary_loss(out, torch.tensor([0]), torch.tensor([1])) is None


_FAST = TrainConfig(
    embedding_dim=32, lr=0.01, negatives=4, epochs=40, eval_every=5, patience=2, device="cpu"
)


def test_gbsr_beats_lightgcn_where_friends_carry_the_signal() -> None:
    # friends copy each other's picks (friend_influence): a social model must use that
    snap = synthetic_snapshot(
        600,
        400,
        seed=3,
        interactions_per_user=6.0,
        friends_per_user=3.0,
        friend_influence=0.8,
        communities=12,
    )
    lightgcn, gbsr = (
        experiment.run(snap, [m], [0], _FAST, "random")[0] for m in ("lightgcn", "gbsr")
    )
    assert gbsr.test["recall@20"] > 1.15 * lightgcn.test["recall@20"]
