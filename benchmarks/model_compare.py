"""Models side by side on one dataset and recipe: test figures and epoch times.

Usage: python -m benchmarks.model_compare [--dataset lastfm] [--models lightgcn,social,attention]
       [--seeds 0,1,2] [--fast] [--section NAME]

Every model trains with the same recipe (the defaults, or ``--fast``: the fast
preset) on the papers' 70/10/20 per-user split, early stopping on validation,
and is evaluated once on the test part (full ranking).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import dataset_snapshot, describe_device, write_section
from socialrec.train import experiment
from socialrec.train.config import FAST_PRESET, TrainConfig
from socialrec.train.splits import PAPER_RATIOS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="lastfm")
    parser.add_argument("--models", default="lightgcn,social,attention")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fast", action="store_true", help="the fast preset recipe")
    parser.add_argument("--section", default="Model comparison")
    args = parser.parse_args()
    snapshot = dataset_snapshot(args.dataset)
    seeds = [int(s) for s in args.seeds.split(",")]
    recipe = dict(FAST_PRESET) if args.fast else {}
    base = TrainConfig.from_dict({**recipe, "device": "cpu"})
    started = time.perf_counter()
    lines = [
        "| model | test Recall@20 | test NDCG@20 | best epoch | s/epoch |",
        "|---|---|---|---|---|",
    ]
    for model in args.models.split(","):
        trials = experiment.run(snapshot, [model], seeds, base, "random", PAPER_RATIOS)
        recall = [t.test["recall@20"] for t in trials]
        ndcg = [t.test["ndcg@20"] for t in trials]
        epochs = [t.result.best_epoch for t in trials]
        seconds = [np.mean([h["seconds"] for h in t.result.history]) for t in trials]
        lines.append(
            f"| {model} | {np.mean(recall):.4f} ± {np.std(recall):.4f} | "
            f"{np.mean(ndcg):.4f} ± {np.std(ndcg):.4f} | {np.mean(epochs):.0f} | "
            f"{np.mean(seconds):.2f} |"
        )
        print(lines[-1], flush=True)
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            f"{args.dataset}, seeds {args.seeds}, split 70/10/20 per user, recipe "
            f"{recipe or 'the defaults'} (+ early stopping on validation); device "
            f"{describe_device('cpu')}; {minutes:.0f} min.",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
