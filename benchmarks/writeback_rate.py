"""Writeback speed and serving latency on the 1 M-user synthetic graph.

Usage: python -m benchmarks.writeback_rate [--users 100000] [--k 20]

Uses the graph benchmarks/export_rate.py loads into the benchmark instance
(1 M users, 200 k items) and its snapshot benchmarks/out/synthetic-1m.pt.

1. socialrec's writeback: top-``k`` for ``--users`` users as one atomic run
   (RECOMMENDED relationships with score, rank, run_id), embeddings
   off so that the figure is relationships/s; the first after the server's
   start, then the same run again (the JVM's write path compiled by then).
2. The naive writer, side by side: one auto-commit ``MATCH ... MERGE ... SET``
   per recommendation (measured on ``--naive-rows`` rows).
3. ``cypher/recommend.cypher`` latency, p50 / p99 over 1,000 random users,
   with the database idle and while a second writeback of ``--busy-users``
   runs: two transactions in flight, one, and one under ``--max-rate``.
   ``--pagecache 2g`` restarts the server with a fixed page cache (default:
   ``auto``, sized from the store).

Embeddings are a popularity-biased random model (score = popularity + noise):
the rate depends on how many rows are written and which items they point to,
not on how good the model is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import bench_runner, write_section
from socialrec import queries
from socialrec.export import GraphSnapshot
from socialrec.export.snapshot import INTERACTS
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.score import Scorer
from socialrec.topk import TopK
from socialrec.writeback import RunStore, Writeback, WritebackConfig

SNAPSHOT = Path(__file__).resolve().parent / "out" / "synthetic-1m.pt"


def popularity_model(snapshot: GraphSnapshot, dim: int = 64) -> Scorer:
    g = torch.Generator().manual_seed(0)
    n_u, n_i = snapshot.num_nodes("user"), snapshot.num_nodes("item")
    pop = np.bincount(snapshot.data[INTERACTS].edge_index[1].numpy(), minlength=n_i)
    user = torch.randn(n_u, dim, generator=g) * 0.1
    item = torch.randn(n_i, dim, generator=g) * 0.1
    user[:, 0] = 1.0
    item[:, 0] = torch.as_tensor(np.log1p(pop), dtype=torch.float32)
    return Scorer(snapshot, user, item)


class Precomputed(Scorer):
    """The benchmark's scorer with its recommendations computed beforehand.

    Scoring 100 k users against 200 k items is 1.3 TFLOP on the same 2 cores
    as Neo4j; computing it first lets the write rate be measured on its own
    (the scoring time is reported next to it).

    The writer asks the scorer for ranked lists (``top_k``) and interleaves
    scoring with its writes, so that is the method replaced: replacing
    ``recommendations`` alone, as this class once did, let the writer score
    again inside the measured write (RESULTS "Writeback, GDS write path and
    warm rates").
    """

    def __init__(self, base: Scorer, tops: list[TopK]) -> None:
        self.__dict__.update(base.__dict__)
        self.tops = tops

    def top_k(self, k: int, users: np.ndarray | None = None, *a: Any, **kw: Any) -> Iterator[TopK]:
        wanted = self.user_indices() if users is None else users
        served = np.concatenate([t.users for t in self.tops])
        if not np.array_equal(served[: len(wanted)], wanted):
            raise AssertionError("Precomputed serves the users it was built for, in order")
        left = len(wanted)
        for top in self.tops:
            if left <= 0:
                return
            yield TopK(top.users[:left], top.items[:left], top.scores[:left])
            left -= len(top.users)


def naive_rate(runner: Neo4jRunner, scorer: Scorer, users: np.ndarray, k: int, rows: int) -> float:
    """One auto-commit MERGE per recommendation: what a first script does."""
    batch = next(scorer.recommendations(k, users[: max(1, rows // k)], chunk=rows))
    assert batch.because is not None  # asked for: recommendations' default is 3
    query = (
        "MATCH (u:User {id: $user}) MATCH (i:Item {id: $item}) "
        "MERGE (u)-[r:RECOMMENDED {run_id: $run_id}]->(i) "
        "SET r.score = $score, r.rank = $rank, r.because = $because, r.model = $model, "
        "r.created_at = $created_at"
    )
    now = dt.datetime.now(dt.UTC)
    n = 0
    t = time.perf_counter()
    with runner.driver.session(database=runner.settings.database) as session:
        for user, items, scores, because in zip(
            batch.users, batch.items, batch.scores, batch.because, strict=True
        ):
            for j, item in enumerate(items):
                session.run(
                    query,
                    user=user, item=item, run_id="naive", score=scores[j], rank=j + 1,
                    because=because[j], model="naive", created_at=now,
                ).consume()  # fmt: skip
                n += 1
    seconds = time.perf_counter() - t
    runner.write_autocommit(
        "MATCH ()-[r:RECOMMENDED {run_id: 'naive'}]->() CALL (r) { DELETE r } IN TRANSACTIONS"
    )
    return n / seconds


def latencies(runner: Neo4jRunner, user_ids: list[int], k: int = 10) -> tuple[float, float]:
    query = queries.load("recommend", GraphMapping())
    times = []
    for user in user_ids:
        t = time.perf_counter()
        rows = runner.read(
            query, {"namespace": GraphMapping().output_namespace, "user": user, "k": k}
        )
        times.append((time.perf_counter() - t) * 1000)
        assert rows, f"no recommendations for {user}"
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def busy_latencies(
    runner: Neo4jRunner,
    scorer: Scorer,
    tops: list[TopK],
    users: np.ndarray,
    config: WritebackConfig,
    sample: list[int],
) -> tuple[float, float, float, bool]:
    """p50 / p99 of recommend.cypher while a writeback of ``users`` runs, and its rate.

    The writeback is an incremental run (a full run of fewer users than the
    current one serves would rightly be refused at publish).
    """
    done = threading.Event()
    reports: list[Any] = []

    def write() -> None:
        reports.append(
            Writeback(runner, GraphMapping(), config).run(
                Precomputed(scorer, tops), "popularity", users=users, incremental=True
            )
        )
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(5)  # let the writeback get into its batches
    p50, p99 = latencies(runner, sample)
    finished_during = done.is_set()
    thread.join()
    return p50, p99, reports[0].relationships_per_second, finished_during


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--busy-users", type=int, default=30_000)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--naive-rows", type=int, default=4_000)
    parser.add_argument("--max-rate", type=float, default=10_000.0)
    parser.add_argument("--pagecache", help="restart the benchmark server with this page cache")
    parser.add_argument("--wipe-my-database", action="store_true")
    args = parser.parse_args()
    snapshot = GraphSnapshot.load(SNAPSHOT)
    scorer = popularity_model(snapshot)
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(snapshot.num_nodes("user"), args.users, replace=False))
    config = WritebackConfig(k=args.k, embeddings=False, keep_runs=1)
    per_batch = config.batch_size // args.k
    t = time.perf_counter()
    tops = list(scorer.top_k(args.k, users, chunk=per_batch))
    score_seconds = time.perf_counter() - t
    print(f"scoring {args.users:,} users: {score_seconds:.1f} s", flush=True)
    busy_users = users[: args.busy_users]
    busy_tops = tops[: -(-len(busy_users) // per_batch)]
    with bench_runner(args.wipe_my_database, args.pagecache) as runner:
        pagecache = runner.read(
            "SHOW SETTINGS YIELD name, value WHERE name = 'server.memory.pagecache.size' "
            "RETURN value"
        )[0]["value"]
        RunStore(runner, GraphMapping()).clean(keep=0)
        report = Writeback(runner, GraphMapping(), config).run(
            Precomputed(scorer, tops), "popularity", users=users
        )
        rate = report.relationships_per_second
        print(f"socialrec: {report.relationships:,} in {report.seconds['recommendations']:.1f} s")
        # The same writeback again on the same server: the JVM has now compiled the
        # write path, which the first one after a start pays for ("Writeback after a
        # restart, cold vs warm").
        again = Writeback(runner, GraphMapping(), config).run(
            Precomputed(scorer, tops), "popularity", users=users
        )
        print(f"socialrec, again: {again.relationships_per_second:,.0f}/s", flush=True)
        naive = naive_rate(runner, scorer, users, args.k, args.naive_rows)
        print(f"naive: {naive:,.0f}/s", flush=True)

        sample = snapshot.ids["user"][rng.choice(users, 1000, replace=False)].tolist()
        latencies(runner, sample)  # warm: the first pass reads the sample from disk
        idle = latencies(runner, sample)
        print(f"idle p50/p99 {idle}", flush=True)
        busy = {}
        for name, cfg in (
            (f"{config.writers} transactions in flight (default)", config),
            ("1 transaction in flight", replace(config, writers=1)),
            (
                f"1 in flight, `--max-rate {args.max_rate:,.0f}`",
                replace(config, writers=1, max_rate=args.max_rate),
            ),
        ):
            busy[name] = busy_latencies(runner, scorer, busy_tops, busy_users, cfg, sample)
            print(name, busy[name], flush=True)
    with_scoring = report.relationships / (report.seconds["recommendations"] + score_seconds)
    lines = [
        f"Graph: {snapshot.num_nodes('user'):,} users, {snapshot.num_nodes('item'):,} items; "
        f"top-{args.k} for {args.users:,} random users ({report.relationships:,} RECOMMENDED "
        "relationships with score, rank, run_id), one atomic run, "
        f"{config.batch_size:,} relationships a transaction, "
        f"{config.writers} transactions in flight, embeddings not written. "
        f"Page cache {pagecache}.",
        "",
        "| writer | relationships/s | vs naive |",
        "|---|---:|---:|",
        f"| socialrec writeback (batched UNWIND, constraint-index lookups), the first after "
        f"the server's start | {rate:,.0f} | **{rate / naive:.1f}x** |",
        f"| socialrec writeback, the same run again (write path JIT-compiled) | "
        f"{again.relationships_per_second:,.0f} | "
        f"**{again.relationships_per_second / naive:.1f}x** |",
        f"| socialrec writeback, scoring included (measured separately: "
        f"{score_seconds:.0f} s for {args.users:,} users x "
        f"{snapshot.num_nodes('item'):,} items) | "
        f"{with_scoring:,.0f} | {with_scoring / naive:.1f}x |",
        f"| naive: one auto-commit MERGE per row ({args.naive_rows:,} rows) | {naive:,.0f} | 1x |",
        "",
        f"Whole run (score + write + publish + prune): {report.seconds['total']:.1f} s.",
        "",
        "`recommend.cypher` latency, 1,000 random users with recommendations, k = 10 (the "
        f"writebacks running meanwhile write {len(busy_users):,} users):",
        "",
        "| database | p50 ms | p99 ms | writer relationships/s |",
        "|---|---:|---:|---:|",
        f"| idle | {idle[0]:.1f} | {idle[1]:.1f} | |",
        *(
            f"| during a writeback, {name} | {b[0]:.1f} | {b[1]:.1f} | {b[2]:,.0f}"
            f"{' (finished before the sample did)' if b[3] else ''} |"
            for name, b in busy.items()
        ),
    ]
    name = "Writeback rate and serving latency"
    if args.pagecache:
        name += f", page cache {args.pagecache}"
    write_section(name, "\n".join(lines))


if __name__ == "__main__":
    main()
