"""Sparse propagation shared by the graph models.

Every model here propagates embeddings with fixed, normalised sparse matrices
built once per training graph (never per batch). :class:`SparseOperator` keeps a
matrix and its transpose in CSR form and multiplies through a custom autograd
function, so the backward pass is one more CSR product instead of the COO
transpose-and-coalesce that ``torch.sparse.mm`` performs at every step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, matrix: Tensor, matrix_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.matrix_t = matrix_t
        return matrix @ x

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, None, Tensor]:  # type: ignore[override]
        return None, None, ctx.matrix_t @ grad


@dataclass
class SparseOperator:
    """A fixed sparse matrix ``A`` (CSR) with its transpose, applied as ``A @ x``."""

    matrix: Tensor
    matrix_t: Tensor

    @classmethod
    def from_edges(
        cls, row: Tensor, col: Tensor, value: Tensor, shape: tuple[int, int]
    ) -> SparseOperator:
        # Indices come from our own edge lists, in range by construction.
        coo = torch.sparse_coo_tensor(
            torch.stack([row, col]), value, shape, check_invariants=False
        ).coalesce()
        coo_t = torch.sparse_coo_tensor(
            torch.stack([col, row]), value, (shape[1], shape[0]), check_invariants=False
        ).coalesce()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            return cls(coo.to_sparse_csr(), coo_t.to_sparse_csr())

    def __matmul__(self, x: Tensor) -> Tensor:
        return _SpMM.apply(self.matrix, self.matrix_t, x)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.matrix.shape[0]), int(self.matrix.shape[1]))

    def to(self, device: torch.device | str) -> SparseOperator:
        return SparseOperator(self.matrix.to(device), self.matrix_t.to(device))


def degree(index: Tensor, num_nodes: int) -> Tensor:
    return torch.bincount(index, minlength=num_nodes).to(torch.float32)


def symmetric_norm(row: Tensor, col: Tensor, num_rows: int, num_cols: int) -> Tensor:
    r""":math:`1 / \sqrt{|N(r)| |N(c)|}` for each edge (r, c) of a bipartite graph."""
    d_row = degree(row, num_rows).clamp(min=1)
    d_col = degree(col, num_cols).clamp(min=1)
    return d_row[row].rsqrt() * d_col[col].rsqrt()


def bipartite_operators(
    users: Tensor, items: Tensor, num_users: int, num_items: int
) -> tuple[SparseOperator, SparseOperator]:
    r"""The two halves of LightGCN's normalised adjacency.

    ``item_to_user @ e_items`` gives :math:`\sum_{i \in N_u} e_i / \sqrt{|N_u||N_i|}`
    for every user, ``user_to_item @ e_users`` the same for items.
    """
    w = symmetric_norm(users, items, num_users, num_items)
    to_user = SparseOperator.from_edges(users, items, w, (num_users, num_items))
    return to_user, SparseOperator(to_user.matrix_t, to_user.matrix)


def square_operator(src: Tensor, dst: Tensor, num_nodes: int) -> SparseOperator:
    r"""Symmetric-normalised operator of a graph given in both directions (friends)."""
    w = symmetric_norm(src, dst, num_nodes, num_nodes)
    return SparseOperator.from_edges(dst, src, w, (num_nodes, num_nodes))
