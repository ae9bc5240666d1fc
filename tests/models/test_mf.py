"""MF (socialrec/models/mf.py): the free embeddings, nothing propagated."""

from __future__ import annotations

import torch

from socialrec.models import MF, build_model
from tests.helpers import tiny_graph


def test_mf_returns_its_free_tables_and_ignores_noise() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("mf", graph, embedding_dim=8)
    assert isinstance(model, MF)
    model.train()
    out = model(graph, noise=0.5)
    assert torch.equal(out.user, model.user.weight)
    assert torch.equal(out.item, model.item.weight)
    assert out.first_layer is None  # no layers: no second view for XSimGCL
