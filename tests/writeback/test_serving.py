"""The serving queries in cypher/ against a real Neo4j, on the planted graph."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec import queries
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.writeback import Writeback, WritebackConfig, serving
from tests.writeback.conftest import Planted, community

pytestmark = pytest.mark.integration

MAPPING = GraphMapping()
NS = MAPPING.output_namespace


def q(name: str) -> str:
    return queries.load(name, MAPPING)


@pytest.fixture
def written(db: Neo4jRunner, planted: Planted) -> Planted:
    Writeback(db, MAPPING, WritebackConfig(k=5)).run(planted.scorer, "planted")
    return planted


def history(db: Neo4jRunner, user: int) -> set[int]:
    rows = db.read("MATCH (:User {id: $u})-[:INTERACTED]->(i) RETURN i.id AS i", {"u": user})
    return {r["i"] for r in rows}


def test_recommend_skips_items_interacted_with_after_the_run(
    db: Neo4jRunner, written: Planted
) -> None:
    before = [r["item"] for r in db.read(q("recommend"), {"namespace": NS, "user": 0, "k": 5})]
    assert len(before) == 5 and not set(before) & history(db, 0)
    db.write(
        "MATCH (u:User {id: 0}), (i:Item {id: $i}) CREATE (u)-[:INTERACTED {weight: 1.0}]->(i)",
        {"i": before[0]},
    )
    after = [r["item"] for r in db.read(q("recommend"), {"namespace": NS, "user": 0, "k": 5})]
    assert after == before[1:]


def test_cold_start_user_gets_items_of_their_friends_taste(
    db: Neo4jRunner, written: Planted
) -> None:
    # a user created after the run, friends with three community-B users, no history
    db.write(
        "CREATE (n:User {id: 100}) WITH n MATCH (f:User) WHERE f.id IN [10, 11, 12] "
        "CREATE (n)-[:FRIENDS_WITH]->(f)"
    )
    assert db.read(q("recommend"), {"namespace": NS, "user": 100, "k": 5}) == []
    rows = db.read(
        q("recommend_cold_start"), {"namespace": NS, "user": 100, "k": 5, "recency_days": 90.0}
    )
    assert len(rows) == 5
    assert all(community(r["item"]) == 1 for r in rows)
    friends_items = set().union(*(history(db, f) for f in (10, 11, 12)))
    for r in rows:
        assert set(r["because"]) <= {10, 11, 12}
        assert bool(r["because"]) == (r["item"] in friends_items)
    served = serving.recommend(db, MAPPING, 100, 5)
    assert served.source == "recommend_cold_start" and served.rows == rows


DAY = 86_400
LONG_AGO, LATELY = 1_577_836_800, 1_717_200_000  # 2020-01-01, 2024-06-01


def cold_start(db: Neo4jRunner, user: int, recency_days: float | None) -> list[int]:
    rows = db.read(
        q("recommend_cold_start"),
        {"namespace": NS, "user": user, "k": 3, "recency_days": recency_days},
    )
    return [r["item"] for r in rows]


def test_cold_start_weighs_recent_items_and_lately_active_friends_more(
    db: Neo4jRunner, written: Planted
) -> None:
    # a new user: two community-A items long ago, one community-B item lately
    db.write(
        "CREATE (n:User {id: 101}) WITH n "
        "MATCH (a1:Item {id: 0}), (a2:Item {id: 1}), (b:Item {id: 10}) "
        "CREATE (n)-[:INTERACTED {weight: 1.0, ts: $old}]->(a1), "
        "(n)-[:INTERACTED {weight: 1.0, ts: $old}]->(a2), "
        "(n)-[:INTERACTED {weight: 1.0, ts: $new}]->(b)",
        {"old": LONG_AGO, "new": LATELY},
    )
    # everything alike: the mean leans to A, two items to one
    assert [community(i) for i in cold_start(db, 101, None)] == [0, 0, 0]
    # recency: the B item of last June outweighs the A items of four years before
    assert [community(i) for i in cold_start(db, 101, 90.0)] == [1, 1, 1]
    # a new user whose two A friends were last active long ago and one B friend lately
    db.write(
        "MATCH (u:User)-[r:INTERACTED]->() WHERE u.id IN [0, 1, 10] "
        "SET r.ts = CASE WHEN u.id = 10 THEN $new ELSE $old END",
        {"old": LONG_AGO, "new": LATELY},
    )
    db.write(
        "CREATE (n:User {id: 102}) WITH n MATCH (f:User) WHERE f.id IN [0, 1, 10] "
        "CREATE (n)-[:FRIENDS_WITH]->(f)"
    )
    assert [community(i) for i in cold_start(db, 102, None)] == [0, 0, 0]
    assert [community(i) for i in cold_start(db, 102, 90.0)] == [1, 1, 1]
    # serving passes socialrec's documented default
    served = serving.recommend(db, MAPPING, 101, 3)
    assert [r["item"] for r in served.rows] == cold_start(db, 101, serving.COLD_START_RECENCY_DAYS)


def test_explain_says_what_the_user_did_recently_with_dates(
    db: Neo4jRunner, written: Planted
) -> None:
    mine = sorted(history(db, 0))
    for n, item in enumerate(mine):  # the user's items, a day apart
        db.write(
            "MATCH (:User {id: 0})-[r:INTERACTED]->(:Item {id: $i}) SET r.ts = $t",
            {"i": item, "t": LATELY + n * DAY},
        )
    item = db.read(
        "MATCH (:User {id: 0})-[r:RECOMMENDED]->(i) RETURN i.id AS i ORDER BY r.rank LIMIT 1"
    )[0]["i"]
    why = db.read(q("explain"), {"namespace": NS, "user": 0, "item": item, "limit": 2})[0]
    # newest first; the same genre as the recommended item
    assert [r["item"] for r in why["recently"]] == mine[::-1][:2]
    assert [r["date"] for r in why["recently"]] == ["2024-06-03", "2024-06-02"]
    # without times: the same items, no dates
    db.write("MATCH (:User {id: 0})-[r:INTERACTED]->() REMOVE r.ts")
    why = db.read(q("explain"), {"namespace": NS, "user": 0, "item": item, "limit": 5})[0]
    assert {r["item"] for r in why["recently"]} == set(mine)
    assert all(r["date"] is None for r in why["recently"])


def test_explain_names_real_friends_and_shared_attributes(
    db: Neo4jRunner, written: Planted
) -> None:
    rows = db.read(
        "MATCH (u:User)-[r:RECOMMENDED]->(i:Item) "
        "WHERE EXISTS { (u)-[:FRIENDS_WITH]-(:User)-[:INTERACTED]->(i) } "
        "RETURN u.id AS u, i.id AS i LIMIT 1"
    )
    assert rows, "the planted graph has friends who interacted with recommended items"
    user, item = rows[0]["u"], rows[0]["i"]
    why = db.read(q("explain"), {"namespace": NS, "user": user, "item": item, "limit": 5})[0]
    truth = db.read(
        "MATCH (:User {id: $u})-[:FRIENDS_WITH]-(f:User)-[:INTERACTED]->(:Item {id: $i}) "
        "RETURN collect(f.id) AS f",
        {"u": user, "i": item},
    )[0]["f"]
    assert {f["friend"] for f in why["friends"]} == set(truth) and why["friends_total"] == len(
        truth
    )
    assert why["because"] == [f["friend"] for f in why["friends"]][:3] and why["rank"] >= 1
    # recommend.cypher names the same friends for the item
    rows = db.read(q("recommend"), {"namespace": NS, "user": user, "k": 20})
    assert next(r["because"] for r in rows if r["item"] == item) == why["because"]
    # the item's genre is shared with every item the user has (same community)
    assert why["attributes"] == [
        {"attribute": f"genre-{community(item)}", "kind": "attribute", "name": None, "items": 3}
    ]


def test_popular_fallback_for_unknown_user(db: Neo4jRunner, written: Planted) -> None:
    rows = db.read(q("popular_fallback"), {"namespace": NS, "user": "nobody", "k": 3})
    counts = db.read(
        "MATCH (i:Item)<-[r:INTERACTED]-() RETURN i.id AS i, count(r) AS n ORDER BY n DESC, i"
    )
    assert [r["item"] for r in rows] == [c["i"] for c in counts[:3]]
    assert [r["popularity_rank"] for r in rows] == [1, 2, 3]
    served = serving.recommend(db, MAPPING, "nobody", 3)
    assert served.source == "popular_fallback"


def test_by_attribute_ranks_every_item_of_the_attribute_by_model_score(
    db: Neo4jRunner, written: Planted
) -> None:
    params = {"namespace": NS, "user": 0, "attribute": "genre-1", "kind": None, "k": 20}
    rows = db.read(q("by_attribute"), params)
    scorer = written.scorer
    u = scorer.user_embedding[int(scorer.snapshot.index_of("user", [0])[0])].numpy()
    items = [i for i in range(10, 20)]
    idx = scorer.snapshot.index_of("item", items)
    scores = scorer.item_embedding[idx].numpy() @ u
    expected = [items[j] for j in np.argsort(-scores)]
    assert [r["item"] for r in rows] == expected
    assert np.allclose([r["score"] for r in rows], np.sort(scores)[::-1], atol=1e-5)


def test_similar_items_are_cosine_neighbours(db: Neo4jRunner, written: Planted) -> None:
    rows = db.read(q("similar_items"), {"namespace": NS, "item": 0, "k": 4})
    emb = written.scorer.item_embedding.numpy()
    ids = written.scorer.snapshot.ids["item"]
    seed = emb[int(np.flatnonzero(ids == 0)[0])]
    cos = emb @ seed / (np.linalg.norm(emb, axis=1) * np.linalg.norm(seed))
    order = [int(ids[j]) for j in np.argsort(-cos) if ids[j] != 0][:4]
    # the index quantises vectors by default: near-ties may swap, the set may not
    assert {r["item"] for r in rows} == set(order)
    for r in rows:  # Neo4j reports cosine as (1 + cos) / 2
        true_cos = cos[int(np.flatnonzero(ids == r["item"])[0])]
        assert r["score"] == pytest.approx((1 + true_cos) / 2, abs=0.01)
    assert all(community(r["item"]) == 0 for r in rows)
