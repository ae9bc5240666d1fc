r"""Sparse propagation shared by the graph models.

Every model here propagates embeddings with fixed, normalised sparse matrices
built once per training graph (never per batch). :class:`SparseOperator` keeps a
matrix and its transpose in CSR form and multiplies through a custom autograd
function, so the backward pass is one more CSR product instead of the COO
transpose-and-coalesce that ``torch.sparse.mm`` performs at every step.

The CSR index arrays are int32 where they fit (MKL's sparse routines and the
``embedding_bag`` kernel below take them as they are; int64 ones would be
converted on every call). On CPU, :func:`spmm` computes a CSR product as an
``embedding_bag`` sum: each row of the matrix is a bag of rows of ``x`` weighted
by the row's values. That is the kernel PyTorch tunes for recommendation
models' embedding tables, and faster than the MKL CSR product that
``matrix @ x`` calls (without MKL's inspector-executor optimisation; the
figures are ``benchmarks/spmm_kernels.py``'s in RESULTS.md). On CUDA the CSR
product (cuSPARSE) stays.

:func:`layer_mean` is LightGCN's whole propagation as one autograd function: the
operator :math:`\frac{1}{K+1}\sum_k \hat A^k` is symmetric, so its backward is
the same propagation applied to the gradient, with no per-layer autograd graph
and nothing saved between forward and backward.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


def spmm(matrix: Tensor, x: Tensor, scale: float = 1.0) -> Tensor:
    """``scale * (matrix @ x)`` for a CSR ``matrix`` and a dense 2-D ``x`` (no autograd)."""
    values = matrix.values()
    if x.device.type == "cpu" and x.dtype == values.dtype:
        return F.embedding_bag(
            matrix.col_indices(),
            x.contiguous(),
            matrix.crow_indices(),
            mode="sum",
            per_sample_weights=values * scale if scale != 1.0 else values,
            include_last_offset=True,
        )
    out = matrix @ x
    return out.mul_(scale) if scale != 1.0 else out


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, matrix: Tensor, matrix_t: Tensor, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.matrix_t = matrix_t
        return spmm(matrix, x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, None, Tensor]:  # type: ignore[override]
        return None, None, spmm(ctx.matrix_t, grad)


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
            return cls(_csr(coo), _csr(coo_t))

    def __matmul__(self, x: Tensor) -> Tensor:
        return _SpMM.apply(self.matrix, self.matrix_t, x)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.matrix.shape[0]), int(self.matrix.shape[1]))

    def to(self, device: torch.device | str) -> SparseOperator:
        return SparseOperator(self.matrix.to(device), self.matrix_t.to(device))


def operator_rows(op: SparseOperator) -> Tensor:
    """The row of every stored entry of ``op``'s matrix, in storage order (int64)."""
    crow = op.matrix.crow_indices().long()
    return torch.repeat_interleave(torch.arange(len(crow) - 1, device=crow.device), crow.diff())


def reweighted_spmm(op: SparseOperator, weight: Tensor, x: Tensor) -> Tensor:
    """``op``'s product with ``x`` where every stored entry's value is replaced
    by ``weight`` (one per entry, in storage order), differentiable in both:
    the attention and edge-mask models' per-edge re-weighting, through the same
    ``embedding_bag`` kernel as :func:`spmm`."""
    return F.embedding_bag(
        op.matrix.col_indices(),
        x,
        op.matrix.crow_indices(),
        mode="sum",
        per_sample_weights=weight,
        include_last_offset=True,
    )


def _csr(coo: Tensor) -> Tensor:
    """CSR of a coalesced COO matrix, with int32 indices when they fit."""
    csr = coo.to_sparse_csr()
    if csr.values().numel() >= 2**31 - 1 or max(csr.shape) >= 2**31 - 1:
        return csr
    return torch.sparse_csr_tensor(
        csr.crow_indices().to(torch.int32),
        csr.col_indices().to(torch.int32),
        csr.values(),
        csr.shape,
        check_invariants=False,
    )


def _layer_mean(
    to_user: Tensor, to_item: Tensor, u: Tensor, i: Tensor, num_layers: int
) -> tuple[Tensor, Tensor]:
    # Horner's rule: s(x + Ax + A^2x + A^3x) = s(x + A(x + A(x + Ax))), one
    # product and one in-place add per layer and side instead of a product, an
    # accumulation and a final scaling over the whole embedding table. The
    # scale s goes into the last layer's product and add, so no scaled copy of
    # the tables is made: on CPU a step is bound by memory traffic, and every
    # item-table pass saved shows.
    if num_layers == 0:
        return u.clone(), i.clone()
    scale = 1.0 / (num_layers + 1)
    yu, yi = u, i
    for k in range(num_layers):
        c = scale if k == num_layers - 1 else 1.0
        yu, yi = (
            spmm(to_user, yi, c).add_(u, alpha=c),
            spmm(to_item, yu, c).add_(i, alpha=c),
        )
    return yu, yi


class _LayerMean(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx, to_user: Tensor, to_item: Tensor, u: Tensor, i: Tensor, num_layers: int
    ) -> tuple[Tensor, Tensor]:
        ctx.operators = (to_user, to_item, num_layers)
        return _layer_mean(to_user, to_item, u, i, num_layers)

    @staticmethod
    def backward(ctx, grad_u: Tensor, grad_i: Tensor) -> tuple[None, None, Tensor, Tensor, None]:  # type: ignore[override]
        to_user, to_item, num_layers = ctx.operators
        # The layer-mean operator is symmetric: its transpose is itself.
        gu, gi = _layer_mean(to_user, to_item, grad_u.contiguous(), grad_i.contiguous(), num_layers)
        return None, None, gu, gi, None


def layer_mean(
    item_to_user: SparseOperator, user: Tensor, item: Tensor, num_layers: int
) -> tuple[Tensor, Tensor]:
    r"""LightGCN's propagation of a bipartite graph, averaged over layers.

    .. math::
        [\mathbf{E}_U; \mathbf{E}_I] = \frac{1}{K+1} \sum_{k=0}^{K} \hat{A}^k
        [\mathbf{E}^{(0)}_U; \mathbf{E}^{(0)}_I],
        \qquad
        \hat{A} = \begin{bmatrix} 0 & A \\ A^\top & 0 \end{bmatrix}

    with ``item_to_user`` holding :math:`A` (and :math:`A^\top`).
    """
    return _LayerMean.apply(  # type: ignore[no-any-return]
        item_to_user.matrix, item_to_user.matrix_t, user, item, num_layers
    )


def degree(index: Tensor, num_nodes: int) -> Tensor:
    return torch.bincount(index, minlength=num_nodes).to(torch.float32)


def symmetric_norm(
    row: Tensor, col: Tensor, num_rows: int, num_cols: int, weight: Tensor | None = None
) -> Tensor:
    r""":math:`1 / \sqrt{|N(r)| |N(c)|}` for each edge (r, c) of a bipartite graph;
    with edge weights :math:`w`, :math:`w_{rc} / \sqrt{D_r D_c}` where :math:`D` are
    the weighted degrees (:math:`D_r = \sum_c w_{rc}`)."""
    if weight is None:
        d_row = degree(row, num_rows).clamp(min=1)
        d_col = degree(col, num_cols).clamp(min=1)
        return d_row[row].rsqrt() * d_col[col].rsqrt()
    w = weight.to(torch.float64)  # tiny decayed weights next to ones
    d_row = torch.zeros(num_rows, dtype=torch.float64).index_add_(0, row, w)
    d_col = torch.zeros(num_cols, dtype=torch.float64).index_add_(0, col, w)
    tiny = torch.finfo(torch.float64).tiny
    norm = w * d_row[row].clamp(min=tiny).rsqrt() * d_col[col].clamp(min=tiny).rsqrt()
    return norm.to(torch.float32)


def bipartite_operators(
    users: Tensor,
    items: Tensor,
    num_users: int,
    num_items: int,
    weight: Tensor | None = None,
) -> tuple[SparseOperator, SparseOperator]:
    r"""The two halves of LightGCN's normalised adjacency.

    ``item_to_user @ e_items`` gives :math:`\sum_{i \in N_u} e_i / \sqrt{|N_u||N_i|}`
    for every user, ``user_to_item @ e_users`` the same for items. With edge
    ``weight`` (recency), each term is weighted and the degrees are weighted
    ones (:func:`symmetric_norm`), so the operator stays symmetric and
    LightGCN's layer mean keeps its backward.
    """
    w = symmetric_norm(users, items, num_users, num_items, weight)
    to_user = SparseOperator.from_edges(users, items, w, (num_users, num_items))
    return to_user, SparseOperator(to_user.matrix_t, to_user.matrix)


def square_operator(src: Tensor, dst: Tensor, num_nodes: int) -> SparseOperator:
    r"""Symmetric-normalised operator of a graph given in both directions (friends)."""
    w = symmetric_norm(src, dst, num_nodes, num_nodes)
    return SparseOperator.from_edges(dst, src, w, (num_nodes, num_nodes))
