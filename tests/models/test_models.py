"""Every model: forward/backward on a tiny graph, shapes, and cold-start behaviour."""

import numpy as np
import pytest
import torch

from socialrec.errors import SocialrecError
from socialrec.models import NEURAL_MODELS, TrainGraph, build_model
from tests.helpers import snapshot_from_arrays

TRAINABLE = list(NEURAL_MODELS)


def tiny_graph() -> TrainGraph:
    # 4 users, 5 items, 3 attributes. User 3 has friends but no interactions;
    # item 4 has attributes but no interactions.
    inter = np.array([[0, 0, 1, 1, 2], [0, 1, 1, 2, 3]])
    friends = np.array([[0, 1, 2], [1, 3, 3]])
    has = np.array([[0, 1, 2, 3, 4, 4], [0, 0, 1, 2, 2, 1]])
    snap = snapshot_from_arrays(4, 5, 3, inter, friends, has)
    return TrainGraph.build(snap, inter)


@pytest.mark.parametrize("name", TRAINABLE)
def test_forward_backward(name: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model(name, graph, embedding_dim=8, num_layers=2)
    users, items, _ = model(graph)
    assert users.shape == (4, 8) and items.shape == (5, 8)
    loss, bpr = model.bpr_loss(
        users,
        items,
        torch.tensor([0, 1]),
        torch.tensor([0, 2]),
        torch.tensor([4, 4]),
        weight_decay=1e-4,
    )
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and float(g.abs().sum()) > 0 for g in grads)
    assert torch.isfinite(loss) and bpr.item() > 0
    model.reset_parameters()


@pytest.mark.parametrize("name", ["social", "attention", "hybrid"])
def test_cold_user_gets_a_score_from_friends(name: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model(name, graph, embedding_dim=8, num_layers=2)
    with torch.no_grad():
        users, items, _ = model(graph)
    cold = users[3] @ items.T
    assert torch.isfinite(cold).all() and cold.std() > 0  # finite and not constant


def test_hybrid_scores_a_cold_item_from_attributes() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("hybrid", graph, embedding_dim=8, num_layers=2)
    with torch.no_grad():
        _, items, _ = model(graph)
        attr_part = graph.item_attributes @ model.attribute.weight  # type: ignore[operator, union-attr]
    assert float(items[4].abs().sum()) > 0
    # With no interactions, item 4 is its attributes alone at layer 0, and keeps
    # that embedding (not a 1/(K+1) share of it) as its final one.
    assert torch.allclose(model.item_layer0(graph)[4], attr_part[4])  # type: ignore[operator, union-attr]
    assert torch.allclose(items[4], attr_part[4])  # type: ignore[index]


def test_lightgcn_matches_dense_reference() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("lightgcn", graph, embedding_dim=4, num_layers=2)
    u0, i0 = model.user.weight.detach(), model.item.weight.detach()  # type: ignore[union-attr]
    a = graph.item_to_user.matrix.to_dense()  # users x items, normalised
    u1, i1 = a @ i0, a.T @ u0
    u2, i2 = a @ i1, a.T @ u1
    with torch.no_grad():
        users, items, _ = model(graph)
    assert torch.allclose(users, (u0 + u1 + u2) / 3, atol=1e-6)
    assert torch.allclose(items, (i0 + i1 + i2) / 3, atol=1e-6)
    deg_u = torch.tensor([2.0, 2, 1, 0])
    deg_i = torch.tensor([1.0, 2, 1, 1, 0])
    assert torch.isclose(a[0, 1], 1 / torch.sqrt(deg_u[0] * deg_i[1]))


def test_unknown_model() -> None:
    with pytest.raises(SocialrecError, match="unknown model"):
        build_model("nope", tiny_graph())
