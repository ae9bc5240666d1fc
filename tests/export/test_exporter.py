"""The exporter against a real Neo4j: exact edge sets, subgraphs, incremental, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from socialrec.errors import MappingError
from socialrec.export import Exporter, ExportError, GraphSnapshot
from socialrec.export.features import FeatureSpec
from socialrec.export.snapshot import FRIENDS, HAS, INTERACTS
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import load_lastfm
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping

pytestmark = pytest.mark.integration


def edge_multiset(snap: GraphSnapshot, edge_type: tuple[str, str, str]) -> Counter[tuple]:
    """An edge type as a multiset of (source id, target id): duplicates count."""
    src_t, _, dst_t = edge_type
    ei = snap.data[edge_type].edge_index.numpy()
    src, dst = snap.ids[src_t][ei[0]], snap.ids[dst_t][ei[1]]
    return Counter(zip(src.tolist(), dst.tolist(), strict=True))


def edge_ids(snap: GraphSnapshot, edge_type: tuple[str, str, str]) -> set[tuple]:
    """An edge type as a set of (source id, target id), in Neo4j's id values."""
    src_t, _, dst_t = edge_type
    ei = snap.data[edge_type].edge_index.numpy()
    src, dst = snap.ids[src_t][ei[0]], snap.ids[dst_t][ei[1]]
    return set(zip(src.tolist(), dst.tolist(), strict=True))


def cypher_pairs(db: Neo4jRunner, pattern: str) -> set[tuple]:
    return {(r["a"], r["b"]) for r in db.read(f"MATCH {pattern} RETURN a.id AS a, b.id AS b")}


def make_tiny(db: Neo4jRunner) -> None:
    """4 users, 3 items, 2 attributes; friendships stored one way, one stored twice."""
    GraphWriter(db).apply_schema()
    db.write(
        """
        CREATE (a:User {id: 'a'}), (b:User {id: 'b'}), (c:User {id: 'c'}), (d:User {id: 'd'}),
               (x:Item {id: 'x'}), (y:Item {id: 'y'}), (z:Item {id: 'z'}),
               (rock:Attribute {id: 'rock'}), (pop:Attribute {id: 'pop'}),
               (a)-[:INTERACTED {weight: 2.0, ts: 100}]->(x),
               (a)-[:INTERACTED {weight: 1.0, ts: 200}]->(y),
               (b)-[:INTERACTED {ts: 150}]->(y),
               (c)-[:INTERACTED {weight: 5.0}]->(z),
               (a)-[:FRIENDS_WITH]->(b), (b)-[:FRIENDS_WITH]->(a),
               (b)-[:FRIENDS_WITH]->(c),
               (x)-[:HAS_ATTRIBUTE {weight: 3.0}]->(rock),
               (y)-[:HAS_ATTRIBUTE]->(pop), (z)-[:HAS_ATTRIBUTE]->(rock)
        """
    )


def test_tiny_graph_exact(db: Neo4jRunner) -> None:
    make_tiny(db)
    snap = Exporter(db, progress=False, edge_batch=2).full()  # tiny batches on purpose
    assert sorted(snap.ids["user"].tolist()) == ["a", "b", "c", "d"]
    assert edge_ids(snap, INTERACTS) == {("a", "x"), ("a", "y"), ("b", "y"), ("c", "z")}
    assert edge_ids(snap, FRIENDS) == {("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")}
    assert snap.data[FRIENDS].edge_index.shape[1] == 4  # the doubly stored pair once each way
    assert edge_ids(snap, HAS) == {("x", "rock"), ("y", "pop"), ("z", "rock")}
    ei = snap.data[INTERACTS].edge_index.numpy()
    by_pair = {
        (snap.ids["user"][u], snap.ids["item"][i]): (w, t)
        for u, i, w, t in zip(
            ei[0],
            ei[1],
            snap.data[INTERACTS].edge_weight.tolist(),
            snap.data[INTERACTS].edge_time.tolist(),
            strict=True,
        )
    }
    assert by_pair[("a", "x")] == (2.0, 100)
    assert np.isnan(by_pair[("b", "y")][0]) and by_pair[("c", "z")][1] == -1
    assert snap.watermark == 200
    assert snap.report.nodes == {"user": 4, "item": 3, "attribute": 2}

    ids_only = Exporter(db, progress=False, edge_properties=False).full()
    assert edge_ids(ids_only, INTERACTS) == edge_ids(snap, INTERACTS)
    assert bool(ids_only.data[INTERACTS].edge_weight.isnan().all())
    assert bool((ids_only.data[INTERACTS].edge_time == -1).all())


def test_lastfm_round_trip_matches_cypher(db: Neo4jRunner, tmp_path: Path) -> None:
    load_lastfm(GraphWriter(db), progress=False)
    snap = Exporter(db, progress=False, edge_batch=20_000).full()
    assert edge_ids(snap, INTERACTS) == cypher_pairs(db, "(a:User)-[:INTERACTED]->(b:Item)")
    assert edge_ids(snap, FRIENDS) == cypher_pairs(db, "(a:User)-[:FRIENDS_WITH]-(b:User)")
    # attributes are keyed "kind:id" (a tag 5 is not a genre 5)
    tags = {
        (r["a"], r["b"])
        for r in db.read(
            "MATCH (a:Item)-[:HAS_ATTRIBUTE]->(b:Attribute) RETURN a.id AS a, b.kind + ':' + "
            "toString(b.id) AS b"
        )
    }
    assert edge_ids(snap, HAS) == tags
    assert snap.data["user"].num_nodes == 1892 and snap.data["item"].num_nodes == 17632
    total = db.read("MATCH (:User)-[r:INTERACTED]->(:Item) RETURN sum(r.weight) AS s")[0]["s"]
    assert float(snap.data[INTERACTS].edge_weight.double().sum()) == pytest.approx(total)
    back = GraphSnapshot.load(snap.save(tmp_path / "lastfm.pt"), mapping=GraphMapping())
    assert edge_ids(back, INTERACTS) == edge_ids(snap, INTERACTS)


def test_subgraph_k_hop_is_exact(db: Neo4jRunner) -> None:
    make_tiny(db)
    one = Exporter(db, progress=False).subgraph(users=["a"], hops=1)
    # one hop from a: its items x, y and its friend b; induced edges only.
    assert set(one.ids["user"].tolist()) == {"a", "b"}
    assert set(one.ids["item"].tolist()) == {"x", "y"}
    assert edge_ids(one, INTERACTS) == {("a", "x"), ("a", "y"), ("b", "y")}
    assert edge_ids(one, FRIENDS) == {("a", "b"), ("b", "a")}
    assert set(one.ids["attribute"].tolist()) == {"rock", "pop"}
    two = Exporter(db, progress=False).subgraph(users=["a"], hops=2)
    # two hops: b's friend c joins (not c's item z: that is three hops).
    assert set(two.ids["user"].tolist()) == {"a", "b", "c"}
    assert set(two.ids["item"].tolist()) == {"x", "y"}
    zero = Exporter(db, progress=False).subgraph(users=["d"], hops=0)
    assert zero.ids["user"].tolist() == ["d"] and len(zero.ids["item"]) == 0
    with pytest.raises(ExportError, match="unknown :User ids"):
        Exporter(db, progress=False).subgraph(users=["nobody"])


def test_subgraph_by_predicate(db: Neo4jRunner) -> None:
    make_tiny(db)
    db.write("MATCH (u:User) WHERE u.id IN ['a', 'c'] SET u.country = 'DE'")
    snap = Exporter(db, progress=False).subgraph(user_where="n.country = $c", params={"c": "DE"})
    assert set(snap.ids["user"].tolist()) == {"a", "c"}
    assert set(snap.ids["item"].tolist()) == {"x", "y", "z"}  # the items they interacted with
    assert edge_ids(snap, FRIENDS) == set()  # a and c are not friends
    only_x = Exporter(db, progress=False).subgraph(
        user_where="n.country = 'DE'", item_where="n.id = 'x'"
    )
    assert edge_ids(only_x, INTERACTS) == {("a", "x")}


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


def test_bad_input_is_named(db: Neo4jRunner) -> None:
    m = GraphMapping(user="Person", item="Movie", interacted="RATED")
    exporter = Exporter(db, m, progress=False)
    with pytest.raises(MappingError, match=r"labels\.user = 'Person' not found"):
        exporter.full()
    db.write(
        "CREATE (:Person {id: 1})-[:RATED]->(:Movie {id: 1}), (:Person)-[:RATED]->(:Movie {id: 2})"
    )
    # a node without the id property is left out (with its relationships) and counted
    snap = exporter.full()
    assert snap.ids["user"].tolist() == [1] and snap.num_nodes("item") == 2
    assert snap.data["user", "interacts", "item"].edge_index.shape[1] == 1
    assert snap.report.warnings[":Person nodes without 'id' (left out)"] == 1
    db.write("MATCH (p:Person) WHERE p.id IS NULL SET p.id = 1")
    with pytest.raises(ExportError, match=r"shared by several :Person nodes, e.g. \[1\]"):
        exporter.full()
    db.write("MATCH (p:Person) WITH p ORDER BY id(p) DESC LIMIT 1 SET p.id = 'two'")
    with pytest.raises(ExportError, match="mixes value types"):
        exporter.full()


def test_dangling_relationships_are_counted_and_empty_graph_refused(db: Neo4jRunner) -> None:
    make_tiny(db)
    db.write("MATCH (a:User {id: 'a'}) CREATE (a)-[:INTERACTED]->(:Thing)")
    snap = Exporter(db, progress=False).full()
    assert snap.report.warnings["INTERACTED relationships not ending at a :Item (skipped)"] == 1
    assert edge_ids(snap, INTERACTS) == {("a", "x"), ("a", "y"), ("b", "y"), ("c", "z")}
    db.write("MATCH ()-[r:INTERACTED]->() DELETE r")
    with pytest.raises((ExportError, MappingError)):
        Exporter(db, progress=False).full()


def test_features_properties_and_fastrp(db: Neo4jRunner) -> None:
    make_tiny(db)
    db.write(
        "MATCH (u:User) SET u.age = CASE u.id WHEN 'a' THEN 20 WHEN 'b' THEN 40 "
        "WHEN 'c' THEN 30 ELSE null END"
    )
    spec = FeatureSpec(properties={"user": ("age",)}, fastrp_dim=8)
    snap = Exporter(db, progress=False, features=spec).full()
    ages = dict(zip(snap.ids["user"].tolist(), snap.data["user"].x[:, 0].tolist(), strict=True))
    assert ages == {"a": 20.0, "b": 40.0, "c": 30.0, "d": 30.0}  # d: the mean
    assert snap.report.warnings[":User.age missing (filled with the mean)"] == 1
    for role, n in (("user", 4), ("item", 3), ("attribute", 2)):
        emb = snap.data[role].fastrp
        assert emb.shape == (n, 8) and bool(emb.isfinite().all())
    assert float(snap.data["user"].fastrp.abs().sum()) > 0
    assert db.read("CALL gds.graph.list() YIELD graphName RETURN count(*) AS n")[0]["n"] == 0
    db.write("MATCH (u:User {id: 'a'}) SET u.age = 'old'")
    with pytest.raises(Exception, match=r":User\.age holds a non-numeric value"):
        Exporter(db, progress=False, features=spec).full()


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
