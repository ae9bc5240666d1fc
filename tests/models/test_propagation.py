"""The fixed sparse operators and LightGCN's fused propagation."""

import pytest
import torch

from socialrec.models.propagation import (
    SparseOperator,
    bipartite_operators,
    layer_mean,
    spmm,
)


def random_bipartite(seed: int = 0, num_users: int = 7, num_items: int = 11) -> SparseOperator:
    gen = torch.Generator().manual_seed(seed)
    users = torch.randint(0, num_users, (30,), generator=gen)
    items = torch.randint(0, num_items, (30,), generator=gen)
    keys = torch.unique(users * num_items + items)
    to_user, _ = bipartite_operators(keys // num_items, keys % num_items, num_users, num_items)
    return to_user


def test_csr_indices_are_int32() -> None:
    op = random_bipartite()
    assert op.matrix.crow_indices().dtype == torch.int32
    assert op.matrix_t.col_indices().dtype == torch.int32


@pytest.mark.parametrize("num_users,num_items", [(7, 11), (11, 7)])  # either side smaller
def test_layer_mean_equals_per_layer_autograd(num_users: int, num_items: int) -> None:
    op = random_bipartite(0, num_users, num_items)
    dense = op.matrix.to_dense()
    for num_layers in (0, 1, 2, 3, 4):
        u0 = torch.randn(num_users, 4, requires_grad=True)
        i0 = torch.randn(num_items, 4, requires_grad=True)
        # Reference: plain dense products, autograd through every layer.
        u, i, u_sum, i_sum = u0, i0, u0, i0
        for _ in range(num_layers):
            u, i = dense @ i, dense.T @ u
            u_sum, i_sum = u_sum + u, i_sum + i
        ref_u, ref_i = u_sum / (num_layers + 1), i_sum / (num_layers + 1)
        w_u, w_i = torch.randn_like(ref_u), torch.randn_like(ref_i)
        ref_gu, ref_gi = torch.autograd.grad((ref_u * w_u).sum() + (ref_i * w_i).sum(), [u0, i0])

        out_u, out_i = layer_mean(op, u0, i0, num_layers)
        gu, gi = torch.autograd.grad((out_u * w_u).sum() + (out_i * w_i).sum(), [u0, i0])
        assert torch.allclose(out_u, ref_u, atol=1e-5) and torch.allclose(out_i, ref_i, atol=1e-5)
        assert torch.allclose(gu, ref_gu, atol=1e-5) and torch.allclose(gi, ref_gi, atol=1e-5)


def test_sparse_operator_gradient_is_the_transpose() -> None:
    row, col = torch.tensor([0, 1, 1]), torch.tensor([2, 0, 1])
    op = SparseOperator.from_edges(row, col, torch.tensor([1.0, 2.0, 3.0]), (2, 3))
    x = torch.randn(3, 2, requires_grad=True)
    (op @ x).sum().backward()
    dense = op.matrix.to_dense()
    assert x.grad is not None and torch.allclose(x.grad, dense.T @ torch.ones(2, 2))


def test_spmm_matches_the_dense_product_with_empty_rows_and_a_scale() -> None:
    # rows 1 and 3 of the 4 x 5 matrix are empty, and so are columns 0 and 4
    row, col = torch.tensor([0, 0, 2, 2, 2]), torch.tensor([1, 3, 1, 2, 3])
    op = SparseOperator.from_edges(row, col, torch.tensor([0.5, 2.0, 1.0, -1.0, 3.0]), (4, 5))
    dense = op.matrix.to_dense()
    x, y = torch.randn(5, 3), torch.randn(4, 3)
    assert torch.allclose(spmm(op.matrix, x), dense @ x, atol=1e-6)
    assert torch.equal(spmm(op.matrix, x)[[1, 3]], torch.zeros(2, 3))
    assert torch.allclose(spmm(op.matrix, x, 0.25), 0.25 * (dense @ x), atol=1e-6)
    assert torch.allclose(spmm(op.matrix_t, y), dense.T @ y, atol=1e-6)
    assert torch.allclose(spmm(op.matrix.double(), x.double()), dense.double() @ x.double())
    wide = torch.randn(3, 5).T  # a transposed (non-contiguous) table
    assert torch.allclose(spmm(op.matrix, wide), dense @ wide, atol=1e-6)
