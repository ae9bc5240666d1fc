"""Incremental sync after 1 % of users changed vs a full sync, on the 1 M-user graph.

Usage: python -m benchmarks.sync_refresh [--changed 0.01] [--ann-probes 8] [--diff]

Uses the graph benchmarks/export_rate.py loads into the benchmark instance
(1 M users, 200 k items, ~10 M interactions, 2 M friendships). The model is the
popularity-biased random one of benchmarks/writeback_rate.py saved as a
checkpoint (training `social` on this graph takes about 11 minutes an epoch
here; the sync times below reuse the model, as both syncs would between
retrains).

1. full sync: export everything, score all 1 M users against 200 k items,
   write 20 M RECOMMENDED relationships and 1.2 M embeddings, publish;
2. 1 % of users change: each gets one new interaction, and a tenth of them a
   new friendship;
3. incremental sync: export what changed, re-score the changed users, publish.

With ``--diff`` step 3 is a second full sync instead: with the model reused it
is a diff run (socialrec/writeback/served.py), which scores everyone and
rewrites only the users whose lists changed; the first full sync (a rewrite of
every user, the previous run pruned) records the lists it starts from.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_runner, write_section
from benchmarks.writeback_rate import SNAPSHOT, popularity_model
from socialrec.checkpoint import Checkpoint
from socialrec.export import GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.jobs import RetrainPolicy, Sync, SyncConfig
from socialrec.mapping import GraphMapping
from socialrec.writeback import WritebackConfig

STATE = Path(__file__).resolve().parent / "out" / "sync-state"


def save_model(snapshot: GraphSnapshot, path: Path) -> None:
    scorer = popularity_model(snapshot)
    Checkpoint(
        model="popularity-bench",
        user_embedding=scorer.user_embedding,
        item_embedding=scorer.item_embedding,
        ids={nt: snapshot.ids[nt] for nt in ("user", "item")},
        mapping=snapshot.mapping.to_dict(),
        schema_hash=snapshot.schema_hash,
    ).save(path)


def change_users(
    runner: Neo4jRunner, snapshot: GraphSnapshot, fraction: float, seed: int
) -> tuple[int, int]:
    """Give ``fraction`` of the users a new interaction each, a tenth of them a friend."""
    rng = np.random.default_rng(seed)
    n = int(snapshot.num_nodes("user") * fraction)
    users = rng.choice(snapshot.ids["user"], n, replace=False).tolist()
    items = rng.choice(snapshot.ids["item"], n).tolist()
    runner.write(
        "UNWIND range(0, size($u) - 1) AS k MATCH (u:User {id: $u[k]}), (i:Item {id: $i[k]}) "
        "CREATE (u)-[:INTERACTED {weight: 1.0, ts: timestamp() / 1000, bench: true}]->(i)",
        {"u": users, "i": items},
    )
    pairs = n // 10
    runner.write(
        "UNWIND range(0, size($a) - 1) AS k MATCH (a:User {id: $a[k]}), (b:User {id: $b[k]}) "
        "CREATE (a)-[:FRIENDS_WITH {bench: true}]->(b)",
        {"a": users[:pairs], "b": rng.choice(snapshot.ids["user"], pairs).tolist()},
    )
    return n, pairs


def _stages(summary_seconds: dict[str, float], writeback: dict[str, float]) -> str:
    """``export 34 s, score 3 s, writeback 782 s (recommendations 700 s, ...)``."""
    parts = []
    for name, seconds in summary_seconds.items():
        text = f"{name} {seconds:.0f} s"
        if name == "writeback" and writeback:
            inner = {k: v for k, v in writeback.items() if k != "total"}
            text += " (" + ", ".join(f"{k} {v:.1f} s" for k, v in inner.items()) + ")"
        parts.append(text)
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--ann-probes", type=int, default=0, help="approximate scoring (0: exact)")
    parser.add_argument(
        "--diff", action="store_true", help="full sync, change users, full sync again (a diff run)"
    )
    parser.add_argument("--wipe-my-database", action="store_true")
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="Change users again and re-measure the incremental sync alone, against the "
        "full sync of an earlier run of this script (its figures from its RecommendationRun "
        "node and benchmarks/out/sync-state/full.json).",
    )
    args = parser.parse_args()
    snapshot = GraphSnapshot.load(SNAPSHOT)
    config = SyncConfig(
        state_dir=STATE,
        writeback=WritebackConfig(k=20, keep_runs=1, ann_probes=args.ann_probes),
        policy=RetrainPolicy(max_model_age_hours=1e6),
    )
    full_record = STATE / "full.json"
    with bench_runner(args.wipe_my_database) as runner:
        sync = Sync(runner, GraphMapping(), config, log=print)
        if args.diff:
            diff_sync(runner, sync, snapshot, config, args)
            return
        if args.incremental_only:
            full = json.loads(full_record.read_text())
            seed = int(
                runner.read("MATCH ()-[r:INTERACTED {bench: true}]->() RETURN count(r) AS n")[0][
                    "n"
                ]
            )
        else:
            save_model(snapshot, config.model_path)
            runner.write_autocommit(
                "MATCH ()-[r:INTERACTED {bench: true}]->() CALL (r) { DELETE r } IN TRANSACTIONS"
            )
            runner.write_autocommit(
                "MATCH ()-[r:FRIENDS_WITH {bench: true}]->() CALL (r) { DELETE r } IN TRANSACTIONS"
            )
            t = time.perf_counter()
            summary = sync.run("full")
            full = {
                "users": summary.users_scored,
                "relationships": summary.relationships,
                "seconds": time.perf_counter() - t,
                "stages": _stages(summary.seconds, summary.writeback_seconds),
                "run": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            }
            full_record.write_text(json.dumps(full))
            seed = 0
        n, pairs = change_users(runner, snapshot, args.changed, seed)
        t = time.perf_counter()
        inc = sync.run("incremental")
        inc_s = time.perf_counter() - t
        print(inc.describe())

    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GB
    full_note = f" (measured {full['run']})" if args.incremental_only else ""
    lines = [
        f"Graph: {snapshot.num_nodes('user'):,} users, {snapshot.num_nodes('item'):,} items; "
        f"then {n:,} users ({args.changed:.0%}) get a new interaction each, {pairs:,} of them "
        "a new friendship. Model reused (no training in either sync), k = 20; the previous "
        "run is pruned (`keep_runs` 1) after each publish.",
        "",
        "| sync | users scored | users written | RECOMMENDED written | wall time | stages |",
        "|---|---:|---:|---:|---:|---|",
        f"| full{full_note} | {full['users']:,} | {full['users']:,} | "
        f"{full['relationships']:,} | {full['seconds']:,.0f} s | {full['stages']} |",
        # users whose list came out as served are scored, not written (served.py)
        f"| incremental | {inc.users_scored + inc.unchanged_users:,} | {inc.users_scored:,} | "
        f"{inc.relationships:,} | {inc_s:,.0f} s | {_stages(inc.seconds, inc.writeback_seconds)} |",
        "",
        f"Incremental refresh: **{full['seconds'] / inc_s:.1f}x** faster than the full sync "
        f"({inc.changed_users:,} changed users found by the incremental export). Peak RSS "
        f"of the process: {peak_gb:.1f} GB. Scoring runs inside the writeback stage, "
        "interleaved with the writes (`recommendations`); `score` is the scorer's set-up.",
    ]
    scoring = f", --ann-probes {args.ann_probes}" if args.ann_probes else ""
    write_section(f"Incremental vs full sync (1 M users{scoring})", "\n".join(lines))


def diff_sync(
    runner: Neo4jRunner,
    sync: Sync,
    snapshot: GraphSnapshot,
    config: SyncConfig,
    args: argparse.Namespace,
) -> None:
    """A full sync, 1 % of users changed, a full sync again: the second is a diff run."""
    if not config.model_path.exists():
        save_model(snapshot, config.model_path)  # kept: a new one would make no diff
    rows = []
    for step in ("first full sync", "second full sync"):
        if step.startswith("second"):
            seed = runner.read("MATCH ()-[r:INTERACTED {bench: true}]->() RETURN count(r) AS n")
            n, pairs = change_users(runner, snapshot, args.changed, int(seed[0]["n"]))
        t = time.perf_counter()
        summary = sync.run("full")
        seconds = time.perf_counter() - t
        print(summary.describe())
        rows.append(
            f"| {step} | {summary.kind} | {summary.users_scored:,} | "
            f"{summary.unchanged_users:,} | {summary.relationships:,} | {seconds:,.0f} s | "
            f"{_stages(summary.seconds, summary.writeback_seconds)} |"
        )
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    lines = [
        f"Graph: {snapshot.num_nodes('user'):,} users, {snapshot.num_nodes('item'):,} items. "
        f"Between the two syncs {n:,} users ({args.changed:.0%}) get a new interaction each, "
        f"{pairs:,} of them a new friendship. Model reused, k = 20, `--ann-probes "
        f"{args.ann_probes}`, `keep_runs` 1. The first sync rewrites every user (no lists on "
        "file yet, or another run current) and prunes the run before it; the second scores "
        "every user and writes only those whose top-20 changed.",
        "",
        "| sync | kind | users written | users unchanged | RECOMMENDED written | wall time "
        "| stages |",
        "|---|---|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Peak RSS of the process: {peak_gb:.1f} GB.",
    ]
    write_section(
        f"Full sync as a diff run (1 M users, --ann-probes {args.ann_probes})", "\n".join(lines)
    )


if __name__ == "__main__":
    main()
