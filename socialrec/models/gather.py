r"""Row gathers for the losses, with a cheaper backward than ``table[index]``.

A loss reads a few thousand rows of the propagated user and item tables; the
gradient of those tables is zero everywhere else. Autograd's backward of
``table[index]`` builds a zero table per gather and scatters with
``index_put_(accumulate=True)``, and the three gathers of a BPR batch (user,
positive, negative) give three zero tables that are then added up; on CPU
those fills and adds are a sizeable part of a LightGCN step.
:func:`gather_rows` scatters one gather's rows into one zero table:

- on CPU with ``index_add_`` (several times faster there than ``index_put_``);
- elsewhere with ``index_put_(accumulate=True)``, whose CUDA kernel sums
  duplicate rows in a fixed order, so that GPU runs repeat exactly (CUDA's
  ``index_add_`` uses atomics).

With ``sparse_grad=True`` the gradient is a sparse COO tensor instead: used for
the L2 term on the free (layer-0) embeddings, whose parameters also receive the
dense gradient of the propagation, into which autograd adds the sparse one in
place (no second zero table, no dense add).
"""

from __future__ import annotations

import torch
from torch import Tensor


class _GatherRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx, table: Tensor, index: Tensor, sparse_grad: bool) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(index)
        ctx.table_shape = table.shape
        ctx.sparse_grad = sparse_grad
        return table.index_select(0, index)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        (index,) = ctx.saved_tensors
        if ctx.sparse_grad:
            sparse = torch.sparse_coo_tensor(
                index.unsqueeze(0), grad, ctx.table_shape, check_invariants=False
            )
            return sparse, None, None
        return scatter_rows(grad, index, ctx.table_shape[0]), None, None


def gather_rows(table: Tensor, index: Tensor, sparse_grad: bool = False) -> Tensor:
    """``table[index]`` for a 1-D ``index``, differentiable with respect to ``table``.

    Args:
        table (torch.Tensor): the rows to read, ``[N, ...]``.
        index (torch.Tensor): row numbers, ``[B]`` (repeats allowed).
        sparse_grad (bool): give ``table`` a sparse COO gradient. Only for a
            table that also gets a dense gradient elsewhere in the same
            backward pass (an optimiser such as fused Adam takes dense
            gradients only). (default: ``False``)
    """
    return _GatherRows.apply(table, index.reshape(-1), sparse_grad)  # type: ignore[no-any-return]


def scatter_rows(rows: Tensor, index: Tensor, num_rows: int) -> Tensor:
    """A zero table of ``num_rows`` rows with ``rows`` added at ``index`` (summing repeats)."""
    out = rows.new_zeros((num_rows, *rows.shape[1:]))
    if rows.device.type == "cpu":
        return out.index_add_(0, index, rows)
    return out.index_put_((index,), rows, accumulate=True)
