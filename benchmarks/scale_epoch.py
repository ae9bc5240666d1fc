"""One training epoch of the social model on the 1 M-user synthetic graph.

Usage: python -m benchmarks.scale_epoch [--batch-size 262144] [--layers 2]

Uses the graph that benchmarks/export_rate.py loads into the benchmark
instance (1 M users, about 10 M interactions and 2 M friendships), exported once
to benchmarks/out/synthetic-1m.pt. Records the epoch time and the peak RSS
of this process (export included when it happens here).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_runner, write_section
from socialrec.export import Exporter, GraphSnapshot
from socialrec.models import TrainGraph
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, train

SNAPSHOT = Path(__file__).resolve().parent / "out" / "synthetic-1m.pt"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=262_144)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--wipe-my-database", action="store_true")
    args = parser.parse_args()
    if SNAPSHOT.exists():
        snapshot = GraphSnapshot.load(SNAPSHOT)
    else:
        with bench_runner(args.wipe_my_database) as runner:
            snapshot = Exporter(runner, progress=False).full()
        snapshot.save(SNAPSHOT)
    t = time.perf_counter()
    sp = split(snapshot, "random", (0.8, 0.1, 0.1), seed=0)
    graph = TrainGraph.build(snapshot, sp.train)
    prep = time.perf_counter() - t
    # One epoch; the validation run at its end is part of what is timed.
    config = TrainConfig(
        model="social",
        epochs=1,
        eval_every=1,
        batch_size=args.batch_size,
        num_layers=args.layers,
        device="cpu",
    )
    result = train(graph, sp, config)
    epoch = result.history[0]["seconds"]
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    lines = [
        f"Graph: {snapshot.data['user'].num_nodes:,} users, "
        f"{snapshot.data['item'].num_nodes:,} items, "
        f"{sp.train.shape[1]:,} training interactions, "
        f"{snapshot.data['user', 'friends', 'user'].edge_index.shape[1] // 2:,} friendships.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| split + build the CSR operators | {prep:.1f} |",
        f"| one epoch of `social` ({args.layers} layers, batch {args.batch_size:,}, "
        f"{int(np.ceil(sp.train.shape[1] / args.batch_size))} steps) | {epoch:.1f} |",
        f"| validation (full ranking of a {config.valid_users:,}-user sample) and final "
        f"forward | {result.seconds - epoch:.1f} |",
        "",
        f"Peak RSS of the process: {peak_gb:.1f} GB (target < 10 GB).",
    ]
    write_section("Scale: one epoch on 1 M users (issue 4)", "\n".join(lines))


if __name__ == "__main__":
    main()
