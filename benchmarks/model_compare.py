"""Models side by side on one dataset and recipe: test figures and epoch times.

Usage: python -m benchmarks.model_compare [--dataset lastfm] [--models lightgcn,social,attention]
       [--seeds 0,1,2] [--fast] [--recipe JSON] [--section NAME]

A model may carry its own settings: ``gbsr[bottleneck_weight=0]`` (``;`` between two).
``--without-friends hybrid`` adds a row of ``hybrid`` trained on the same graph with
every friendship removed: what the friends, and nothing else, add.

Every model trains with the same recipe (the defaults, or ``--fast``: the fast
preset) on the papers' 70/10/20 per-user split, early stopping on validation,
and is evaluated once on the test part (full ranking).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import asdict

import numpy as np

from benchmarks.common import dataset_snapshot, describe_device, write_section
from socialrec.train import experiment
from socialrec.train.config import FAST_PRESET, TrainConfig
from socialrec.train.experiment import COLD_USER_MAX
from socialrec.train.splits import PAPER_RATIOS


def parse_model(spec: str, base: TrainConfig) -> TrainConfig:
    """``name`` or ``name[key=value;...]`` -> the config to train it with."""
    match = re.fullmatch(r"([a-z_]+)(?:\[(.*)\])?", spec)
    if match is None:
        raise SystemExit(f"bad model {spec!r}: name or name[key=value;...]")
    overrides = {}
    for item in filter(None, (match.group(2) or "").split(";")):
        key, value = item.split("=")
        overrides[key] = json.loads(value)
    return TrainConfig.from_dict({**asdict(base), **overrides, "model": match.group(1)})


def without_friends(snapshot):  # type: ignore[no-untyped-def]
    """The snapshot with no friendships: the ablation of the social signal alone."""
    import copy

    import torch

    from socialrec.export.snapshot import FRIENDS

    ablated = copy.copy(snapshot)
    ablated.data = copy.copy(snapshot.data)
    ablated.data[FRIENDS].edge_index = torch.empty(2, 0, dtype=torch.long)
    for key in list(ablated.data[FRIENDS].keys()):
        if key != "edge_index":
            del ablated.data[FRIENDS][key]
    return ablated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="lastfm")
    parser.add_argument("--models", default="lightgcn,social,attention")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fast", action="store_true", help="the fast preset recipe")
    parser.add_argument("--recipe", default="{}", help="JSON settings on top of the base")
    parser.add_argument(
        "--without-friends",
        default="",
        help="comma-separated models to train again with every friendship removed",
    )
    parser.add_argument("--section", default="Model comparison")
    args = parser.parse_args()
    snapshot = dataset_snapshot(args.dataset)
    seeds = [int(s) for s in args.seeds.split(",")]
    recipe = {**(dict(FAST_PRESET) if args.fast else {}), **json.loads(args.recipe)}
    base = TrainConfig.from_dict({**recipe, "device": "cpu"})
    started = time.perf_counter()
    lines = [
        "| model | test Recall@20 | vs first row | test NDCG@20 | vs first row | "
        "cold users' Recall@20 | best epoch | s/epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first: tuple[float, float] | None = None
    runs = [(m, snapshot, f"`{m}`") for m in args.models.split(",")]
    if args.without_friends:
        alone = without_friends(snapshot)
        runs += [(m, alone, f"`{m}`, friends removed") for m in args.without_friends.split(",")]
    for model, graph, label in runs:
        config = parse_model(model, base)
        trials = experiment.run(graph, [config.model], seeds, config, "random", PAPER_RATIOS)
        recall = [t.test["recall@20"] for t in trials]
        ndcg = [t.test["ndcg@20"] for t in trials]
        epochs = [t.result.best_epoch for t in trials]
        seconds = [np.mean([h["seconds"] for h in t.result.history]) for t in trials]
        cold = [
            part["recall@20"]
            for t in trials
            for name, part in t.test.slices.items()
            if name.startswith("cold users")
        ]
        mean_r, mean_n = float(np.mean(recall)), float(np.mean(ndcg))
        first = first or (mean_r, mean_n)
        lines.append(
            f"| {label} | {mean_r:.4f} ± {np.std(recall):.4f} | "
            f"{100 * (mean_r / first[0] - 1):+.1f} % | "
            f"{mean_n:.4f} ± {np.std(ndcg):.4f} | {100 * (mean_n / first[1] - 1):+.1f} % | "
            f"{np.nanmean(cold) if cold else float('nan'):.4f} | {np.mean(epochs):.0f} | "
            f"{np.mean(seconds):.2f} |"
        )
        print(lines[-1], flush=True)
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            f"{args.dataset}, seeds {args.seeds}, split 70/10/20 per user, recipe "
            f"{recipe or 'the defaults'} (+ early stopping on validation); device "
            f"{describe_device('cpu')}; {minutes:.0f} min. Cold users: <= {COLD_USER_MAX} training "
            "interactions (mean over seeds).",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
