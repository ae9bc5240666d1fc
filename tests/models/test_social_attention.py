"""SocialAttention (socialrec/models/social_attention.py): attention over items and friends."""

from __future__ import annotations

import torch

from socialrec.models import SocialAttention, TrainGraph, build_model
from tests.helpers import tiny_graph


def one_layer_model() -> tuple[TrainGraph, SocialAttention]:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("attention", graph, embedding_dim=4, num_layers=1)
    assert isinstance(model, SocialAttention)
    return graph, model


def test_zero_attention_vectors_average_every_neighbour() -> None:
    graph, model = one_layer_model()
    with torch.no_grad():
        model.att_dst[0].zero_()
        model.att_src[0].zero_()  # equal logits: alpha = 1 / |neighbours|
        out = model(graph)  # lin starts as the identity
    active = (graph.user_degree > 0).float().unsqueeze(-1)
    u0, i0 = model.user.weight.detach() * active, model.item.weight.detach()
    items = graph.item_to_user.matrix.to_dense() != 0
    friends = torch.zeros(graph.num_users, graph.num_users, dtype=torch.bool)
    friends[graph.friend_index[1], graph.friend_index[0]] = True
    expected = torch.stack(
        [torch.cat([i0[items[u]], u0[friends[u]]]).mean(0) for u in range(graph.num_users)]
    )
    assert torch.allclose(out.user, (u0 + expected) / 2, atol=1e-6)


def test_attention_prefers_the_neighbour_it_scores_higher() -> None:
    graph, model = one_layer_model()
    with torch.no_grad():
        model.att_dst[0].zero_()
        model.att_src[0].copy_(model.item.weight[1])  # item 1 scores highest for its users
        model.user.weight[0] = 0.0  # user 0 (items 0 and 1, friend 1): its layer 0 is zero
        out = model(graph)
    # User 0's layer-1 embedding leans towards item 1 rather than item 0.
    layer1 = out.user[0] * 2
    item0, item1 = model.item.weight[0].detach(), model.item.weight[1].detach()
    assert torch.dot(layer1, item1) / item1.norm() > torch.dot(layer1, item0) / item0.norm()
