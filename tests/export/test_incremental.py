"""Incremental export (socialrec/export/incremental.py) against the real server."""

from __future__ import annotations

import pytest

from socialrec.export import Exporter
from socialrec.export.snapshot import FRIENDS, HAS, INTERACTS
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import load_lastfm
from socialrec.load.writer import GraphWriter
from tests.export.graphs import edge_ids, edge_multiset, make_tiny

pytestmark = pytest.mark.integration


def test_incremental_keeps_indices_and_matches_full(db: Neo4jRunner) -> None:
    load_lastfm(GraphWriter(db), progress=False)
    db.write("MATCH ()-[r:INTERACTED]->() SET r.ts = 1000")
    exporter = Exporter(db, progress=False, edge_batch=20_000)
    before = exporter.full()
    # Changes: new interaction (with a newer timestamp), a new user with friends and
    # listens, a removed interaction, a removed friendship, a removed item.
    db.write(
        "MATCH (u:User {id: 2}), (i:Item {id: 5}) "
        "MERGE (u)-[:INTERACTED {weight: 1.0, ts: 2000}]->(i)"
    )
    # the same pair stored twice: both exports keep it once
    db.write(
        "MATCH (u:User {id: 2}), (i:Item {id: 5}) "
        "CREATE (u)-[:INTERACTED {weight: 2.0, ts: 2000}]->(i)"
    )
    db.write(
        "CREATE (n:User {id: 99999}) WITH n MATCH (f:User) WHERE f.id IN [3, 4] "
        "CREATE (n)-[:FRIENDS_WITH]->(f)"
    )
    db.write(
        "MATCH (n:User {id: 99999}), (i:Item {id: 51}) "
        "CREATE (n)-[:INTERACTED {weight: 3.0, ts: 2001}]->(i)"
    )
    db.write("MATCH (:User {id: 5})-[r:INTERACTED]->() WITH r LIMIT 1 DELETE r")
    gone_pair = db.read(
        "MATCH (a:User {id: 6})-[r:FRIENDS_WITH]-(b:User) RETURN b.id AS b LIMIT 1"
    )[0]["b"]
    db.write("MATCH (:User {id: 6})-[r:FRIENDS_WITH]-(:User {id: $b}) DELETE r", {"b": gone_pair})
    lonely = db.read(
        "MATCH (i:Item) WHERE NOT (i)<-[:INTERACTED]-() RETURN i.id AS i ORDER BY i LIMIT 1"
    )
    victim = lonely[0]["i"] if lonely else 17_000
    db.write("MATCH (i:Item {id: $i}) DETACH DELETE i", {"i": victim})

    after, changes = exporter.incremental(before)
    fresh = exporter.full()
    # Existing nodes keep their index; the new user is appended.
    n_users = len(before.ids["user"])
    assert after.ids["user"][:n_users].tolist() == before.ids["user"].tolist()
    assert after.ids["user"][n_users:].tolist() == [99999]
    assert after.removed["item"][before.index_of("item", [victim])[0]]
    # Same edges as a full export of the changed database, duplicates counted.
    for edge_type in (INTERACTS, FRIENDS, HAS):
        assert edge_multiset(after, edge_type) == edge_multiset(fresh, edge_type), edge_type
    assert edge_multiset(after, INTERACTS)[(2, 5)] == 1
    changed = set(after.ids["user"][changes.users].tolist())
    assert {2, 99999, 3, 4, 5, 6, gone_pair} <= changed
    assert len(changed) < 20  # only the touched users, not everyone
    assert changes.new["user"] == 1 and changes.removed["item"] == 1
    assert after.watermark == 2001

    # Nothing changed since: nobody to re-read. From an explicit older time: the users
    # with interactions after it.
    _, none = exporter.incremental(after)
    assert len(none.users) == 0
    _, since = exporter.incremental(after, since=1500)
    assert set(after.ids["user"][since.users].tolist()) == {2, 99999}


def test_incremental_node_deleted_then_recreated(db: Neo4jRunner) -> None:
    make_tiny(db)
    exporter = Exporter(db, progress=False)
    first = exporter.full()
    db.write("MATCH (d:User {id: 'd'}) DETACH DELETE d")
    second, changes = exporter.incremental(first)
    d = int(first.index_of("user", ["d"])[0])
    assert second.removed["user"][d] and changes.removed["user"] == 1
    db.write("MATCH (c:User {id: 'c'}) CREATE (:User {id: 'd'})-[:FRIENDS_WITH]->(c)")
    third, changes = exporter.incremental(second)
    assert not third.removed["user"][d]  # same index, present again
    assert third.ids["user"].tolist() == first.ids["user"].tolist()
    assert ("d", "c") in edge_ids(third, FRIENDS)
    assert edge_ids(third, FRIENDS) == edge_ids(exporter.full(), FRIENDS)
