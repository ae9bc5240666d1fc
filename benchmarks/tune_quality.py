"""`socialrec tune` on a real dataset: the tuned recipe against the defaults, on test.

Usage: python -m benchmarks.tune_quality [--dataset ciaodvd] [--model social]
       [--budget 15m] [--trials 40] [--seeds 0,1]

1. ``tune`` searches the recipe on the validation part of seed 0's split only
   (study in ``benchmarks/out/tune-DATASET-MODEL``; rerunning resumes it);
2. the defaults and the tuned recipe are then trained on each seed's split and
   evaluated once on its test part (the papers' 80/20 protocol, validation
   carved from the 80), full ranking.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.common import dataset_snapshot, describe_device, write_section
from benchmarks.recipe_sweep import DATASETS
from socialrec.train import experiment
from socialrec.train.config import TrainConfig, TuneConfig
from socialrec.train.splits import PAPER_RATIOS, split
from socialrec.train.tune import read_recipe, tune


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="ciaodvd", choices=sorted(DATASETS))
    parser.add_argument("--model", default="social")
    parser.add_argument("--budget", default="15m")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--max-epochs", type=int, default=150)
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    snapshot = dataset_snapshot(args.dataset)
    out = Path(__file__).resolve().parent / "out" / f"tune-{args.dataset}-{args.model}"
    base = TrainConfig(device="cpu")
    started = time.perf_counter()
    sp = split(snapshot, "random", PAPER_RATIOS, 0)
    tuned = tune(
        snapshot,
        args.model,
        out,
        TuneConfig(trials=args.trials, budget=args.budget, max_epochs=args.max_epochs),
        base,
        sp,
        log=print,
    )
    tune_seconds = time.perf_counter() - started
    recipe = {k: v for k, v in read_recipe(out / "recipe.toml").items() if k != "model"}
    seeds = [int(s) for s in args.seeds.split(",")]
    rows: list[tuple[str, TrainConfig, list[experiment.Trial]]] = []
    for name, config in (("defaults", base), ("tuned", TrainConfig(**{**recipe, "device": "cpu"}))):
        if rows and config == rows[0][1]:  # the defaults won (the study's first trial)
            rows.append((f"{name} (= defaults)", config, rows[0][2]))
            continue
        trials = experiment.run(snapshot, [args.model], seeds, config, "random", PAPER_RATIOS)
        rows.append((name, config, trials))
        print(name, [t.test.values["recall@20"] for t in trials], flush=True)

    def mean_std(values: list[float]) -> str:
        import numpy as np

        arr = np.asarray(values)
        return f"{arr.mean():.4f} ± {arr.std(ddof=1):.4f}" if len(arr) > 1 else f"{arr[0]:.4f}"

    lines = [
        f"{DATASETS[args.dataset]}, `{args.model}`. Tuning: `socialrec tune` on seed 0's "
        f"validation part only, budget {args.budget} / {args.trials} trials at most, "
        f"{args.max_epochs} epochs at most a trial: {tuned.trials} trials ({tuned.pruned} "
        f"pruned) in {tune_seconds / 60:.0f} min (this run; a resumed study counts its "
        f"earlier trials too). Then each recipe is trained on the splits of seeds "
        f"{args.seeds} (per-user 80/20, validation carved from the 80) and tested once, full "
        f"ranking; device {describe_device(base.resolved_device())}.",
        "",
        f"Tuned recipe (validation Recall@20 {tuned.valid['recall@20']:.4f}, NDCG@20 "
        f"{tuned.valid['ndcg@20']:.4f}): `{recipe}`.",
        "",
        "| recipe | test Recall@20 | test NDCG@20 | best epoch | fit s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, _, trials in rows:
        recall = mean_std([t.test.values["recall@20"] for t in trials])
        ndcg = mean_std([t.test.values["ndcg@20"] for t in trials])
        epochs = sum(t.result.best_epoch for t in trials) / len(trials)
        secs = sum(t.result.seconds for t in trials) / len(trials)
        lines.append(f"| {name} | {recall} | {ndcg} | {epochs:.0f} | {secs:.0f} |")
    lines += ["", "Top trials (validation only):", ""]
    lines += ["| trial | valid Recall@20 | valid NDCG@20 | best epoch | params |"]
    lines += ["|---:|---:|---:|---:|---|"]
    for top in tuned.top:
        lines.append(
            f"| {top['number']} | {top['recall@20']:.4f} | {top['ndcg@20']:.4f} | "
            f"{top['best_epoch']} | `{top['params']}` |"
        )
    write_section(
        f"{DATASETS[args.dataset]}, tuned vs default recipe, {args.model} (issue 16)",
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
