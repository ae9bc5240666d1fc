"""SocialAttention (socialrec/models/social_attention.py): attention over items and friends."""

from __future__ import annotations

import torch

from socialrec.models import SocialAttention, SocialLGN, TrainGraph, build_model
from tests.helpers import tiny_graph


def one_layer_model() -> tuple[TrainGraph, SocialAttention]:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("attention", graph, embedding_dim=4, num_layers=1)
    assert isinstance(model, SocialAttention)
    return graph, model


def test_equal_scores_are_social_lgn_exactly() -> None:
    graph, model = one_layer_model()  # the attention vectors start at zero
    plain = SocialLGN(graph.num_users, graph.num_items, 4, 1)
    missing = plain.load_state_dict(model.state_dict(), strict=False)
    assert missing.missing_keys == [] and missing.unexpected_keys == ["attention"]
    with torch.no_grad():
        assert torch.allclose(model(graph).user, plain(graph).user, atol=1e-6)
        assert torch.allclose(model(graph).item, plain(graph).item, atol=1e-6)


def test_attention_prefers_the_neighbour_it_scores_higher() -> None:
    graph, model = one_layer_model()
    model.attention_rate = 1.0  # the vectors as set, not slowed
    with torch.no_grad():
        model.attention[0, 1].copy_(model.item.weight[1] * 50)  # item 1 scores highest
        model.user.weight[0] = 0.0  # user 0 (items 0 and 1, friend 1): its layer 0 is zero
        gate = model.gates[0]
        assert isinstance(gate, torch.nn.Linear)
        gate.bias.fill_(20.0)  # the items' side only
        out = model(graph)
    # User 0's layer-1 embedding is (nearly) item 1's normalised message alone.
    layer1 = out.user[0] * 2
    item0, item1 = model.item.weight[0].detach(), model.item.weight[1].detach()
    assert torch.dot(layer1, item1) / item1.norm() > torch.dot(layer1, item0) / item0.norm()


def test_every_attention_vector_learns() -> None:
    graph, model = one_layer_model()
    with torch.no_grad():
        model.attention.normal_(std=0.1)  # off the symmetric start
    out = model(graph)
    (out.user.pow(2).sum() + out.item.pow(2).sum()).backward()
    grad = model.attention.grad
    assert grad is not None and torch.isfinite(grad).all()
    assert (grad[0].abs().sum(-1) > 0).all()  # item and friend, dst and src


def test_the_attention_rate_scales_what_the_attention_does() -> None:
    graph, model = one_layer_model()
    plain = SocialLGN(graph.num_users, graph.num_items, 4, 1)
    plain.load_state_dict(model.state_dict(), strict=False)
    with torch.no_grad():
        model.attention.normal_(std=2.0)
        off = {}
        for rate in (0.0, 0.1, 1.0):
            model.attention_rate = rate
            off[rate] = (model(graph).user - plain(graph).user).abs().max().item()
    assert off[0.0] < 1e-6  # rate 0: SocialLGN, whatever the vectors
    assert 0 < off[0.1] < off[1.0]
