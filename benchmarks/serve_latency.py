"""recommend.cypher latency on an idle server, for the run the benchmark server serves.

Usage: python -m benchmarks.serve_latency [--users 1000] [--k 10] [--baseline REV]

Reads the current run that benchmarks/sync_refresh.py (or writeback_rate.py)
left in the benchmark instance and times ``cypher/recommend.cypher`` for
random users it serves, each query once, interleaved with the same users
through the file as it was at git revision ``--baseline`` (default: the
version that read ``because`` from the relationships), so that both see the
same cache. The latency under a running writeback is writeback_rate.py's.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import numpy as np

from benchmarks.common import bench_runner, write_section
from socialrec import queries
from socialrec.mapping import GraphMapping

#: the last commit whose recommend.cypher read `because` stored on each relationship
STORED_BECAUSE = "1ed9ec1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--baseline", default=STORED_BECAUSE)
    parser.add_argument("--wipe-my-database", action="store_true")
    args = parser.parse_args()
    mapping = GraphMapping()
    root = Path(__file__).resolve().parents[1]
    old_text = subprocess.run(
        ["git", "show", f"{args.baseline}:cypher/recommend.cypher"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    variants = {
        "recommend.cypher (because read from the graph)": queries.load("recommend", mapping),
        f"recommend.cypher at {args.baseline} (because stored)": queries.render(old_text, mapping),
    }
    with bench_runner(args.wipe_my_database) as runner:
        ids = runner.read(
            "MATCH (run:RecommendationRun {namespace: $ns, current: true}) "
            "MATCH (u:User)-[r:RECOMMENDED]->() WHERE r.run_id IN run.serves AND r.rank = 1 "
            "RETURN collect(u.id) AS ids",
            {"ns": mapping.output_namespace},
        )[0]["ids"]
        rng = np.random.default_rng(0)
        users = rng.choice(ids, min(args.users, len(ids)), replace=False).tolist()
        times: dict[str, list[float]] = {name: [] for name in variants}
        friends_named = 0
        for query in variants.values():  # one warm-up pass each
            for user in users[:100]:
                runner.read(query, {"namespace": mapping.output_namespace, "user": user, "k": 1})
        for user in users:
            for name, query in variants.items():
                params = {"namespace": mapping.output_namespace, "user": user, "k": args.k}
                t = time.perf_counter()
                rows = runner.read(query, params)
                times[name].append((time.perf_counter() - t) * 1000)
                assert rows, f"no recommendations for {user}"
                if name.startswith("recommend.cypher (") and any(r["because"] for r in rows):
                    friends_named += 1
    lines = [
        f"{len(users):,} random users of the current run of {len(ids):,}, k = {args.k}, each "
        "query once a user, the two versions interleaved user by user after a 100-user warm-up; "
        "the server idle.",
        "",
        "| query | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for name, values in times.items():
        p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
        lines.append(f"| {name} | {p50:.1f} | {p99:.1f} | {max(values):.1f} |")
    lines += [
        "",
        f"Users with at least one friend named in `because`: {friends_named:,} of {len(users):,}.",
    ]
    write_section("recommend.cypher latency, because at query time (issue 15)", "\n".join(lines))


if __name__ == "__main__":
    main()
