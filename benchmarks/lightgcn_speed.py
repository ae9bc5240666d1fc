"""LightGCN epoch time: socialrec vs torch_geometric.nn.models.LightGCN, side by side.

Usage: python -m benchmarks.lightgcn_speed [--device cpu|cuda] [--stock-batches N] [--rounds 3]

Both train LightGCN (64 dims, 3 layers, BPR, Adam) on the same LastFM training
split. The stock model is trained the straightforward way of PyG's example:
per batch of 2,048 (user, positive, negative) triples, ``model(edge_index,
edge_label_index)``, which re-normalises the graph and propagates it at every
step. socialrec builds its normalised CSR operators once. Times are per
epoch over the same number of triples; the stock epoch is extrapolated from
``--stock-batches`` timed batches when that is set (0: a whole epoch).

The two are interleaved (``--rounds`` times: a stock epoch, then socialrec's
epochs) and the medians are compared, so that a slow spell of a shared machine
weighs on both sides. Both run under the same malloc setting
(:func:`socialrec.train.allocator.keep_freed_memory`, which ``train`` applies on
CPU), applied before the first round.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import describe_device, lastfm_snapshot, write_section
from socialrec.models import TrainGraph
from socialrec.train.allocator import keep_freed_memory
from socialrec.train.negatives import NegativeSampler
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, train


def stock_epoch(sp, device: torch.device, batch: int, max_batches: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from torch_geometric.nn.models import LightGCN

    n_u, n_i = sp.num_users, sp.num_items
    u = torch.from_numpy(sp.train[0])
    i = torch.from_numpy(sp.train[1]) + n_u
    edge_index = torch.cat([torch.stack([u, i]), torch.stack([i, u])], dim=1).to(device)
    model = LightGCN(n_u + n_i, embedding_dim=64, num_layers=3).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    rng = np.random.default_rng(0)
    sampler = NegativeSampler(sp.train, n_i, rng)
    order = rng.permutation(sp.train.shape[1])
    n_batches = 0
    t = time.perf_counter()
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        users = torch.from_numpy(sp.train[0][idx])
        pos = torch.from_numpy(sp.train[1][idx]) + n_u
        neg = torch.from_numpy(sampler.sample(sp.train[0][idx])) + n_u
        label_index = torch.stack([torch.cat([users, users]), torch.cat([pos, neg])]).to(device)
        pos_rank, neg_rank = model(edge_index, label_index).chunk(2)
        loss = model.recommendation_loss(pos_rank, neg_rank, node_id=label_index.unique())
        opt.zero_grad()
        loss.backward()
        opt.step()
        n_batches += 1
        if max_batches and n_batches >= max_batches:
            break
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t
    total_batches = -(-len(order) // batch)
    return elapsed * total_batches / n_batches, n_batches


def ours_epoch(snapshot, sp, device: torch.device, batch: int) -> float:  # type: ignore[no-untyped-def]
    graph = TrainGraph.build(snapshot, sp.train)
    # One uniform negative per positive, as the stock model is trained here.
    config = TrainConfig(
        model="lightgcn",
        embedding_dim=64,  # the stock model's size (the default is larger)
        num_layers=3,
        epochs=5,
        eval_every=1000,
        batch_size=batch,
        device=str(device),
        lr=0.001,
        negatives=1,
    )
    result = train(graph, sp, config)
    return float(np.median([h["seconds"] for h in result.history[1:]]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--stock-batches", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cpu":
        keep_freed_memory()
    snapshot = lastfm_snapshot()
    sp = split(snapshot, "random", (0.8, 0.1, 0.1), seed=0)
    stocks, ours_2048s, ours_defaults = [], [], []
    for r in range(args.rounds):
        stock_r, timed = stock_epoch(sp, device, 2048, args.stock_batches)
        stocks.append(stock_r)
        ours_2048s.append(ours_epoch(snapshot, sp, device, 2048))
        ours_defaults.append(ours_epoch(snapshot, sp, device, TrainConfig().batch_size))
        print(
            f"round {r + 1}: stock {stock_r:.2f} s, socialrec {ours_2048s[-1]:.3f} s (2048) "
            f"{ours_defaults[-1]:.3f} s ({TrainConfig().batch_size})",
            flush=True,
        )
    stock = float(np.median(stocks))
    ours_2048 = float(np.median(ours_2048s))
    ours_default = float(np.median(ours_defaults))
    how = "timed whole" if not args.stock_batches else f"extrapolated from {timed} batches"
    lines = [
        f"LastFM training split: {sp.train.shape[1]:,} interactions, "
        f"{sp.num_users:,} users, {sp.num_items:,} items; device {describe_device(device)}.",
        "",
        "| LightGCN (64 dims, 3 layers) | batch | seconds / epoch | speed-up |",
        "|---|---:|---:|---:|",
        f"| torch_geometric LightGCN, per-batch forward(edge_index) | 2048 | {stock:.2f} | 1.0x |",
        f"| socialrec LightGCN | 2048 | {ours_2048:.2f} | {stock / ours_2048:.1f}x |",
        f"| socialrec LightGCN (default batch) | {TrainConfig().batch_size} | "
        f"{ours_default:.2f} | {stock / ours_default:.1f}x |",
        "",
        f"Medians over {args.rounds} interleaved rounds (stock epoch {how}; socialrec: "
        "median of epochs 2-5 in each round). Per round, stock / socialrec 2048 / "
        f"socialrec {TrainConfig().batch_size}: "
        + "; ".join(
            f"{a:.2f} / {b:.3f} / {c:.3f}"
            for a, b, c in zip(stocks, ours_2048s, ours_defaults, strict=True)
        )
        + " s.",
    ]
    write_section(f"LightGCN epoch time, {device.type} (issue 4)", "\n".join(lines))


if __name__ == "__main__":
    main()
