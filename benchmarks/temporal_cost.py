"""What the time-aware options cost per epoch, on a LastFM-size graph (issue 17).

Usage: python -m benchmarks.temporal_cost [--epochs 5] [--dim 256]

LastFM has no listen times, so the graph is the seeded generator's at LastFM's
size (1,892 users, 17,632 items, about 49 interactions and 6.7 friendships per
user), dated, with taste drift. Each model trains ``--epochs`` epochs with the
default recipe and no validation; the figure is the mean epoch, the first one
(warm-up) left out. The last row trains with ``--recency-days`` on the same
graph with every time removed: the option is then a no-op, and costs nothing.
The ``sequence`` row compares with ``social``, its graph part.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from benchmarks.common import describe_device, write_section
from benchmarks.scale_epoch import generated_snapshot
from socialrec.export.snapshot import INTERACTS
from socialrec.load.synthetic import SyntheticConfig
from socialrec.train import experiment
from socialrec.train.config import TrainConfig
from socialrec.train.splits import split

LASTFM_SIZE = SyntheticConfig(
    users=1892,
    items=17_632,
    attributes=200,
    communities=20,
    interactions_per_user=49.0,
    friends_per_user=6.7,
    drift=0.5,
)
#: (row, model, recency days, period days, times kept)
ROWS = (
    ("lightgcn", "lightgcn", 0.0, 0.0, True),
    ("lightgcn + recency, no times", "lightgcn", 365.0, 0.0, False),
    ("lightgcn + recency", "lightgcn", 365.0, 0.0, True),
    ("lightgcn + periods", "lightgcn", 0.0, 90.0, True),
    ("social", "social", 0.0, 0.0, True),
    ("social + recency", "social", 365.0, 0.0, True),
    ("social + periods", "social", 0.0, 90.0, True),
    ("sequence (social + STAMP)", "sequence", 0.0, 0.0, True),
    ("hybrid", "hybrid", 0.0, 0.0, True),
    ("hybrid + recency", "hybrid", 365.0, 0.0, True),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--dim", type=int, default=TrainConfig.embedding_dim)
    parser.add_argument("--section", default="Time-aware training cost (issue 17)")
    args = parser.parse_args()
    timed = generated_snapshot(config=LASTFM_SIZE)
    untimed = generated_snapshot(config=LASTFM_SIZE)
    store = untimed.data[INTERACTS]
    store.edge_time = store.edge_time * 0 - 1
    base = TrainConfig(
        embedding_dim=args.dim,
        epochs=args.epochs,
        eval_every=10_000,  # no validation: epochs only
        device="cpu",
    )
    n = timed.data[INTERACTS].edge_index.shape[1]
    lines = [
        "| model | s/epoch | vs its static model |",
        "|---|---|---|",
    ]
    static: dict[str, float] = {}
    for row, model, days, period, keep_times in ROWS:
        snapshot = timed if keep_times else untimed
        sp = split(snapshot, "random", (0.9, 0.1, 0.0), 0)
        config = replace(base, model=model, recency_days=days, period_days=period)
        result = experiment.fit(snapshot, sp, config)
        seconds = float(np.mean([h["seconds"] for h in result.history[1:]]))
        key = "social" if model == "sequence" else model
        if days == 0 and period == 0 and model != "sequence":
            static[key] = seconds
        ratio = seconds / static[key] if key in static else float("nan")
        lines.append(f"| {row} | {seconds:.2f} | {ratio:.2f}x |")
        print(lines[-1], flush=True)
    body = "\n".join(
        [
            f"The seeded generator at LastFM's size ({LASTFM_SIZE.users:,} users, "
            f"{LASTFM_SIZE.items:,} items, {n:,} dated interactions, drift "
            f"{LASTFM_SIZE.drift}); default recipe ({args.dim} dimensions, 16 negatives, "
            f"batch 4096), {args.epochs} epochs each, the first left out of the mean; "
            f"device {describe_device('cpu')}. The `sequence` rows compare with `social`, "
            "its graph part. Recency is 365 days, periods 90 days (the cost does not depend "
            "on the values). The machine's speed drifts by up to 2x within minutes: "
            "compare rows next to each other.",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
