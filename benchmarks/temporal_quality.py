"""Time-aware against static models on CiaoDVD's dated ratings (issue 17).

Usage: python -m benchmarks.temporal_quality [--splits loo,time_cut] [--seeds 0,1,2]
       [--taus 90,365,1095] [--epochs 60]

For each split (``loo``: each user's last rating is the test, the one before
validation; ``time_cut``: one global cut in time, 80/10/10 of all ratings):

1. the time-aware variants choose their recency on the validation part of
   seed 0: ``lightgcn`` the decay from ``--taus`` and the reference (each
   user's newest or the global newest interaction), ``social`` and
   ``sequence`` the decay, with lightgcn's reference (their epochs cost 4-8
   times as much); the sequence model may also choose no decay. The static
   models have nothing to choose;
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
#: (model, time-aware): the static models, then the time-aware variants
VARIANTS = (
    ("lightgcn", False),
    ("social", False),
    ("lightgcn", True),
    ("social", True),
    ("sequence", True),
)


def label(model: str, tau: float, reference: str) -> str:
    return f"{model} + recency ({tau:g} d, {reference})" if tau else model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", default="loo,time_cut")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--taus", default="90,365,1095")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--section", default="CiaoDVD, time-aware vs static (issue 17)")
    args = parser.parse_args()
    snapshot = ciaodvd_snapshot()
    seeds = [int(s) for s in args.seeds.split(",")]
    taus = [float(t) for t in args.taus.split(",")]
    base = TrainConfig(**{**FAST_PRESET, "epochs": args.epochs}, device="cpu")
    started = time.perf_counter()
    lines = [
        "| split | model | valid R@20 (seed 0) | test Recall@20 | test NDCG@20 | s/epoch |",
        "|---|---|---|---|---|---|",
    ]
    for kind in args.splits.split(","):
        selection = split(snapshot, kind, RATIOS, 0)
        print(selection.describe(), flush=True)
        reference = "user"
        for model, timed in VARIANTS:
            tau, valid = 0.0, float("nan")
            if timed:
                grid = [(t, r) for t in taus for r in ("user", "global")]
                if model != "lightgcn":
                    grid = [(t, reference) for t in taus]
                if model == "sequence":
                    grid.append((0.0, reference))
                scores = {}
                for t, r in grid:
                    cfg = replace(base, model=model, recency_days=t, recency_reference=r)
                    scores[(t, r)] = experiment.fit(snapshot, selection, cfg).best_valid
                    print(f"  {kind} {model} tau {t:g} {r}: valid {scores[(t, r)]:.4f}")
                tau, chosen = max(scores, key=lambda key: scores[key])
                valid = scores[(tau, chosen)]
                if model == "lightgcn":
                    reference = chosen
            config = replace(base, recency_days=tau, recency_reference=reference)
            trials = experiment.run(snapshot, [model], seeds, config, kind, RATIOS)
            if not timed:
                valid = trials[0].result.best_valid
            recall = [t.test["recall@20"] for t in trials]
            ndcg = [t.test["ndcg@20"] for t in trials]
            epoch_s = [float(np.mean([h["seconds"] for h in t.result.history])) for t in trials]
            row = (
                f"| {kind} | {label(model, tau, reference)} | {valid:.4f} | "
                f"{np.mean(recall):.4f} ± {np.std(recall):.4f} | "
                f"{np.mean(ndcg):.4f} ± {np.std(ndcg):.4f} | {np.mean(epoch_s):.2f} |"
            )
            lines.append(row)
            print(row, flush=True)
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            f"CiaoDVD (bundled copy), {len(seeds)} seeds ({args.seeds}), mean ± std; "
            f"recipe {dict(FAST_PRESET, epochs=args.epochs)}, early stopping on validation "
            f"(every 5 epochs, patience 4); device {describe_device('cpu')}; "
            f"{minutes:.0f} min in all. Splits: `loo` = each user's last rating (by date) is "
            "the test, the one before validation (users with >= 3 ratings); `time_cut` = "
            "one global cut, the oldest 80 % of ratings train, the next 10 % validate, the "
            "newest 10 % test. `sequence` is SocialSTAMP. Recency (τ, reference) as chosen "
            "on validation: the ages count back from each user's newest (`user`) or the "
            "newest of anyone (`global`).",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
