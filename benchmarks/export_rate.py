"""Export speed and memory: socialrec's exporter vs a naive Cypher export, side by side.

Usage:
    python -m benchmarks.export_rate [--users 1000000] [--items 200000] [--wipe-my-database]

On first use it loads the seeded synthetic graph (about 10 M interactions and
2 M friendships for 1 M users) into the benchmark instance; later runs reuse it.
Each export runs in its own process, so that its peak RSS is its own:

* ``socialrec``: ``Exporter.full()`` (keyset pages, id lists, numpy decode),
  with the neo4j-rust-ext codec;
* ``socialrec-pure-python``: the same with the driver's pure-Python codec;
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

INTERACTIONS_PER_USER = 10.6  # about 10 M interactions per 1 M users after de-duplication


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
            snap = Exporter(runner, progress=False).full()
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--modes", default="socialrec,socialrec-pure-python,gds-stream,naive")
    parser.add_argument("--wipe-my-database", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.child, json.loads(os.environ["BENCH_CONN"]))))
        return

    from benchmarks.common import bench_runner, write_section

    runner = bench_runner(args.wipe_my_database)
    prepare(runner, args.users, args.items)
    s = runner.settings
    conn = json.dumps(
        {"uri": s.uri, "user": s.user, "password": s.password, "database": s.database}
    )
    runner.close()
    results = []
    for mode in args.modes.split(","):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.export_rate", "--child", mode],
            env={**os.environ, "BENCH_CONN": conn},
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        rels = res["interactions"] + res["friendships"]
        res["rels_per_s"] = rels / res["seconds"]
        print(res, flush=True)
        results.append(res)
    base = next((r for r in results if r["mode"] == "naive"), None)
    lines = [
        f"Graph: synthetic, {args.users:,} users, {args.items:,} items "
        f"(seeded; `benchmarks/export_rate.py` loads it).",
        "",
        "| export | interactions | friendships | seconds | relationships/s | vs naive | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        speedup = f"{base['seconds'] / r['seconds']:.1f}x" if base else "-"
        lines.append(
            f"| {r['mode']} | {r['interactions']:,} | {r['friendships']:,} | "
            f"{r['seconds']:.1f} | {r['rels_per_s']:,.0f} | {speedup} | "
            f"{r['peak_rss_mb']:,.0f} MB |"
        )
    lines += [
        "",
        "Relationships counted once per stored relationship (friendships once per pair; the "
        "socialrec export also builds both directions, the reverse edge types and the item "
        "attributes). Each export runs in a fresh process; peak RSS is that process's.",
    ]
    write_section("Export rate (issue 3)", "\n".join(lines))


if __name__ == "__main__":
    main()
