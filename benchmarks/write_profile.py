"""Where a writeback's time goes on the server: one factor changed at a time.

Usage: python -m benchmarks.write_profile [--transactions 10]

On the benchmark instance's 1 M-user graph (benchmarks/export_rate.py loads
it), warm caches, each row below writes ``--transactions`` transactions of
20,000 relationships (20 items for each of 1,000 users) and deletes them
again. The rows change one thing at a time against the writeback as it ships
(``cypher/write_recommendations.cypher``, popular items, two transactions in
flight):

* which items: a model's top-20 (the benchmark's popularity model, as
  ``writeback_rate`` writes) or uniformly random items (as the old ceiling
  benchmark chose them);
* what a relationship carries: nothing, the four properties serving reads, or
  the six the writer stored before;
* how nodes are found: the id constraints' indexes or internal ids captured
  beforehand (``NodeByIdSeek``);
* transactions in flight (1-3), relationships a transaction, and
  ``CALL { ... } IN CONCURRENT TRANSACTIONS`` (one query, the server's threads);
* parameters only (``RETURN size($users)``): Bolt encoding and transfer alone.

Then PROFILE of one batch (db hits and page-cache hits per operator), and the
store and page cache sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import bench_runner, write_section
from benchmarks.writeback_rate import SNAPSHOT, popularity_model
from socialrec import queries
from socialrec.export import GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping

PER_USER = 20
RUN = "profile"
SHIPPED = "shipped writer: 4 properties, model top-20, 20,000 a transaction, 2 in flight"

LOOKUP = (
    "UNWIND range(0, size($users) - 1) AS u MATCH (user:User {id: $users[u]}) "
    "WITH user, u, $items[u] AS items UNWIND range(0, size(items) - 1) AS j "
    "MATCH (item:Item {id: items[j]}) "
)
BY_ID = (
    "UNWIND range(0, size($users) - 1) AS u MATCH (user) WHERE id(user) = $users[u] "
    "WITH user, u, $items[u] AS items UNWIND range(0, size(items) - 1) AS j "
    "MATCH (item) WHERE id(item) = items[j] "
)
FOUR = "{score: $scores[u][j], rank: j + 1, because: $because[u][j], run_id: $run_id}"
SIX = (
    "{score: $scores[u][j], rank: j + 1, because: $because[u][j], run_id: $run_id, "
    "model: $model, created_at: $created_at}"
)
CONCURRENT = (
    "UNWIND range(0, size($users) - 1) AS u "
    "CALL (u) { MATCH (user:User {id: $users[u]}) "
    "WITH user, $items[u] AS items UNWIND range(0, size(items) - 1) AS j "
    "MATCH (item:Item {id: items[j]}) "
    f"CREATE (user)-[:RECOMMENDED {FOUR}]->(item) }} "
    "IN 2 CONCURRENT TRANSACTIONS OF 1000 ROWS"
)


def model_rows(snapshot: GraphSnapshot, users: np.ndarray) -> list[list[Any]]:
    """Each user's top-20 item ids and their because lists, as the writeback sends them."""
    out: list[list[Any]] = [[], [], [], []]
    for batch in popularity_model(snapshot).recommendations(PER_USER, users, chunk=2000):
        assert batch.because is not None  # asked for: recommendations' default is 3
        parts: tuple[list[Any], ...] = (batch.users, batch.items, batch.scores, batch.because)
        for column, part in zip(out, parts, strict=True):
            column.extend(part)
    return out


def uniform_rows(snapshot: GraphSnapshot, users: np.ndarray, rng: np.random.Generator) -> list:
    ids = snapshot.ids["item"]
    items = [ids[rng.choice(len(ids), PER_USER, replace=False)].tolist() for _ in users]
    scores = [rng.random(PER_USER).tolist() for _ in users]
    because: list[list[list[int]]] = [[[] for _ in range(PER_USER)] for _ in users]
    return [snapshot.ids["user"][users].tolist(), items, scores, because]


def batches(rows: list[list[Any]], per_tx: int) -> list[dict[str, Any]]:
    users, items, scores, because = rows
    out = []
    for s in range(0, len(users), per_tx):
        out.append(
            {
                "users": list(users[s : s + per_tx]),
                "items": list(items[s : s + per_tx]),
                "scores": list(scores[s : s + per_tx]),
                "because": list(because[s : s + per_tx]),
                "run_id": RUN,
                "model": "popularity",
                "created_at": dt.datetime.now(dt.UTC),
            }
        )
    return out


def internal_ids(runner: Neo4jRunner, work: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same batches with internal node ids in place of the id property."""
    users = sorted({u for b in work for u in b["users"]})
    items = sorted({i for b in work for row in b["items"] for i in row})
    lookup = "UNWIND $ids AS x MATCH (n:{label} {{id: x}}) RETURN x AS id, id(n) AS node"
    u = {r["id"]: r["node"] for r in runner.read(lookup.format(label="User"), {"ids": users})}
    i = {r["id"]: r["node"] for r in runner.read(lookup.format(label="Item"), {"ids": items})}
    return [
        b | {"users": [u[x] for x in b["users"]], "items": [[i[x] for x in r] for r in b["items"]]}
        for b in work
    ]


def rate(run: Callable[[str, dict], Any], query: str, work: list[dict], writers: int) -> float:
    rows = sum(len(r) for b in work for r in b["items"])
    t = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(lambda p: run(query, p), work))
    return rows / (time.perf_counter() - t)


def clean_query() -> str:
    """The benchmark run's deletion, as ``run_delete_recommendations.cypher`` does it."""
    return (
        "MATCH ()-[r:RECOMMENDED {run_id: $run}]->() CALL (r) { DELETE r } "
        "IN TRANSACTIONS OF 10000 ROWS"
    )


def clean(runner: Neo4jRunner) -> None:
    runner.write_autocommit(clean_query(), {"run": RUN})


def operators(plan: dict[str, Any], depth: int = 0) -> list[str]:
    """One table row per operator of a PROFILE plan."""
    rows = [
        f"| {'&nbsp;' * 2 * depth}{plan['operatorType'].removesuffix('@neo4j')} | "
        f"{plan.get('rows', 0):,} | {plan.get('dbHits', 0):,} |"
    ]
    for child in plan.get("children", []):
        rows += operators(child, depth + 1)
    return rows


def store_sizes(runner: Neo4jRunner) -> str:
    settings = {
        r["name"]: r["value"]
        for r in runner.read(
            "SHOW SETTINGS YIELD name, value WHERE name IN "
            "['server.memory.pagecache.size', 'server.directories.data'] RETURN name, value"
        )
    }
    data = Path(settings.get("server.directories.data", ""))
    store = data / "databases" / "neo4j"
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) if store.exists() else 0
    return (
        f"Store `{store.name}` {size / 2**30:.2f} GiB on disk; page cache "
        f"{settings.get('server.memory.pagecache.size', '?')}."
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=10)
    parser.add_argument("--pagecache", help="restart the benchmark server with this page cache")
    parser.add_argument("--wipe-my-database", action="store_true")
    args = parser.parse_args()
    snapshot = GraphSnapshot.load(SNAPSHOT)
    rng = np.random.default_rng(0)
    n = 1000 * args.transactions
    users = np.sort(rng.choice(snapshot.num_nodes("user"), n, replace=False))
    model, uniform = model_rows(snapshot, users), uniform_rows(snapshot, users, rng)
    mapping = GraphMapping()
    shipped = queries.load("write_recommendations", mapping)
    results: list[tuple[str, float]] = []
    with bench_runner(args.wipe_my_database, args.pagecache) as runner:
        clean(runner)
        write, read = runner.write, runner.read
        work = batches(model, 1000)
        by_id = internal_ids(runner, work)
        rate(read, LOOKUP + "RETURN count(*)", work, 1)  # warm the caches
        rate(read, BY_ID + "RETURN count(*)", by_id, 1)

        def measure(name: str, query: str, rows: list[dict], writers: int = 2, how=write) -> None:
            r = rate(how, query, rows, writers)
            if how is not read:
                clean(runner)
            results.append((name, r))
            print(f"{name}: {r:,.0f}/s", flush=True)

        bare = "CREATE (user)-[:RECOMMENDED {run_id: $run_id}]->(item)"
        four, six = (f"CREATE (user)-[:RECOMMENDED {p}]->(item)" for p in (FOUR, SIX))
        uniform_work = batches(uniform, 1000)
        measure("parameters only (`RETURN size($users)`)", "RETURN size($users)", work, 1, read)
        measure("MATCH only, id indexes", LOOKUP + "RETURN count(*)", work, 1, read)
        measure("MATCH only, internal ids", BY_ID + "RETURN count(*)", by_id, 1, read)
        # The first writes after a start run at a fraction of the later rate (the
        # store's write path warming up): two passes first, not measured.
        for _ in range(2):
            rate(write, shipped, work, 2)
            clean(runner)
        measure(SHIPPED, shipped, work)
        measure("six properties (the writer before)", LOOKUP + six, work)
        measure("run_id only", LOOKUP + bare, work)
        measure("run_id only, 1 stream", LOOKUP + bare, work, 1)
        measure(
            "run_id only, 1 stream, random items (the old ceiling)", LOOKUP + bare, uniform_work, 1
        )
        measure("random items", shipped, uniform_work)
        measure("internal-id lookups", BY_ID + four, by_id)
        measure("1 transaction in flight", shipped, work, 1)
        measure("3 transactions in flight", shipped, work, 3)
        measure("5,000 relationships a transaction", shipped, batches(model, 250))
        measure("50,000 relationships a transaction", shipped, batches(model, 2500))
        measure(
            "`IN 2 CONCURRENT TRANSACTIONS OF 1000 ROWS`, one query",
            CONCURRENT,
            batches(model, n),
            1,
            runner.write_autocommit,
        )
        measure(SHIPPED + ", again last", shipped, work)
        with runner.driver.session(database=runner.settings.database) as session:
            profile = session.run("PROFILE " + shipped, work[0]).consume().profile
        clean(runner)
        sizes = store_sizes(runner)
    base = dict(results)[SHIPPED]
    lines = [
        f"{args.transactions} transactions of 20,000 relationships (20 items for each of 1,000 "
        "users) between existing nodes of the 1 M-user graph, warm caches; two transactions in "
        "flight unless the row says otherwise; two unmeasured passes of the shipped writer "
        "first. " + sizes,
        "",
        "| variant | relationships/s | vs shipped |",
        "|---|---:|---:|",
        *(f"| {name} | {r:,.0f} | {r / base:.2f}x |" for name, r in results),
        "",
        "PROFILE of one 20,000-relationship batch of the shipped writer:",
        "",
        "| operator | rows | db hits |",
        "|---|---:|---:|",
        *operators(profile or {}),
    ]
    write_section("Writeback profile (issue 15)", "\n".join(lines))


if __name__ == "__main__":
    main()
