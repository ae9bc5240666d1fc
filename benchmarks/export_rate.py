"""Export speed and memory: socialrec's exporter vs a naive Cypher export, side by side.

Usage:
    python -m benchmarks.export_rate [--users 1000000] [--items 200000] [--wipe-my-database]

On first use it loads the seeded synthetic graph (about 10 M interactions and
2 M friendships for 1 M users) into the benchmark instance; later runs reuse it.
Each export runs in its own process, so that its peak RSS is its own:

* ``socialrec``: ``Exporter.full()`` (keyset pages, id lists, numpy decode),
  with the neo4j-rust-ext codec;
* ``socialrec-pure-python``: the same with the driver's pure-Python codec;
* ``socialrec-ids-only``: ``Exporter(edge_properties=False)``, no weights/times;
* ``gds-stream``: GDS native projection + ``gds.graph.relationships.stream``
  through Cypher, decoded the same way;
* ``naive``: ``session.run("MATCH (u)-[r]->(i) RETURN u.id, i.id").data()``
  for interactions and friendships.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

INTERACTIONS_PER_USER = 10.6  # about 10 M interactions per 1 M users after de-duplication
STORE = Path(__file__).resolve().parent / "reports" / "export_rate.json"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mode(mode: str, settings: dict) -> dict:
    if mode == "socialrec-pure-python":
        sys.modules["neo4j._rust"] = None  # type: ignore[assignment]  # force the Python codec
    import neo4j
    import numpy as np

    from socialrec.config import ConnectionSettings
    from socialrec.export import Exporter
    from socialrec.graph.runner import Neo4jRunner

    conn = ConnectionSettings(**settings)
    t = time.perf_counter()
    if mode.startswith("socialrec"):
        with Neo4jRunner(conn) as runner:
            props = mode != "socialrec-ids-only"
            snap = Exporter(runner, progress=False, edge_properties=props).full()
        rels = sum(snap.report.edges.values())
        interacts = snap.report.edges["interacts"]
        friends = snap.report.edges["friends"] // 2
        other = rels - interacts - 2 * friends
    elif mode == "naive":
        with (
            neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as d,
            d.session() as s,
        ):
            a = s.run("MATCH (u:User)-[r:INTERACTED]->(i:Item) RETURN u.id, i.id").data()
            b = s.run("MATCH (u:User)-[:FRIENDS_WITH]->(v:User) RETURN u.id, v.id").data()
        interacts, friends, other = len(a), len(b), 0
    elif mode == "gds-stream":
        with neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as d:
            d.execute_query("CALL gds.graph.drop('bench', false)")
            d.execute_query(
                "CALL gds.graph.project('bench', ['User', 'Item'], "
                "{INTERACTED: {}, FRIENDS_WITH: {}})"
            )
            with d.session() as s:
                result = s.run(
                    "CALL gds.graph.relationships.stream('bench') "
                    "YIELD sourceNodeId, targetNodeId, relationshipType "
                    "RETURN sourceNodeId, targetNodeId, relationshipType"
                )
                src, dst, kinds = [], [], []
                for rec in result:
                    src.append(rec[0])
                    dst.append(rec[1])
                    kinds.append(rec[2])
            d.execute_query("CALL gds.graph.drop('bench', false)")
        src_a, kinds_a = np.asarray(src), np.asarray(kinds)
        interacts = int((kinds_a == "INTERACTED").sum())
        friends = len(src_a) - interacts
        other = 0
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t
    return {
        "mode": mode,
        "seconds": seconds,
        "interactions": interacts,
        "friendships": friends,
        "other": other,
        "peak_rss_mb": rss_mb(),
    }


def profile(runner) -> list[str]:  # type: ignore[no-untyped-def]
    """Where one 500,000-edge batch spends its time (server vs client)."""
    from socialrec import queries
    from socialrec.export import Exporter

    exporter = Exporter(runner, progress=False)
    t = time.perf_counter()
    users = exporter.node_table("user")
    table_s = time.perf_counter() - t
    batch = next(exporter._batches(users, "interacted"))
    edges = int(users.degrees["interacted"][users.index(batch)].sum())
    variants = [
        (
            "traverse and count only",
            "UNWIND $nids AS nid MATCH (u) WHERE id(u) = nid "
            "MATCH (u)-[:INTERACTED]->(i) RETURN count(*) AS n",
        ),
        (
            "ids (export_interaction_pairs)",
            queries.load("export_interaction_pairs", exporter.mapping),
        ),
        (
            "ids + weight + time (export_interactions)",
            queries.load("export_interactions", exporter.mapping),
        ),
    ]
    rows = [
        f"Profile of one batch ({edges:,} interactions of {len(batch):,} users); the "
        f"1 M-user node table with degrees took {table_s:.1f} s:",
        "",
        "| query | wall s | server s | edges/s |",
        "|---|---:|---:|---:|",
    ]
    with runner.driver.session() as session:
        for name, text in variants:
            t = time.perf_counter()
            result = session.run(text, nids=batch.tolist())
            result.single()
            summary = result.consume()
            wall = time.perf_counter() - t
            server = (summary.result_available_after + summary.result_consumed_after) / 1000
            rows.append(f"| {name} | {wall:.2f} | {server:.2f} | {edges / wall:,.0f} |")
    return rows


def prepare(runner, users: int, items: int) -> None:  # type: ignore[no-untyped-def]
    from socialrec.load.synthetic import SyntheticConfig, load_synthetic
    from socialrec.load.writer import GraphWriter

    have = runner.read("MATCH (u:User) RETURN count(u) AS n")[0]["n"]
    if have == users:
        return
    from benchmarks.common import wipe

    print(f"loading the synthetic graph ({users:,} users) into the benchmark instance...")
    wipe(runner)
    config = SyntheticConfig(
        users=users,
        items=items,
        attributes=500,
        communities=200,
        interactions_per_user=INTERACTIONS_PER_USER,
    )
    t = time.perf_counter()
    load_synthetic(GraphWriter(runner), config)
    print(f"loaded in {time.perf_counter() - t:.0f} s")


def table(saved: dict[str, dict[str, Any]]) -> list[str]:
    """The rows in the order they were first measured; "vs naive" only on naive's graph."""
    base = saved.get("naive")
    lines = [
        "| export | interactions | friendships | seconds | relationships/s | vs naive "
        "| peak RSS | run |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, r in saved.items():
        speedup = "-"  # rows measured on another graph are not comparable
        if base is not None and base["interactions"] == r["interactions"]:
            speedup = f"{base['seconds'] / r['seconds']:.1f}x"
        lines.append(
            f"| {r.get('label', key)} | {r['interactions']:,} | {r['friendships']:,} | "
            f"{r['seconds']:.1f} | {r['rels_per_s']:,.0f} | {speedup} | "
            f"{r['peak_rss_mb']:,.0f} MB | {r['run']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument(
        "--modes", default="socialrec,socialrec-ids-only,socialrec-pure-python,gds-stream,naive"
    )
    parser.add_argument("--wipe-my-database", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.child, json.loads(os.environ["BENCH_CONN"]))))
        return

    from benchmarks.common import bench_runner, write_section

    runner = bench_runner(args.wipe_my_database)
    prepare(runner, args.users, args.items)
    profile_lines = profile(runner)
    s = runner.settings
    conn = json.dumps(
        {"uri": s.uri, "user": s.user, "password": s.password, "database": s.database}
    )
    runner.close()
    # Rows of modes not re-run now are kept from earlier runs (dated), so one slow
    # baseline need not be re-measured whenever another mode changes. They live in a
    # tracked file, so a fresh clone's run keeps them too.
    saved = json.loads(STORE.read_text()) if STORE.exists() else {}
    for mode in args.modes.split(","):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.export_rate", "--child", mode],
            env={**os.environ, "BENCH_CONN": conn},
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        res["rels_per_s"] = (res["interactions"] + res["friendships"]) / res["seconds"]
        res["run"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(res, flush=True)
        saved[mode] = res
    STORE.write_text(json.dumps(saved, indent=1) + "\n")
    lines = [
        f"Graph: synthetic, {args.users:,} users, {args.items:,} items "
        f"(seeded; `benchmarks/export_rate.py` loads it).",
        "",
        *table(saved),
        "",
        *profile_lines,
        "",
        "Each row keeps the date of the run that measured it: the same script with "
        "`--modes <row name>`; rows are kept in `benchmarks/reports/export_rate.json`. "
        "Relationships counted once per stored relationship (friendships once per pair; the "
        "socialrec export also builds both directions, the reverse edge types and the item "
        "attributes). Each export runs in a fresh process; peak RSS is that process's.",
    ]
    write_section("Export rate (issue 3)", "\n".join(lines))


if __name__ == "__main__":
    main()
