"""Choose a training recipe on a dataset's *validation* part (never the test part).

Usage: python -m benchmarks.recipe_sweep [--dataset lastfm|ciaodvd] [--model hybrid]
       [--seeds 0,1,2] [--workers 4]
       [--base '{"embedding_dim": 128, ...}'] [--vary lr=0.001,0.005 ...]
       [--combo 'embedding_dim=256;lr=0.001' ...] [--best-out recipe.json]

Each candidate recipe is the ``--base`` recipe with one ``--vary`` value
changed (one factor at a time), or with a ``--combo``'s values. Every candidate
trains ``--model`` on the split of each of ``--seeds`` (the papers' 80/20
protocol, validation carved from the training 80 %) with early stopping, and is
scored by Recall@20 and NDCG@20 on the validation part. The candidate with the
highest mean of the two (over seeds) wins; with several seeds the table gives
each candidate's margin over the base paired seed by seed, so a win inside the
seeds' noise reads as one. ``--best-out`` writes the winner's overrides as
JSON, which ``benchmarks.lastfm_quality --recipe`` reads, so the five-seed table
can use a recipe that the test part had no say in.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import dataset_snapshot, describe_device, write_section
from socialrec.train.experiment import fit
from socialrec.train.metrics import evaluate
from socialrec.train.splits import PAPER_RATIOS, split
from socialrec.train.trainer import TrainConfig

_TYPES = {f.name: f.type for f in fields(TrainConfig)}
DATASETS = {"lastfm": "LastFM", "ciaodvd": "CiaoDVD"}


def parse_value(key: str, text: str) -> Any:
    """A ``TrainConfig`` field's value from the command line (``lr=0.001``)."""
    if key not in _TYPES:
        raise SystemExit(f"unknown TrainConfig field {key!r}; one of {sorted(_TYPES)}")
    kind = _TYPES[key]
    if kind in ("int", int):
        return int(text)
    if kind in ("float", float):
        return float(text)
    if kind in ("bool", bool):
        return text.lower() in ("1", "true", "yes")
    return text


def candidates(base: dict[str, Any], vary: list[str], combos: list[str]) -> list[dict[str, Any]]:
    """The base recipe, each one-factor variation of it, then each combination."""
    out = [dict(base)]
    for item in vary:
        key, _, values = item.partition("=")
        for text in values.split(","):
            value = parse_value(key, text)
            if base.get(key, getattr(TrainConfig(), key)) != value:
                out.append({**base, key: value})
    for combo in combos:
        recipe = dict(base)
        for pair in combo.split(";"):
            key, _, text = pair.partition("=")
            recipe[key] = parse_value(key, text)
        out.append(recipe)
    unique: dict[str, dict[str, Any]] = {}
    for recipe in out:
        unique.setdefault(json.dumps(recipe, sort_keys=True), recipe)
    return list(unique.values())


def score_one(
    dataset: str, model: str, seed: int, recipe: dict[str, Any], device: str, threads: int
) -> dict[str, Any]:
    """Train one candidate and score it on the validation part."""
    torch.set_num_threads(threads)
    snapshot = dataset_snapshot(dataset)
    sp = split(snapshot, "random", PAPER_RATIOS, seed)
    config = replace(TrainConfig(device=device), **recipe, model=model, seed=seed, refit=False)
    # the product's fit: the training graph carries whatever the recipe asks of
    # it (interaction weights for confidence, times for recency), as in `train`
    result = fit(snapshot, sp, config)
    valid = evaluate(result.user_embedding, result.item_embedding, sp.valid, sp.train, ks=(20,))
    return {
        "recipe": recipe,
        "recall@20": valid["recall@20"],
        "ndcg@20": valid["ndcg@20"],
        "score": (valid["recall@20"] + valid["ndcg@20"]) / 2,
        "best_epoch": result.best_epoch,
        "seconds": result.seconds,
    }


def sweep(
    dataset: str,
    model: str,
    seeds: list[int],
    recipes: list[dict[str, Any]],
    device: str,
    workers: int,
) -> list[list[dict[str, Any]]]:
    """Each recipe's rows, one a seed, in ``seeds``' order."""
    jobs = [(r, seed) for r in recipes for seed in seeds]
    if workers <= 1:
        threads = torch.get_num_threads()
        flat = [score_one(dataset, model, seed, r, device, threads) for r, seed in jobs]
    else:
        # Build the cached snapshot here first: workers that all find it missing
        # would each start the scratch server and load it, racing one another.
        dataset_snapshot(dataset)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(score_one, dataset, model, seed, r, device, 1) for r, seed in jobs
            ]
            flat = []
            for f in futures:
                flat.append(f.result())
                print(json.dumps(flat[-1]), flush=True)
    n = len(seeds)
    return [flat[i : i + n] for i in range(0, len(flat), n)]


def summary(runs: list[dict[str, Any]], base_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One recipe's means over seeds, and its score's margin over the base's,
    paired seed by seed (the same split): mean and standard deviation."""
    margin = np.array([r["score"] - b["score"] for r, b in zip(runs, base_runs, strict=True)])
    return {
        "recipe": runs[0]["recipe"],
        **{
            key: float(np.mean([r[key] for r in runs]))
            for key in ("recall@20", "ndcg@20", "score", "seconds")
        },
        "recall_std": float(np.std([r["recall@20"] for r in runs])),
        "ndcg_std": float(np.std([r["ndcg@20"] for r in runs])),
        "best_epochs": [r["best_epoch"] for r in runs],
        "margin": float(margin.mean()),
        "margin_std": float(margin.std(ddof=1)) if len(margin) > 1 else 0.0,
    }


def changes(recipe: dict[str, Any], base: dict[str, Any]) -> str:
    diff = {k: v for k, v in recipe.items() if base.get(k) != v}
    return ", ".join(f"{k}={v}" for k, v in diff.items()) or "(base)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="lastfm", choices=("lastfm", "ciaodvd"))
    parser.add_argument("--model", default="hybrid")
    parser.add_argument("--seeds", "--seed", default="0", help="comma-separated seeds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default=TrainConfig().device)
    parser.add_argument("--base", default="{}", help="JSON object of TrainConfig overrides")
    parser.add_argument("--vary", action="append", default=[], help="field=v1,v2,...")
    parser.add_argument("--combo", action="append", default=[], help="field=v;field=v")
    parser.add_argument("--best-out", type=Path, help="write the winner's overrides (JSON)")
    parser.add_argument(
        "--section",
        default="",
        help="RESULTS.md section (default: 'LastFM recipe sweep, MODEL (issue 4)')",
    )
    args = parser.parse_args()
    base = json.loads(args.base)
    for key in base:
        parse_value(key, "0")  # validates the name
    recipes = candidates(base, args.vary, args.combo)
    seeds = [int(x) for x in args.seeds.split(",")]
    per_recipe = sweep(args.dataset, args.model, seeds, recipes, args.device, args.workers)
    rows = sorted((summary(runs, per_recipe[0]) for runs in per_recipe), key=lambda r: -r["score"])
    best = rows[0]
    if args.best_out:
        args.best_out.write_text(json.dumps(best["recipe"], indent=1) + "\n")
    device = describe_device(TrainConfig(device=args.device).resolved_device(), args.workers)
    several = len(seeds) > 1

    def figure(mean: float, std: float) -> str:
        return f"{mean:.4f} ± {std:.4f}" if several else f"{mean:.4f}"

    seeds_text = f"seeds {args.seeds} (mean ± std)" if several else f"seed {seeds[0]}"
    lines = [
        f"{DATASETS[args.dataset]}, `{args.model}`, {seeds_text}, scored on the validation "
        "part only (10 % carved from the training 80 %); ranked by the mean of validation "
        "Recall@20 and NDCG@20. "
        f"Base recipe: `{json.dumps(base)}`; device {device}.",
        "",
        "| change from base | valid Recall@20 | valid NDCG@20 |"
        + (" margin over base, paired |" if several else "")
        + " best epoch | seconds |",
        "|---|---:|---:|" + ("---:|" if several else "") + "---:|---:|",
        *(
            f"| {changes(r['recipe'], base)} | {figure(r['recall@20'], r['recall_std'])} | "
            f"{figure(r['ndcg@20'], r['ndcg_std'])} | "
            + (f"{r['margin']:+.4f} ± {r['margin_std']:.4f} | " if several else "")
            + f"{', '.join(map(str, r['best_epochs']))} | {r['seconds']:.0f} |"
            for r in rows
        ),
        "",
        f"Chosen: {changes(best['recipe'], base)}."
        + (
            f" Its margin over the base is {best['margin']:+.4f} ± {best['margin_std']:.4f}"
            " (the mean of Recall@20 and NDCG@20, paired seed by seed)."
            if several and best["recipe"] != base
            else ""
        ),
    ]
    section = args.section or f"{DATASETS[args.dataset]} recipe sweep, {args.model}"
    write_section(section, "\n".join(lines))


if __name__ == "__main__":
    main()
