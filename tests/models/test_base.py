"""What every graph model shares: the XSimGCL perturbation and contrastive loss, periods."""

import numpy as np
import pytest
import torch

from socialrec.models import TrainGraph, build_model
from socialrec.models.train_graph import Weighting
from tests.helpers import snapshot_from_arrays, tiny_graph


def test_perturbation_only_while_training_and_bounded() -> None:
    torch.manual_seed(0)
    model = build_model("lightgcn", tiny_graph(), embedding_dim=8, num_layers=2)
    x = torch.randn(50, 8)
    model.train()
    noisy = model.perturb(x, 0.1)
    delta = noisy - x
    # Each row moves by exactly `noise` in length, never across an axis (sign kept).
    assert torch.allclose(delta.norm(dim=-1), torch.full((50,), 0.1), atol=1e-5)
    assert (torch.sign(delta) == torch.sign(x)).all()
    model.eval()
    assert torch.equal(model.perturb(x, 0.1), x)
    model.train()
    assert torch.equal(model.perturb(x, 0.0), x)


@pytest.mark.parametrize("name", ["lightgcn", "social", "attention", "hybrid"])
def test_noise_gives_a_perturbed_first_layer_and_a_contrastive_gradient(name: str) -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model(name, graph, embedding_dim=8, num_layers=2)
    model.train()
    users, items = torch.tensor([0, 1, 1]), torch.tensor([0, 2, 2])
    clean = model(graph)
    # Without noise there is no second view, and the loss says so.
    assert clean.first_layer is None
    with pytest.raises(ValueError, match="noise > 0"):
        model.contrastive_loss(clean, users, items, 0.2)
    noisy = model(graph, noise=0.1)
    assert noisy.first_layer is not None
    # The noise reaches the final embeddings, and the first layer is a separate view.
    assert not torch.allclose(noisy.user, clean.user)
    assert noisy.first_layer[0].shape == noisy.user.shape
    assert not torch.allclose(noisy.first_layer[0], noisy.user)
    loss = model.contrastive_loss(noisy, users, items, 0.2)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() > 0
    assert float(model.user.weight.grad.abs().sum()) > 0  # type: ignore[union-attr]
    # In evaluation mode noise is ignored: scores never carry it.
    model.eval()
    assert torch.allclose(model(graph, noise=0.1).user, model(graph).user)


def test_the_layer_loop_matches_lightgcns_fused_kernel() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("lightgcn", graph, embedding_dim=8, num_layers=3)
    model.train()
    fused = model(graph)
    u, i = model.free_embeddings(graph)

    def layer(k: int, u: torch.Tensor, i: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return graph.item_to_user @ i, graph.user_to_item @ u

    looped = model.mean_over_layers(u, i, layer, 3, noise=0.0)
    assert torch.allclose(fused.user, looped.user, atol=1e-6)
    assert torch.allclose(fused.item, looped.item, atol=1e-6)


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


def test_softmax_loss_with_one_negative_is_bpr_on_cosine_scores() -> None:
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = build_model("lightgcn", tiny_graph(), embedding_dim=8, num_layers=2)
    user_emb, item_emb = torch.randn(4, 8), torch.randn(5, 8)
    users, pos, neg = torch.tensor([0, 1, 3]), torch.tensor([0, 2, 3]), torch.tensor([1, 4, 4])
    _, part = model.softmax_loss(user_emb, item_emb, users, pos, neg, 0.0, 0.5)
    cos = lambda a, b: F.cosine_similarity(a, b, dim=-1)  # noqa: E731
    margin = cos(user_emb[users], item_emb[pos]) - cos(user_emb[users], item_emb[neg])
    assert torch.isclose(part, -F.logsigmoid(margin / 0.5).mean())


def test_softmax_loss_prefers_positives_and_reaches_every_negative() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("hybrid", graph, embedding_dim=8, num_layers=2)
    # the positive points where the user does; negatives point away
    user_emb = torch.tensor([[1.0, 0.0]])
    items = torch.tensor([[1.0, 0.1], [-1.0, 0.2], [0.0, 1.0]], requires_grad=True)
    good, _ = model.softmax_loss(
        user_emb, items, torch.tensor([0]), torch.tensor([0]), torch.tensor([[1, 2]]), 0.0, 0.1
    )
    bad, _ = model.softmax_loss(
        user_emb, items, torch.tensor([0]), torch.tensor([1]), torch.tensor([[0, 2]]), 0.0, 0.1
    )
    assert good < bad
    bad.backward()
    # every candidate gets a gradient, the hard negative (item 0) the largest
    grads = items.grad.norm(dim=-1)  # type: ignore[union-attr]
    assert (grads > 0).all() and grads[0] > grads[2]
    # L2 adds the batch's layer-0 rows
    out = model(graph)
    users, items_b = out.user, out.item
    plain, _ = model.softmax_loss(
        users, items_b, torch.tensor([0]), torch.tensor([0]), torch.tensor([[1, 2]]), 0.0, 0.1
    )
    reg, _ = model.softmax_loss(
        users, items_b, torch.tensor([0]), torch.tensor([0]), torch.tensor([[1, 2]]), 1.0, 0.1
    )
    assert reg > plain


def test_periods_start_static_and_serve_the_latest() -> None:
    # user 0: item 0 on day 0 and item 1 on day 20; user 1: item 1 on day 5
    inter = np.array([[0, 0, 1], [0, 1, 1]])
    times = np.array([0, 20 * 86_400, 5 * 86_400])
    snap = snapshot_from_arrays(2, 2, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), times)
    graph = TrainGraph.build(snap, inter, times, Weighting(period_days=10.0))
    assert graph.periods is not None and graph.periods.count == 3
    torch.manual_seed(0)
    model = build_model("lightgcn", graph, 4, 1)
    model.use_periods(graph.periods.count)
    assert model.period is not None
    out = model(graph)
    rows = model.batch_users(out, graph, torch.tensor([0, 0]), torch.tensor([0, 1]))
    assert rows is not None and torch.equal(rows, out.user[[0, 0]])  # zero at the start
    with torch.no_grad():
        model.period.weight.copy_(torch.arange(12.0).view(3, 4))
    rows = model.batch_users(out, graph, torch.tensor([0, 0]), torch.tensor([0, 1]))
    assert rows is not None
    assert torch.allclose(rows[0], out.user[0] + model.period.weight[0])  # day 0
    assert torch.allclose(rows[1], out.user[0] + model.period.weight[2])  # day 20
    served = model.final_users(out, graph)
    assert torch.allclose(served[0], out.user[0] + model.period.weight[2])  # its latest
    assert torch.allclose(served[1], out.user[1] + model.period.weight[0])
