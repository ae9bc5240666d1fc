"""SocialLGN (socialrec/models/social_lgn.py): the gated fusion of items and friends."""

from __future__ import annotations

import pytest
import torch

from socialrec.models import SocialLGN, build_model
from tests.helpers import tiny_graph


@pytest.mark.parametrize(("bias", "side"), [(-40.0, "friends"), (40.0, "items")])
def test_a_closed_gate_propagates_one_side_exactly(bias: float, side: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("social", graph, embedding_dim=4, num_layers=1)
    assert isinstance(model, SocialLGN) and graph.friends is not None
    gate = model.gates[0]
    assert isinstance(gate, torch.nn.Linear)
    with torch.no_grad():
        gate.weight.zero_()
        gate.bias.fill_(bias)  # sigmoid(-40) ~ 0: friends only; sigmoid(40) ~ 1: items only
        out = model(graph)
    active = (graph.user_degree > 0).float().unsqueeze(-1)
    u0, i0 = model.user.weight.detach() * active, model.item.weight.detach()
    a = graph.item_to_user.matrix.to_dense()
    s = graph.friends.matrix.to_dense()
    u1 = s @ u0 if side == "friends" else a @ i0
    assert torch.allclose(out.user, (u0 + u1) / 2, atol=1e-6)
    assert torch.allclose(out.item, (i0 + a.T @ u0) / 2, atol=1e-6)


def test_a_user_without_interactions_starts_from_zero() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("social", graph, embedding_dim=4, num_layers=2)
    assert isinstance(model, SocialLGN)
    layer0 = model.user_layer0(graph)
    assert float(graph.user_degree[3]) == 0
    assert torch.equal(layer0[3], torch.zeros(4))
    assert float(layer0[0].detach().abs().sum()) > 0
