"""Where exact scoring's time goes: matrix products, top-k selection, exclusions.

Usage: python -m benchmarks.score_profile [--users 10000] [--chunk 1000]

On the 1 M-user synthetic snapshot (benchmarks/out/synthetic-1m.pt, 200 k
items), the benchmark's popularity model (64 dimensions): each stage of
:func:`socialrec.topk.iter_top_k` timed on its own for ``--users`` random
users in chunks of ``--chunk``, then the whole of it, with the selection it
replaced (one ``torch.topk`` over every item) side by side. The figure per
100,000 users and the 1 M-user extrapolation are what a full sync pays.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import describe_device, write_section
from benchmarks.writeback_rate import SNAPSHOT, popularity_model
from socialrec.export import GraphSnapshot
from socialrec.topk import BLOCK, block_top_k, iter_top_k


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t) / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--k", type=int, default=20)
    args = parser.parse_args()
    snapshot = GraphSnapshot.load(SNAPSHOT)
    scorer = popularity_model(snapshot)
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(snapshot.num_nodes("user"), args.users, replace=False))
    n_items = snapshot.num_nodes("item")
    user_emb, item_emb = scorer.user_embedding, scorer.item_embedding
    chunks = -(-args.users // args.chunk)
    batch = torch.as_tensor(users[: args.chunk])
    buffer = torch.empty(args.chunk, n_items)
    scores = torch.mm(user_emb[batch], item_emb.T, out=buffer)
    rows, cols = scorer.interactions.gather(users[: args.chunk])
    stage = {
        "matrix product (chunk x items)": timed(
            lambda: torch.mm(user_emb[batch], item_emb.T, out=buffer), 3
        ),
        "exclusion mask (-inf at the user's items)": timed(
            lambda: scores.__setitem__((torch.as_tensor(rows), torch.as_tensor(cols)), -torch.inf),
            3,
        ),
        "top-k: `torch.topk` over every item": timed(lambda: torch.topk(scores, args.k, 1), 3),
    }
    padded = -(-n_items // BLOCK) * BLOCK
    wide = torch.full((args.chunk, padded), -torch.inf)
    wide[:, :n_items] = scores
    stage[f"top-k: block maxima ({BLOCK} items a block)"] = timed(
        lambda: block_top_k(wide, args.k), 3
    )
    assert torch.equal(block_top_k(wide, args.k)[0], torch.topk(scores, args.k, 1).values)

    t = time.perf_counter()
    for _ in iter_top_k(user_emb, item_emb, users, args.k, scorer.interactions, chunk=args.chunk):
        pass
    whole = time.perf_counter() - t
    before = (
        stage["matrix product (chunk x items)"]
        + stage["exclusion mask (-inf at the user's items)"]
        + stage["top-k: `torch.topk` over every item"]
    ) * chunks
    per_100k = whole / args.users * 100_000
    lines = [
        f"{args.users:,} random users of the 1 M-user graph x {n_items:,} items, 64 dimensions, "
        f"top-{args.k}, chunks of {args.chunk:,} users, {describe_device('cpu')}.",
        "",
        f"| stage, one chunk of {args.chunk:,} users | seconds |",
        "|---|---:|",
        *(f"| {name} | {s:.3f} |" for name, s in stage.items()),
        "",
        "| scoring | seconds | per 100,000 users | 1 M users |",
        "|---|---:|---:|---:|",
        f"| before: `torch.topk` over every item (sum of the stages) | {before:.1f} | "
        f"{before / args.users * 100_000:.0f} s | {before / args.users * 1_000_000:.0f} s |",
        f"| `iter_top_k` now (block maxima) | {whole:.1f} | {per_100k:.0f} s | "
        f"{per_100k * 10:.0f} s |",
        "",
        f"The matrix product is {2 * 64 * n_items * args.chunk / 1e9:.1f} GFLOP a chunk, "
        f"{2 * 64 * n_items * args.chunk / 1e9 / stage['matrix product (chunk x items)']:.0f} "
        "GFLOP/s here.",
    ]
    write_section("Scoring profile (issue 15)", "\n".join(lines))


if __name__ == "__main__":
    main()
