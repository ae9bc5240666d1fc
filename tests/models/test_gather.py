"""Row gathers of the losses: same values and gradients as ``table[index]``."""

import torch

from socialrec.models import build_model
from socialrec.models.gather import gather_rows, scatter_rows
from tests.helpers import tiny_graph


def test_gather_rows_matches_indexing_with_repeated_rows() -> None:
    torch.manual_seed(0)
    table = torch.randn(6, 3, requires_grad=True)
    index = torch.tensor([4, 1, 4, 4, 0])
    weights = torch.randn(5, 3)
    (expected,) = torch.autograd.grad((table[index] * weights).sum(), table)
    rows = gather_rows(table, index)
    assert torch.equal(rows, table[index])
    (grad,) = torch.autograd.grad((rows * weights).sum(), table)
    assert torch.allclose(grad, expected)
    assert torch.allclose(grad[4], weights[0] + weights[2] + weights[3])  # repeats summed
    assert torch.equal(grad[[2, 3, 5]], torch.zeros(3, 3))


def test_sparse_gradient_adds_into_the_dense_one() -> None:
    torch.manual_seed(0)
    table = torch.randn(6, 3, requires_grad=True)
    index = torch.tensor([5, 2, 5])
    (table * 2.0).sum().backward()  # stands in for the propagation's dense gradient
    gather_rows(table, index, sparse_grad=True).pow(2).sum().backward()
    assert table.grad is not None and table.grad.layout == torch.strided
    expected = torch.full((6, 3), 2.0)
    expected[2] += 2 * table.detach()[2]
    expected[5] += 4 * table.detach()[5]
    assert torch.allclose(table.grad, expected)


def test_scatter_rows_sums_repeats() -> None:
    out = scatter_rows(torch.ones(4, 2), torch.tensor([1, 1, 3, 1]), 5)
    assert out.tolist() == [[0, 0], [3, 3], [0, 0], [1, 1], [0, 0]]


def test_bpr_loss_and_gradients_match_the_formula() -> None:
    torch.manual_seed(0)
    graph = tiny_graph()
    model = build_model("lightgcn", graph, embedding_dim=8, num_layers=2)
    users, pos, neg = torch.tensor([0, 1, 1]), torch.tensor([0, 2, 2]), torch.tensor([1, 0, 3])
    decay = 0.01
    user_emb, item_emb, *_ = model(graph)
    loss, bpr = model.bpr_loss(user_emb, item_emb, users, pos, neg, decay)
    loss.backward()
    grads = [p.grad.clone() for p in (model.user.weight, model.item.weight)]  # type: ignore[union-attr]

    # Reference: Rendle et al.'s BPR with L2 on the batch's layer-0 rows, by plain indexing.
    model.zero_grad()
    user_emb, item_emb, *_ = model(graph)
    u = user_emb[users]
    ref_bpr = -torch.nn.functional.logsigmoid(
        (u * item_emb[pos]).sum(-1) - (u * item_emb[neg]).sum(-1)
    ).mean()
    reg = (
        model.user.weight[users].pow(2).sum()
        + model.item.weight[torch.cat([pos, neg])].pow(2).sum()
    )
    ref = ref_bpr + decay * reg / (2 * len(users))
    ref.backward()
    assert torch.isclose(bpr, ref_bpr) and torch.isclose(loss, ref)
    for got, p in zip(grads, (model.user.weight, model.item.weight), strict=True):
        assert p.grad is not None and got.layout == torch.strided
        assert torch.allclose(got, p.grad, atol=1e-6)
