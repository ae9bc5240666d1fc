"""HybridSocialLGN (socialrec/models/hybrid.py): attribute-aware items, cold start."""

import torch

from socialrec.models import NEURAL_MODELS, build_model
from tests.helpers import tiny_graph

TRAINABLE = list(NEURAL_MODELS)


def test_hybrid_scores_a_cold_item_from_attributes() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("hybrid", graph, embedding_dim=8, num_layers=2)
    with torch.no_grad():
        _, items, *_ = model(graph)
        attr_part = graph.item_attributes @ model.attribute.weight  # type: ignore[operator, union-attr]
    assert float(items[4].abs().sum()) > 0
    # With no interactions, item 4 is its attributes alone at layer 0, and keeps
    # that embedding (not a 1/(K+1) share of it) as its final one.
    assert torch.allclose(model.item_layer0(graph)[4], attr_part[4])  # type: ignore[operator, union-attr]
    assert torch.allclose(items[4], attr_part[4])  # type: ignore[index]
