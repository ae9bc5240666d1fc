"""Full export of LastFM from Neo4j: seconds and relationships/s, optionally against
another commit's exporter, interleaved on the same server.

Usage: python -m benchmarks.lastfm_export [--rounds 5] [--baseline REV]

LastFM is loaded once into the ``bench-lastfm`` instance (port 27688, as
``benchmarks.common.lastfm_snapshot`` does). Each export runs in a fresh
process (``Exporter(runner, progress=False).full()``); with ``--baseline`` the
same runs alternate with the exporter of commit REV (checked out in a temporary
git worktree), so that the machine's drift hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import write_section

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
from socialrec.config import ConnectionSettings
from socialrec.export import Exporter
from socialrec.graph.runner import Neo4jRunner
conn = json.loads(sys.argv[1])
with Neo4jRunner(ConnectionSettings(conn["uri"], conn["user"], conn["password"])) as r:
    t = time.perf_counter()
    Exporter(r, progress=False).full()
    seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_rss_mb": rss}))
"""


def lastfm_server() -> dict[str, str]:
    """The bench-lastfm instance, LastFM loaded; its connection."""
    from benchmarks.common import wipe
    from socialrec.graph.runner import Neo4jRunner
    from socialrec.load.files import load_lastfm
    from socialrec.load.writer import GraphWriter
    from socialrec.server.local import LocalNeo4j, ServerSettings

    server = LocalNeo4j(
        ServerSettings(
            name="bench-lastfm", bolt_port=27688, http_port=27475, heap="1g", pagecache="256m"
        )
    )
    server.start()
    settings = server.connection()
    with Neo4jRunner(settings) as r:
        if r.read("MATCH (u:User) RETURN count(u) AS n")[0]["n"] != 1892:
            wipe(r)
            load_lastfm(GraphWriter(r), progress=False)
    return {"uri": settings.uri, "user": settings.user, "password": settings.password}


def relationships(conn: dict[str, str]) -> dict[str, int]:
    from socialrec.config import ConnectionSettings
    from socialrec.graph.runner import Neo4jRunner

    with Neo4jRunner(ConnectionSettings(conn["uri"], conn["user"], conn["password"])) as r:
        rows = r.read("MATCH ()-[x]->() RETURN type(x) AS t, count(x) AS n")
    return {row["t"]: row["n"] for row in rows}


def one_export(repo: Path, conn: dict[str, str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(conn)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", help="a commit whose exporter runs in the same rounds")
    args = parser.parse_args()
    conn = lastfm_server()
    counts = relationships(conn)
    total = sum(counts.values())
    variants = {"this commit": ROOT}
    tmp = None
    if args.baseline:
        tmp = tempfile.mkdtemp(prefix="socialrec-baseline-")
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-f", tmp, args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        # the installed package maps socialrec.cypher to *this* checkout's cypher/:
        # the baseline gets its own query files (and data) inside its package
        for package, folder in (("cypher", "cypher"), ("datasets", "data")):
            link, target = Path(tmp) / "socialrec" / package, Path(tmp) / folder
            if target.exists() and not link.exists():
                link.symlink_to(target, target_is_directory=True)
        variants[f"commit {args.baseline}"] = Path(tmp)
    times: dict[str, list[float]] = {name: [] for name in variants}
    rss: dict[str, float] = {}
    try:
        for _ in range(args.rounds):
            for name, repo in variants.items():
                res = one_export(repo, conn)
                times[name].append(res["seconds"])
                rss[name] = max(rss.get(name, 0.0), res["peak_rss_mb"])
                print(name, res, flush=True)
    finally:
        if tmp:
            subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=ROOT, check=False)
    lines = [
        f"LastFM HetRec 2011 in Neo4j: {total:,} relationships "
        f"({', '.join(f'{t} {n:,}' for t, n in sorted(counts.items()))}); "
        "`Exporter(runner, progress=False).full()` in a fresh process per run, with the "
        "neo4j-rust-ext codec; medians over the rounds, variants interleaved.",
        "",
        "| exporter | rounds | median s | relationships/s | min s | max s | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, ts in times.items():
        med = statistics.median(ts)
        lines.append(
            f"| {name} | {len(ts)} | {med:.2f} | {total / med:,.0f} | {min(ts):.2f} | "
            f"{max(ts):.2f} | {rss[name]:,.0f} MB |"
        )
    lines += [
        "",
        "Per round (s): "
        + "; ".join(
            " / ".join(f"{times[name][i]:.2f}" for name in variants) for i in range(args.rounds)
        )
        + f" ({' / '.join(variants)}).",
    ]
    write_section("Export rate, LastFM (issue 14)", "\n".join(lines))


if __name__ == "__main__":
    main()
