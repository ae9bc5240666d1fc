"""LightGCN (socialrec/models/lightgcn.py)."""

import torch

from socialrec.models import NEURAL_MODELS, build_model
from tests.helpers import tiny_graph

TRAINABLE = list(NEURAL_MODELS)


def test_lightgcn_matches_dense_reference() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("lightgcn", graph, embedding_dim=4, num_layers=2)
    u0, i0 = model.user.weight.detach(), model.item.weight.detach()  # type: ignore[union-attr]
    a = graph.item_to_user.matrix.to_dense()  # users x items, normalised
    u1, i1 = a @ i0, a.T @ u0
    u2, i2 = a @ i1, a.T @ u1
    with torch.no_grad():
        users, items, *_ = model(graph)
    assert torch.allclose(users, (u0 + u1 + u2) / 3, atol=1e-6)
    assert torch.allclose(items, (i0 + i1 + i2) / 3, atol=1e-6)
    deg_u = torch.tensor([2.0, 2, 1, 0])
    deg_i = torch.tensor([1.0, 2, 1, 1, 0])
    assert torch.isclose(a[0, 1], 1 / torch.sqrt(deg_u[0] * deg_i[1]))
