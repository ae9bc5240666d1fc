"""One training epoch of the social model on the 1 M-user synthetic graph.

Usage: python -m benchmarks.scale_epoch [--batch-size 262144] [--layers 2] [--from-generator]

Uses the graph that benchmarks/export_rate.py loads into the benchmark
instance (1 M users, about 10 M interactions and 2 M friendships), exported once
to benchmarks/out/synthetic-1m.pt. Records the epoch time and the peak RSS
of this process (export included when it happens here).

``--from-generator`` builds the same seeded graph straight from the synthetic
generator instead (10 s, no Neo4j, whose 1 M-user load takes 17 minutes here):
what is measured, training, does not depend on how the snapshot was made.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_runner, write_section
from benchmarks.export_rate import INTERACTIONS_PER_USER
from socialrec.export import Exporter, GraphSnapshot
from socialrec.export.tables import EdgeList, NodeTable, build_hetero_data
from socialrec.load.synthetic import SyntheticConfig, SyntheticGraph
from socialrec.mapping import GraphMapping
from socialrec.models import TrainGraph
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, train

SNAPSHOT = Path(__file__).resolve().parent / "out" / "synthetic-1m.pt"


def generated_snapshot(
    users: int = 1_000_000, items: int = 200_000, config: SyntheticConfig | None = None
) -> GraphSnapshot:
    """export_rate's graph from the generator (or ``config``'s): interactions and
    friendships de-duplicated as the loader's MERGE does (an interaction keeps
    its first time), friendships in both directions."""
    config = config or SyntheticConfig(
        users=users,
        items=items,
        attributes=500,
        communities=200,
        interactions_per_user=INTERACTIONS_PER_USER,
    )
    users, items = config.users, config.items
    graph = SyntheticGraph(config)
    inter_keys, inter_times, friend_keys = [], [], []
    for c in graph.user_chunks():
        keys, first = np.unique(c.users * items + c.items, return_index=True)
        inter_keys.append(keys)
        inter_times.append(c.times[first])
        lo, hi = np.minimum(c.friend_a, c.friend_b), np.maximum(c.friend_a, c.friend_b)
        friend_keys.append((lo * users + hi)[lo != hi])
    # users are chunked in order, so the keys of all chunks are sorted and distinct
    inter, times = np.concatenate(inter_keys), np.concatenate(inter_times)
    pairs = np.unique(np.concatenate(friend_keys))
    a, b = pairs // users, pairs % users
    has = np.concatenate([np.stack(p) for p in graph.item_attributes()], axis=1)
    tables = [
        NodeTable(r, np.arange(n), np.arange(n)) for r, n in (("user", users), ("item", items))
    ]
    n_attrs = config.attributes
    attrs = NodeTable("attribute", np.arange(n_attrs), np.arange(n_attrs))
    data = build_hetero_data(
        tables[0],
        tables[1],
        attrs,
        EdgeList(inter // items, inter % items, np.ones(len(inter)), times),
        EdgeList(np.concatenate([a, b]), np.concatenate([b, a])),
        EdgeList(has[0], has[1], np.ones(has.shape[1])),
    )
    ids = {"user": tables[0].ids, "item": tables[1].ids, "attribute": attrs.ids}
    return GraphSnapshot(data=data, ids=ids, mapping=GraphMapping())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=262_144)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--wipe-my-database", action="store_true")
    parser.add_argument("--from-generator", action="store_true")
    args = parser.parse_args()
    source = f"exported from Neo4j ({SNAPSHOT.name})"
    if args.from_generator:
        snapshot = generated_snapshot()
        source = "built by the seeded generator (`--from-generator`), as export_rate loads it"
    elif SNAPSHOT.exists():
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
        f"{snapshot.data['user', 'friends', 'user'].edge_index.shape[1] // 2:,} friendships; "
        f"{source}.",
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
