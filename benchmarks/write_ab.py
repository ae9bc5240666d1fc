"""Two A/B comparisons behind "Writeback profile, what it says" in RESULTS.md.

Usage: python -m benchmarks.write_ab batch | ids

Prints only (the figures are quoted in that hand-written section):

* ``batch``: relationships a transaction, 20,000 / 10,000 / 5,000 (and 5,000 with
  one transaction in flight), three alternating rounds over the same 10,000
  users' top-20, medians;
* ``ids``: internal-id lookups (``id()``, ``elementId()``) and the safe variant
  that also checks the id property, between two runs of the shipped writer.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks import write_profile as wp
from benchmarks.common import bench_runner
from benchmarks.writeback_rate import SNAPSHOT
from socialrec import queries
from socialrec.export import GraphSnapshot
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
    users = np.sort(rng.choice(snap.num_nodes("user"), 10000, replace=False))
    rows = wp.model_rows(snap, users)
    shipped = queries.load("write_recommendations", GraphMapping())
    four = f"CREATE (user)-[:RECOMMENDED {wp.FOUR}]->(item)"
    with bench_runner() as r:
        work = wp.batches(rows, 1000)
        for _ in range(2 if mode == "ids" else 1):  # warm the write path, unmeasured
            wp.rate(r.write, shipped, work, 2)
            wp.clean(r)
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


if __name__ == "__main__":
    main()
