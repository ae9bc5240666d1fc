"""The exporter against a real Neo4j: exact edge sets, subgraphs, incremental, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest

from socialrec.errors import MappingError
from socialrec.export import Exporter, ExportError, GraphSnapshot
from socialrec.export.snapshot import FRIENDS, HAS, INTERACTS
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import load_lastfm
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping
from tests.export.graphs import cypher_pairs, edge_ids, make_tiny

pytestmark = pytest.mark.integration


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


def test_every_export_query_is_routed_to_readers(
    db: Neo4jRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a ``neo4j://`` URI the driver sends READ-routed queries to a cluster's
    secondaries, so full and incremental exports never load the leader."""
    make_tiny(db)
    routed: list[object] = []
    execute = db.driver.execute_query

    def recording(query: Any, **kwargs: Any) -> Any:
        routed.append(kwargs["routing_"])
        return execute(query, **kwargs)

    monkeypatch.setattr(db.driver, "execute_query", recording)
    exporter = Exporter(db, progress=False, edge_batch=2)
    snap = exporter.full()
    exporter.incremental(snap)
    assert len(routed) > 5
    assert set(routed) == {neo4j.RoutingControl.READ}
