"""What every graph model shares: the XSimGCL perturbation and contrastive loss."""

import pytest
import torch

from socialrec.models import build_model
from tests.models.test_models import tiny_graph


def test_perturbation_only_while_training_and_bounded() -> None:
    torch.manual_seed(0)
    model = build_model("lightgcn", tiny_graph(), embedding_dim=8, num_layers=2)
    x = torch.randn(50, 8)
    model.noise = 0.1
    model.train()
    noisy = model.perturb(x)
    delta = noisy - x
    # Each row moves by exactly `noise` in length, never across an axis (sign kept).
    assert torch.allclose(delta.norm(dim=-1), torch.full((50,), 0.1), atol=1e-5)
    assert (torch.sign(delta) == torch.sign(x)).all()
    model.eval()
    assert torch.equal(model.perturb(x), x)
    model.noise = 0.0
    model.train()
    assert torch.equal(model.perturb(x), x)


@pytest.mark.parametrize("name", ["lightgcn", "social", "attention", "hybrid"])
def test_contrastive_loss_has_gradients(name: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model(name, graph, embedding_dim=8, num_layers=2)
    model.noise = 0.1
    model.train()
    users, items = model(graph)
    loss = model.contrastive_loss(
        users, items, torch.tensor([0, 1, 1]), torch.tensor([0, 2, 2]), 0.2
    )
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert float(model.user.weight.grad.abs().sum()) > 0  # type: ignore[union-attr]


def test_identical_views_score_lower_than_shuffled_ones() -> None:
    from socialrec.models.base import _info_nce

    torch.manual_seed(0)
    a = torch.randn(64, 16)
    matched = _info_nce(a, a, 0.2)
    shuffled = _info_nce(a, a[torch.randperm(64)], 0.2)
    assert matched < shuffled
    # Hand-computed case: two orthogonal unit vectors, temperature 1.
    e = torch.eye(2)
    expected = -torch.log(torch.exp(torch.tensor(1.0)) / (torch.exp(torch.tensor(1.0)) + 1))
    assert torch.isclose(_info_nce(e, e, 1.0), expected)
