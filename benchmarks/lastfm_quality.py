"""Recommendation quality on LastFM HetRec 2011, every model, several seeds.

Usage: python -m benchmarks.lastfm_quality [--seeds 0,1,2,3,4] [--models ...] [--workers 2]
       [--negatives 8] [--refit] [--embedding-dim 64] [--lr ...] [--weight-decay ...]
       [--recipe recipe.json] [--reuse gds_similarity] [--include REPORT] [--device cuda]

Protocol of the social-recommendation papers: binarised interactions, per-user
random 80/20 train/test, full ranking over all items with training items
masked; the validation part used for early stopping and model selection is
carved out of the training 80 % (ratios 0.7/0.1/0.2), never the test part.
The snapshot is exported from Neo4j (see benchmarks/common.py). The full report
(plots, slices, long-tail curve) goes to benchmarks/reports/lastfm/.

Every neural model is trained with the same recipe (the options below). With
``--workers N`` the (model, seed) runs are spread over N processes of one
thread each, longest first; ``gds_similarity`` runs in the main process, which
holds the GDS connection. Each run is the same seeded computation either way.

``--include`` adds the rows of other report folders (same seeds) to the table,
e.g. the ensembles of ``--report lastfm-ensemble2``, labelled ``hybrid (ensemble of 2)``.

``--recipe`` takes TrainConfig overrides as JSON (``benchmarks.recipe_sweep
--best-out`` writes one, chosen on validation). ``--reuse`` copies the named
models' runs from the report folder's existing ``report.json`` instead of
training them again: for baselines that no recipe option touches
(``gds_similarity``, ``popularity``), on the same seeds' splits. That lets a
machine without Neo4j (a GPU box) redo the neural rows of a table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks.common import describe_device, lastfm_snapshot, write_section
from socialrec.graph.gds import open_gds
from socialrec.server.local import LocalNeo4j, ServerSettings
from socialrec.train import experiment, report
from socialrec.train.splits import PAPER_RATIOS
from socialrec.train.trainer import TrainConfig


@contextmanager
def gds_server(needed: bool) -> Iterator[Any]:
    """A GDS client on the small ``bench-lastfm`` instance, for ``gds_similarity``.

    The baseline sends its training split to GDS itself (``gds.graph.construct``),
    so the server's own data does not matter.
    """
    if not needed:
        yield None
        return
    server = LocalNeo4j(
        ServerSettings(
            name="bench-lastfm", bolt_port=27688, http_port=27475, heap="2g", pagecache="256m"
        )
    )
    server.start()
    gds = open_gds(server.connection())
    try:
        yield gds
    finally:
        gds.close()
        server.stop()


#: Rough relative training cost, to start the longest runs first.
_COST = {"attention": 5, "hybrid": 3, "social": 3, "lightgcn": 2, "mf": 1}


def _run_one(model: str, seed: int, config: dict[str, Any]) -> experiment.Trial:
    """One (model, seed) run in a worker process (one thread)."""
    import torch

    torch.set_num_threads(1)
    log = lambda line: print(f"[{model} {seed}] {line.strip()}", flush=True)  # noqa: E731
    return experiment.run(
        lastfm_snapshot(), [model], [seed], TrainConfig(**config), "random", PAPER_RATIOS, log=log
    )[0]


def run_all(
    models: list[str], seeds: list[int], config: TrainConfig, workers: int
) -> list[experiment.Trial]:
    snapshot = lastfm_snapshot()
    log = lambda line: print(line, flush=True)  # noqa: E731
    local = [m for m in models if m == "gds_similarity" or workers <= 1]
    remote = [m for m in models if m not in local]
    results: dict[tuple[str, int], experiment.Trial] = {}
    futures: dict[tuple[str, int], Future[experiment.Trial]] = {}
    with gds_server(needed="gds_similarity" in models) as gds:
        pool = None
        if remote:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            tasks = sorted(
                ((m, s) for s in seeds for m in remote), key=lambda t: -_COST.get(t[0], 1)
            )
            for m, s in tasks:
                futures[(m, s)] = pool.submit(_run_one, m, s, asdict(config))
        for m in local:
            for s in seeds:
                results[(m, s)] = experiment.run(
                    snapshot, [m], [s], config, "random", PAPER_RATIOS, log=log, gds=gds
                )[0]
        for key, future in futures.items():
            results[key] = future.result()
        if pool is not None:
            pool.shutdown()
    return [results[(m, s)] for s in seeds for m in models]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument(
        "--models", default="popularity,gds_similarity,mf,lightgcn,social,attention,hybrid"
    )
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--note", default="", help="A sentence added under the table.")
    parser.add_argument("--lr", type=float, default=TrainConfig().lr)
    parser.add_argument("--weight-decay", type=float, default=TrainConfig().weight_decay)
    parser.add_argument("--embedding-dim", type=int, default=TrainConfig().embedding_dim)
    parser.add_argument("--negatives", type=int, default=TrainConfig().negatives)
    parser.add_argument("--refit", action="store_true")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--device", default=TrainConfig().device)
    parser.add_argument("--recipe", type=Path, help="JSON of TrainConfig overrides")
    parser.add_argument(
        "--reuse", default="", help="models whose runs are read from the existing report.json"
    )
    parser.add_argument(
        "--include",
        default="",
        help="report folders under benchmarks/reports/ whose rows are added to the table",
    )
    parser.add_argument(
        "--section",
        default="LastFM quality (issue 4)",
        help="RESULTS.md section to write (another name keeps the main table).",
    )
    parser.add_argument("--report", default="lastfm", help="Folder under benchmarks/reports/.")
    args = parser.parse_args()
    config = replace(
        TrainConfig(),
        epochs=args.epochs,
        lr=args.lr,
        weight_decay=args.weight_decay,
        embedding_dim=args.embedding_dim,
        negatives=args.negatives,
        refit=args.refit,
        device=args.device,
    )
    if args.recipe:
        config = replace(config, **json.loads(args.recipe.read_text()))
    models = args.models.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    out = Path(__file__).resolve().parent / "reports" / args.report
    reuse = [m for m in args.reuse.split(",") if m]
    kept = {
        (r.model, r.seed): r
        for r in (report.read_report(out) if reuse else [])
        if r.label in reuse and r.seed in seeds
    }
    missing = [(m, s) for m in reuse for s in seeds if (m, s) not in kept]
    if missing:
        raise SystemExit(f"--reuse: {out / 'report.json'} has no run for {missing}")
    extra = included(out.parent, args.include, seeds)  # fail before training, not after
    trained = run_all([m for m in models if m not in reuse], seeds, config, args.workers)
    by_key = {(r.model, r.seed): r for r in trained} | kept
    runs = [by_key[(m, s)] for s in seeds for m in models] + extra
    report.write_report(out, runs, title="LastFM HetRec 2011")
    body = [
        "Per-user random 80/20 (validation = 10 % carved from the training 80 %), full "
        f"ranking, mean ± std over seeds {args.seeds}; lr {config.lr}, L2 "
        f"{config.weight_decay}, {config.embedding_dim} dims, {config.num_layers} layers, "
        f"batch {config.batch_size}, {_negatives(config.negatives, config.fanout)}, device "
        f"{describe_device(config.resolved_device(), args.workers)}, early stopping on "
        "validation Recall@20"
        + (
            "; then each model is trained again on training + validation for the number "
            "of epochs validation picked (`refit`)."
            if config.refit
            else "."
        ),
        "",
        report.markdown_table(runs),
        "",
        *(
            [
                f"Rows {', '.join(dict.fromkeys(r.label for r in extra))}: from "
                f"`benchmarks/reports/{args.include}` (same seeds and splits). An ensemble of N "
                "is N models (`--ensemble N`), each trained with the recipe above "
                "from its own initialisation; their scores are averaged, and served as one "
                "concatenated embedding, so Cypher serving is unchanged."
            ]
            if args.include
            else []
        ),
        *(
            [
                f"Rows of {', '.join(reuse)}: reused from the previous report (same seeds and "
                "splits; no recipe option changes them)."
            ]
            if reuse
            else []
        ),
        (
            "`gds_similarity`: GDS Node Similarity (Jaccard, 50 neighbours) on the training "
            "split, computed in Neo4j. "
            if "gds_similarity" in models
            else ""
        )
        + "Reference points under this protocol: SocialLGN paper Recall@20 0.2794 / NDCG@20 "
        "0.2883 (model picked on the test set); a stock PyG LightGCN about 0.27 / 0.27. "
        "Full report (plots, slices, long-tail curve): "
        f"`benchmarks/reports/{args.report}/report.md`.",
        *([f"\n{args.note}"] if args.note else []),
    ]
    write_section(args.section, "\n".join(body))


def included(reports: Path, names: str, seeds: list[int]) -> list[experiment.Trial]:
    """The runs on ``seeds`` of the report folders ``names`` (comma-separated)."""
    runs = []
    for name in filter(None, names.split(",")):
        found = [r for r in report.read_report(reports / name) if r.seed in seeds]
        for label in dict.fromkeys(r.label for r in found):
            have = {r.seed for r in found if r.label == label}
            if have != set(seeds):
                raise SystemExit(f"--include {name}: {label} has seeds {sorted(have)}, not {seeds}")
        runs += found
    return runs


def _negatives(n: int, fanout: int) -> str:
    if fanout > 0:
        return f"neighbour-sampled batches ({fanout} per relation and hop), one negative each"
    if n <= 1:
        return "one uniform negative per positive"
    return f"the hardest of {n} uniform negatives per positive (dynamic negative sampling)"


if __name__ == "__main__":
    main()
