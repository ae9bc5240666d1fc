"""Time-aware against static models on CiaoDVD's dated ratings (issue 17).

Usage: python -m benchmarks.temporal_quality [--splits loo,time_cut] [--seeds 0,1,2]
       [--taus 90,365,1095] [--epochs 60]

For each split (``loo``: each user's last rating is the test, the one before
validation; ``time_cut``: one global cut in time, 80/10/10 of all ratings):

1. the time-aware variants choose on the validation part of seed 0:
   ``lightgcn + recency`` the decay from ``--taus`` and the reference (each
   user's newest or the global newest interaction); ``+ periods`` the period
   length from ``--periods`` (``lightgcn``; ``social`` and ``sequence`` take
   its choice, their epochs cost 5-8 times as much). The static models have
   nothing to choose;
2. every variant is trained on each seed and evaluated once on the test part,
   full ranking, training and validation items masked.

All variants share one recipe (socialrec's fast preset, 64 dimensions), so the
table compares the time-aware options and nothing else. The epoch seconds are
measured in the same run, for the training-cost comparison.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from benchmarks.common import ciaodvd_snapshot, describe_device, write_section
from socialrec.train import experiment
from socialrec.train.config import FAST_PRESET, TrainConfig
from socialrec.train.splits import split

RATIOS = (0.8, 0.1, 0.1)
#: (row, model, what it chooses on validation): the static models, then the
#: time-aware variants ("recency": decay and reference; "period": period length;
#: "period of lightgcn": lightgcn's choice, no search of its own, as the epochs
#: of social and sequence cost 5-8 times as much)
VARIANTS = (
    ("lightgcn", "lightgcn", ""),
    ("social", "social", ""),
    ("lightgcn + recency", "lightgcn", "recency"),
    ("lightgcn + periods", "lightgcn", "period"),
    ("social + periods", "social", "period of lightgcn"),
    ("sequence + periods", "sequence", "period of lightgcn"),
)


def describe(row: str, config: TrainConfig) -> str:
    if config.recency_days:
        return f"{row} ({config.recency_days:g} d, {config.recency_reference})"
    if config.period_days:
        return f"{row} ({config.period_days:g} d)"
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", default="loo,time_cut")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--taus", default="90,365,1095")
    parser.add_argument("--periods", default="90,180,365")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--section", default="CiaoDVD, time-aware vs static (issue 17)")
    args = parser.parse_args()
    snapshot = ciaodvd_snapshot()
    seeds = [int(s) for s in args.seeds.split(",")]
    taus = [float(t) for t in args.taus.split(",")]
    periods = [float(t) for t in args.periods.split(",")]
    base = TrainConfig(**{**FAST_PRESET, "epochs": args.epochs}, device="cpu")
    started = time.perf_counter()
    lines = [
        "| split | model | valid R@20 (seed 0) | test Recall@20 | test NDCG@20 | s/epoch |",
        "|---|---|---|---|---|---|",
    ]
    for kind in args.splits.split(","):
        selection = split(snapshot, kind, RATIOS, 0)
        print(selection.describe(), flush=True)
        chosen: dict[str, TrainConfig] = {}
        for row, model, search in VARIANTS:
            config = replace(base, model=model)
            valid = float("nan")
            grid: list[TrainConfig] = []
            if search == "recency":
                grid = [
                    replace(config, recency_days=t, recency_reference=r)
                    for t in taus
                    for r in ("user", "global")
                ]
            elif search == "period":
                grid = [replace(config, period_days=d) for d in periods]
            elif search == "period of lightgcn":
                config = replace(config, period_days=chosen["lightgcn + periods"].period_days)
            if grid:
                scores = [experiment.fit(snapshot, selection, c).best_valid for c in grid]
                for c, v in zip(grid, scores, strict=True):
                    print(f"  {kind} {describe(row, c)}: valid {v:.4f}", flush=True)
                config, valid = grid[int(np.argmax(scores))], float(max(scores))
            chosen[row] = config
            trials = experiment.run(snapshot, [model], seeds, config, kind, RATIOS)
            if np.isnan(valid):
                valid = trials[0].result.best_valid
            recall = [t.test["recall@20"] for t in trials]
            ndcg = [t.test["ndcg@20"] for t in trials]
            epoch_s = [float(np.mean([h["seconds"] for h in t.result.history])) for t in trials]
            line = (
                f"| {kind} | {describe(row, config)} | {valid:.4f} | "
                f"{np.mean(recall):.4f} ± {np.std(recall):.4f} | "
                f"{np.mean(ndcg):.4f} ± {np.std(ndcg):.4f} | {np.mean(epoch_s):.2f} |"
            )
            lines.append(line)
            print(line, flush=True)
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            f"CiaoDVD (bundled copy), {len(seeds)} seeds ({args.seeds}), mean ± std; "
            f"recipe {dict(FAST_PRESET, epochs=args.epochs)}, early stopping on validation "
            f"(every 5 epochs, patience 4); device {describe_device('cpu')}; "
            f"{minutes:.0f} min in all. Splits: `loo` = each user's last rating (by date) is "
            "the test, the one before validation (users with >= 3 ratings); `time_cut` = "
            "one global cut, the oldest 80 % of ratings train, the next 10 % validate, the "
            "newest 10 % test. Chosen on the validation part of seed 0: recency (decay, "
            "and whether ages count back from each user's newest, `user`, or the newest "
            "of anyone, `global`) and the period length (each period a learned vector "
            "added to the user's, TimeSVD++'s time-binned bias); social and sequence take "
            "lightgcn's period. `sequence` is SocialSTAMP.",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
