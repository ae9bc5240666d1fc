"""Sparse-dense products on CPU: socialrec's ``embedding_bag`` kernel vs MKL's CSR product.

Usage: python -m benchmarks.spmm_kernels [--dims 64] [--repeats 5] [--skip-1m]

Times ``socialrec.models.propagation.spmm`` (a CSR matrix applied as an
``embedding_bag`` sum) against ``matrix @ x`` (MKL's CSR product, which PyTorch
calls for CPU CSR tensors) on the operators that the models propagate with:
LastFM's training graph (80 %) and the seeded 1 M-user synthetic graph
(``scale_epoch --from-generator``'s). The two kernels alternate, and each
figure is the median of ``--repeats`` calls after a warm-up call. Both results
are checked to agree.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from benchmarks.common import lastfm_snapshot, write_section
from socialrec.export import GraphSnapshot
from socialrec.models import TrainGraph
from socialrec.models.propagation import spmm
from socialrec.train.allocator import keep_freed_memory
from socialrec.train.splits import split


def _interleaved_ms(
    first: Callable[[], object], second: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median milliseconds of each, called alternately after one warm-up call each."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, out in ((first, times[0]), (second, times[1])):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return float(np.median(times[0])) * 1000, float(np.median(times[1])) * 1000


def operator_rows(name: str, snapshot: GraphSnapshot, dims: int, repeats: int) -> list[str]:
    sp = split(snapshot, "random", (0.8, 0.1, 0.1), seed=0)
    graph = TrainGraph.build(snapshot, sp.train)
    gen = torch.Generator().manual_seed(0)
    users = torch.randn(sp.num_users, dims, generator=gen)
    items = torch.randn(sp.num_items, dims, generator=gen)
    operators = [
        ("item to user", graph.item_to_user, items),
        ("user to item", graph.user_to_item, users),
    ]
    if graph.friends is not None:
        operators.append(("friends", graph.friends, users))
    rows = []
    for label, op, x in operators:
        matrix = op.matrix
        if not torch.allclose(spmm(matrix, x), matrix @ x, atol=1e-4):
            raise SystemExit(f"{name} {label}: the two kernels disagree")
        ours, mkl = _interleaved_ms(
            partial(spmm, matrix, x), partial(torch.Tensor.matmul, matrix, x), repeats
        )
        rows.append(
            f"| {name} | {label} | {matrix.shape[0]:,} x {matrix.shape[1]:,} | "
            f"{matrix.values().numel():,} | {ours:.2f} | {mkl:.2f} | {mkl / ours:.1f}x |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dims", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-1m", action="store_true", help="LastFM only")
    args = parser.parse_args()
    keep_freed_memory()  # as train() does on CPU
    rows = operator_rows("LastFM", lastfm_snapshot(), args.dims, args.repeats)
    if not args.skip_1m:
        from benchmarks.scale_epoch import generated_snapshot

        rows += operator_rows("synthetic 1 M", generated_snapshot(), args.dims, args.repeats)
    lines = [
        f"`matrix @ x` for the models' normalised CSR operators, x with {args.dims} columns, "
        f"{torch.get_num_threads()} threads; median of {args.repeats} calls each, the two "
        "kernels alternating.",
        "",
        "| graph | operator | shape | non-zeros | embedding_bag (ms) | MKL CSR (ms) | ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "socialrec uses `embedding_bag` on CPU (`socialrec/models/propagation.py:spmm`) "
        "and the CSR product (cuSPARSE) on CUDA.",
    ]
    write_section("Sparse products on CPU: embedding_bag vs MKL (issue 4)", "\n".join(lines))


if __name__ == "__main__":
    main()
