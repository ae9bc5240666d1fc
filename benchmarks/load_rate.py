"""Load rate: LastFM HetRec 2011 and a 1 M-interaction synthetic graph.

Usage: python -m benchmarks.load_rate [--users 100000] [--wipe-my-database]

Each load starts on an empty database (schema applied) and is timed end to
end: parsing or generating, batching and the MERGE transactions. A second,
idempotent re-load of LastFM is timed too.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import bench_runner, wipe, write_section
from socialrec.load.files import load_lastfm
from socialrec.load.synthetic import SyntheticConfig, load_synthetic
from socialrec.load.writer import GraphWriter


def rels(report_counters: dict[str, int]) -> int:
    return report_counters.get("relationships_created", 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--wipe-my-database", action="store_true")
    args = parser.parse_args()
    runner = bench_runner(args.wipe_my_database)
    rows = []

    wipe(runner)
    writer = GraphWriter(runner)
    t = time.perf_counter()
    report = load_lastfm(writer, progress=False)
    dt = time.perf_counter() - t
    n = sum(report.rows.values())
    rows.append(("LastFM (first load)", n, rels(report.counters), dt))

    writer = GraphWriter(runner)
    t = time.perf_counter()
    report = load_lastfm(writer, progress=False)
    dt = time.perf_counter() - t
    rows.append(("LastFM (re-load, no change)", sum(report.rows.values()), 0, dt))

    wipe(runner)
    config = SyntheticConfig(
        users=args.users,
        items=args.items,
        attributes=200,
        communities=100,
        interactions_per_user=10.5,
    )
    writer = GraphWriter(runner)
    t = time.perf_counter()
    report = load_synthetic(writer, config, progress=False)
    dt = time.perf_counter() - t
    rows.append(
        (f"synthetic {args.users:,} users", sum(report.rows.values()), rels(report.counters), dt)
    )
    runner.close()

    lines = [
        "| load | rows sent | relationships created | seconds | rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, n, created, dt in rows:
        lines.append(f"| {name} | {n:,} | {created:,} | {dt:.1f} | {n / dt:,.0f} |")
    lines.append("")
    lines.append(
        "Rows are interactions + friendships + item-attribute links, each one MERGE "
        "of two nodes and a relationship, 20,000 rows a transaction, one writer."
    )
    write_section("Load rate (issue 2)", "\n".join(lines))


if __name__ == "__main__":
    main()
