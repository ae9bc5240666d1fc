"""The A/B comparisons behind the hand-written writeback sections of RESULTS.md.

Usage: python -m benchmarks.write_ab batch | ids | index | gds | number

Prints only (the figures are quoted in "Writeback profile, what it says" and
"Writeback, GDS write path and warm rates"):

* ``batch``: relationships a transaction, 20,000 / 10,000 / 5,000 (and 5,000 with
  one transaction in flight), three alternating rounds over the same 10,000
  users' top-20, medians;
* ``ids``: internal-id lookups (``id()``, ``elementId()``) and the safe variant
  that also checks the id property, between two runs of the shipped writer;
* ``index``: what the RECOMMENDED(run_id) index costs the writes and saves the
  deletes: the shipped writer, then the run's deletion, with the index and
  without it (deleting through the run's users instead), three alternating
  rounds, medians; then, without the index, a prune that must find the run by
  scanning every user (a prune does not know a full run's users).
* ``gds``: GDS's write path against the shipped writer, three alternating
  rounds over the same 50,000 users' top-20 (1 M relationships), medians. GDS
  writes relationships only from an in-memory graph, so the rows are first
  projected with a Cypher-aggregation ``gds.graph.project`` (the same
  unique-index lookups as the writer), then written by
  ``gds.graph.relationshipProperties.write`` (its own transactions, numeric
  properties only: a run number stands in for the run_id string), timed
  stage by stage.
* ``number``: what the run tag on each relationship costs: a 32-character
  run id string (a uuid4 in hex, as the writer stored it before) against a
  small integer run number, three alternating rounds over the same 50,000
  users' top-20 (1 M relationships), medians, each pass deleted again.
"""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

import numpy as np

from benchmarks import write_profile as wp
from benchmarks.common import bench_runner
from benchmarks.writeback_rate import SNAPSHOT
from socialrec import queries
from socialrec.export import GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping

ELEMENT_ID = (
    "UNWIND range(0, size($users) - 1) AS u MATCH (user) WHERE elementId(user) = $users[u] "
    "WITH user, u, $items[u] AS items UNWIND range(0, size(items) - 1) AS j "
    "MATCH (item) WHERE elementId(item) = items[j] "
)
CHECKED = (
    "UNWIND range(0, size($users) - 1) AS u "
    "MATCH (user:User) WHERE id(user) = $users[u] AND user.id = $uid[u] "
    "WITH user, u, $items[u] AS items UNWIND range(0, size(items) - 1) AS j "
    "MATCH (item:Item) WHERE id(item) = items[j] AND item.id = $iid[u][j] "
)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "batch"
    snap = GraphSnapshot.load(SNAPSHOT)
    rng = np.random.default_rng(2 if mode == "batch" else 1)
    count = 50000 if mode in ("gds", "number") else 10000
    users = np.sort(rng.choice(snap.num_nodes("user"), count, replace=False))
    rows = wp.model_rows(snap, users)
    shipped = queries.load("write_recommendations", GraphMapping())
    four = f"CREATE (user)-[:RECOMMENDED {wp.FOUR}]->(item)"
    with bench_runner() as r:
        work = wp.batches(rows, 1000)
        for _ in range(2 if mode == "ids" else 1):  # warm the write path, unmeasured
            wp.rate(r.write, shipped, work, 2)
            wp.clean(r)
        if mode == "index":
            index_ab(r, shipped, work, [int(u) for u in rows[0]])
            return
        if mode == "gds":
            gds_ab(r, shipped, wp.batches(rows, 500), rows)
            return
        if mode == "number":
            number_ab(r, shipped, wp.batches(rows, 500))
            return
        if mode == "batch":
            res: dict[tuple[int, int], list[float]] = {}
            for _ in range(3):
                for per, writers in ((1000, 2), (250, 2), (500, 2), (250, 1)):
                    res.setdefault((per * 20, writers), []).append(
                        wp.rate(r.write, shipped, wp.batches(rows, per), writers)
                    )
                    wp.clean(r)
            for (size, writers), v in res.items():
                print(f"{size:,} a transaction, {writers} in flight: median {np.median(v):,.0f}/s")
            return
        by_id = wp.internal_ids(r, work)
        lookup = "UNWIND $ids AS x MATCH (n:{l} {{id: x}}) RETURN x AS id, elementId(n) AS node"
        uids = sorted({u for b in work for u in b["users"]})
        iids = sorted({i for b in work for row in b["items"] for i in row})
        el_u = {x["id"]: x["node"] for x in r.read(lookup.format(l="User"), {"ids": uids})}
        el_i = {x["id"]: x["node"] for x in r.read(lookup.format(l="Item"), {"ids": iids})}
        by_element = [
            b
            | {
                "users": [el_u[x] for x in b["users"]],
                "items": [[el_i[x] for x in row] for row in b["items"]],
            }
            for b in work
        ]
        checked = [
            b | {"uid": w["users"], "iid": w["items"]} for b, w in zip(by_id, work, strict=True)
        ]
        for name, query, w in (
            ("shipped", shipped, work),
            ("id()", wp.BY_ID + four, by_id),
            ("elementId()", ELEMENT_ID + four, by_element),
            ("id() and the id property checked", CHECKED + four, checked),
            ("shipped, again", shipped, work),
        ):
            print(f"{name}: {wp.rate(r.write, query, w, 2):,.0f}/s", flush=True)
            wp.clean(r)
        with r.driver.session(database=r.settings.database) as session:
            plan = session.run("PROFILE " + CHECKED + four, checked[0]).consume().profile
        assert plan is not None
        print("\n".join(wp.operators(plan)))


BY_USERS = (
    "UNWIND $users AS x MATCH (:User {id: x})-[r:RECOMMENDED]->() "
    "WHERE r.run_id = $run CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS"
)
BY_SCAN = (
    "MATCH (u:User) CALL (u) { MATCH (u)-[r:RECOMMENDED]->() WHERE r.run_id = $run "
    "DELETE r } IN TRANSACTIONS OF 1000 ROWS"
)
INDEX = "socialrec_recommended_run"


def index_ab(r: Neo4jRunner, shipped: str, work: list[dict], users: list[int]) -> None:
    rels = sum(len(x) for b in work for x in b["items"])
    res: dict[str, list[float]] = {}

    def deleted(query: str, params: dict) -> float:
        t = time.perf_counter()
        n = r.write_autocommit(query, params).get("relationships_deleted", 0)
        assert n == rels, (n, rels)
        return rels / (time.perf_counter() - t)

    def recreate() -> None:  # the writeback's own schema statements, idempotent
        for statement in queries.load_all("writeback_schema", GraphMapping()):
            r.write_autocommit(statement)
        r.read(f"CALL db.awaitIndex('{INDEX}', 1800)")

    try:
        for _ in range(3):
            for indexed in (True, False):
                if indexed:
                    recreate()
                else:
                    r.write_autocommit(f"DROP INDEX {INDEX} IF EXISTS")
                label = "with the index" if indexed else "without it"
                res.setdefault(f"write, {label}", []).append(wp.rate(r.write, shipped, work, 2))
                delete = wp.clean_query() if indexed else BY_USERS
                res.setdefault(f"delete, {label}", []).append(
                    deleted(delete, {"run": wp.RUN, "users": users})
                )
        wp.rate(r.write, shipped, work, 2)
        res["delete without the index, scanning every user"] = [deleted(BY_SCAN, {"run": wp.RUN})]
    finally:
        recreate()
    print_medians(res)


def number_ab(r: Neo4jRunner, shipped: str, work: list[dict]) -> None:
    """The run tag as a uuid hex string against a small integer, same query."""
    res: dict[str, list[float]] = {}
    for _ in range(3):
        for name, run in (("run_id a 32-character string", uuid.uuid4().hex), ("run_id 7", 7)):
            tagged = [b | {"run_id": run} for b in work]
            res.setdefault(name, []).append(wp.rate(r.write, shipped, tagged, 2))
            r.write_autocommit(wp.clean_query(), {"run": run})
    print_medians(res)


GDS_GRAPH = "socialrec_write_ab"
GDS_PROJECT = (
    wp.LOOKUP + "WITH gds.graph.project($graph, user, item, {relationshipType: 'RECOMMENDED', "
    "relationshipProperties: {score: $scores[u][j], rank: toFloat(j + 1), run: 1.0}}) AS g "
    "RETURN g.relationshipCount AS relationships"
)
GDS_WRITE = (
    "CALL gds.graph.relationshipProperties.write($graph, 'RECOMMENDED', "
    "['score', 'rank', 'run'], {writeConcurrency: $concurrency}) "
    "YIELD relationshipsWritten RETURN relationshipsWritten"
)
GDS_CLEAN = (
    "MATCH ()-[r:RECOMMENDED]->() WHERE r.run = 1.0 CALL (r) { DELETE r } "
    "IN TRANSACTIONS OF 10000 ROWS"
)


def gds_ab(r: Neo4jRunner, shipped: str, work: list[dict], rows: list[list[Any]]) -> None:
    """GDS's relationship writer (projection + write) against the shipped writer."""
    rels = sum(len(x) for x in rows[1])
    params = {"graph": GDS_GRAPH, "users": rows[0], "items": rows[1], "scores": rows[2]}
    res: dict[str, list[float]] = {}
    for _ in range(3):
        res.setdefault("shipped writer, 10,000 a transaction, 2 in flight", []).append(
            wp.rate(r.write, shipped, work, 2)
        )
        wp.clean(r)
        for concurrency in (1, 2):
            r.read("CALL gds.graph.drop($graph, false) YIELD graphName RETURN count(*)", params)
            t = time.perf_counter()
            n = r.write_records(GDS_PROJECT, params)[0]["relationships"]
            projected = time.perf_counter() - t
            written = r.write_records(GDS_WRITE, params | {"concurrency": concurrency})
            total = time.perf_counter() - t
            assert n == rels and written[0]["relationshipsWritten"] == rels, (n, written, rels)
            label = f"GDS, writeConcurrency {concurrency}"
            res.setdefault(f"{label}: projection", []).append(rels / projected)
            res.setdefault(f"{label}: write alone", []).append(rels / (total - projected))
            res.setdefault(f"{label}: projection + write", []).append(rels / total)
            r.read("CALL gds.graph.drop($graph) YIELD graphName RETURN count(*)", params)
            r.write_autocommit(GDS_CLEAN)
    print_medians(res)


def print_medians(res: dict[str, list[float]]) -> None:
    for name, v in res.items():
        print(f"{name}: median {np.median(v):,.0f} relationships/s ({len(v)} rounds)", flush=True)


if __name__ == "__main__":
    main()
