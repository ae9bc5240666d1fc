"""Every registered model (socialrec/models/registry.py, build_model): forward/backward
and cold-start behaviour on a tiny graph."""

import pytest
import torch

from socialrec.errors import SocialrecError
from socialrec.models import NEURAL_MODELS, build_model
from tests.helpers import tiny_graph

TRAINABLE = list(NEURAL_MODELS)


@pytest.mark.parametrize("name", TRAINABLE)
def test_forward_backward(name: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model(name, graph, embedding_dim=8, num_layers=2)
    users, items, *_ = model(graph)
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
        users, items, *_ = model(graph)
    cold = users[3] @ items.T
    assert torch.isfinite(cold).all() and cold.std() > 0  # finite and not constant


def test_unknown_model() -> None:
    with pytest.raises(SocialrecError, match="unknown model"):
        build_model("nope", tiny_graph())


def test_the_registry_is_what_the_cli_and_the_trainer_offer() -> None:
    from socialrec.models.registry import BASELINES, MODELS, REGISTRY
    from socialrec.train.config import TrainConfig

    assert (*BASELINES, *NEURAL_MODELS) == MODELS
    assert set(BASELINES) == {"popularity", "gds_similarity"}
    for name in MODELS:
        assert TrainConfig(model=name).model == name and REGISTRY[name].summary
    for name in NEURAL_MODELS:
        assert build_model(name, tiny_graph()) is not None
    with pytest.raises(SocialrecError, match="choose one of"):
        TrainConfig(model="socail")
