"""Small graphs and edge views shared by the export tests."""

from __future__ import annotations

from collections import Counter

from socialrec.export import GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.writer import GraphWriter


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
