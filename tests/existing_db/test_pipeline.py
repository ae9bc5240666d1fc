"""The whole CLI pipeline on a database socialrec did not create, through a mapping only.

load is the user's (raw Cypher) -> inspect -> schema -> export -> train -> writeback ->
recommend --explain -> incremental sync -> Recommender.load, then a second product's
mapping in the same database, a refused shrinking publish, and uninstall. Parametrised
over string and integer ids; friendships are stored in both directions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from socialrec import Recommender, queries
from socialrec.config import ConnectionSettings
from socialrec.export import GraphSnapshot
from socialrec.mapping import GraphMapping
from socialrec.writeback import RunStore, serving
from tests.existing_db.conftest import N_PEOPLE, ExistingDb, user_data_checksum
from tests.helpers import run_cli

pytestmark = pytest.mark.integration

FAST = ["--epochs", "4", "--eval-every", "2", "--embedding-dim", "8", "--device", "cpu"]


def recommended(db: ExistingDb, mapping: GraphMapping) -> dict[object, list[object]]:
    """What recommend.cypher serves each person under ``mapping``."""
    out = {}
    for p in range(N_PEOPLE):
        rows = serving.recommend(db.runner, mapping, db.person(p), 20)
        out[db.person(p)] = [r["item"] for r in rows.rows] if rows.source == "recommend" else []
    return out


def test_existing_database_end_to_end(
    existing_db: ExistingDb,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = existing_db
    pristine = user_data_checksum(db.runner)
    m = ["--mapping", str(db.mapping)]

    def cli(*args: str, mapping: list[str] = m) -> tuple[int, str, str]:
        return run_cli([*mapping, *args], neo4j_settings, monkeypatch, capsys)

    code, out, err = cli("inspect")
    assert code == 0, err
    # the user's own index on Person.personId: schema reuses it instead of failing
    code, out, err = cli("schema")
    assert code == 0, err
    assert "person_by_id" in out

    snap_path, model_dir = tmp_path / "snap.pt", tmp_path / "model"
    code, out, err = cli("export", "--out", str(snap_path))
    assert code == 0, err
    snap = GraphSnapshot.load(snap_path)
    assert snap.num_nodes("user") == N_PEOPLE  # the person without an id is left out
    # both stored directions of each friendship become one undirected pair
    friends = snap.data["user", "friends", "user"].edge_index
    assert friends.shape[1] == len({tuple(e) for e in friends.t().tolist()})
    code, out, err = cli(
        "train", "--snapshot", str(snap_path), "--model", "social", "--out", str(model_dir), *FAST
    )
    assert code == 0, err
    checkpoint = model_dir / "checkpoint.pt"
    code, out, err = cli(
        "writeback", "--checkpoint", str(checkpoint), "--snapshot", str(snap_path), "--k", "5"
    )
    assert code == 0, err

    mapping = GraphMapping.from_file(db.mapping)
    # RECOMMENDED goes Person -> Movie, ids as the database has them
    kinds = db.runner.read(
        "MATCH (a)-[r:RECOMMENDED]->(b) RETURN labels(a) AS a, labels(b) AS b, count(r) AS n"
    )
    assert [(k["a"], k["b"]) for k in kinds] == [(["Person"], ["Movie"])]
    served = recommended(db, mapping)
    assert all(len(v) == 5 for v in served.values())
    assert all(type(i) is type(db.movie(0)) for v in served.values() for i in v)

    # explanations name distinct, real friends who rated the item
    for p in range(0, N_PEOPLE, 7):
        for item in served[db.person(p)]:
            why = serving.explain(db.runner, mapping, db.person(p), item, limit=100)
            names = [f["friend"] for f in why["friends"]]
            assert len(names) == len(set(names)) == why["friends_total"]
            for f in names:
                assert db.runner.read(
                    """
                    MATCH (u:Person {personId: $u})-[:KNOWS]-(f:Person {personId: $f}),
                          (f)-[:RATED]->(:Movie {movieId: $i})
                    RETURN count(*) > 0 AS ok
                    """,
                    {"u": db.person(p), "f": f, "i": item},
                )[0]["ok"]
    # recommend.cypher's `because` (read at query time) names each friend once,
    # in explain's order, whichever direction the friendship is stored in
    backed = []
    for p in range(N_PEOPLE):
        rows = serving.recommend(db.runner, mapping, db.person(p), 5).rows
        for row in rows:
            why = serving.explain(db.runner, mapping, db.person(p), row["item"], limit=100)
            assert row["because"] == [f["friend"] for f in why["friends"]][:3]
        if any(row["because"] for row in rows):
            backed.append(db.person(p))
    # which people get a friend-backed top 5 depends on training's float sums; some must
    assert backed
    # the in-database cold start names distinct friends too
    cold = db.runner.read(
        queries.load("recommend_cold_start", mapping),
        {
            "namespace": mapping.output_namespace,
            "user": db.person(4),
            "k": 10,
            "recency_days": 90.0,
        },
    )
    assert cold and any(row["because"] for row in cold)
    assert all(len(row["because"]) == len(set(row["because"])) for row in cold)
    code, out, err = cli("recommend", str(backed[0]), "--k", "5", "--explain")
    assert code == 0, err
    assert "cypher/recommend.cypher" in out
    # titles and friends' names, next to ids
    assert "'Movie " in out and "'person " in out, out

    # an incremental sync after a new rating, then Recommender.load on the new graph
    state = tmp_path / "state"
    code, out, err = cli("sync", "--kind", "full", "--state-dir", str(state), "--epochs", "3")
    assert code == 0, err
    db.rate(db.person(3), db.movie(1))
    pristine = user_data_checksum(db.runner)  # the user's own change
    code, out, err = cli("sync", "--kind", "incremental", "--state-dir", str(state))
    assert code == 0, err
    assert "incremental sync" in out
    current = RunStore(db.runner, mapping).current()
    assert current is not None and current["kind"] == "incremental"
    served = recommended(db, mapping)
    assert all(served.values())
    assert db.movie(1) not in served[db.person(3)]
    rec = Recommender.load(checkpoint, GraphSnapshot.load(state / "snapshot.pt"))
    result = rec.recommend([db.person(3)], k=5)
    assert db.movie(1) not in [i for i, _ in result[db.person(3)]]
    rec.save(tmp_path / "again.pt")  # load -> save round trip
    assert Recommender.load(tmp_path / "again.pt", snap).recommend([db.person(3)], k=5)

    # a second product (WATCHED) in the same database: its own namespace
    second = GraphMapping.from_file(db.second_mapping)
    first_served = recommended(db, mapping)
    s = ["--mapping", str(db.second_mapping)]
    snap2, model2 = tmp_path / "snap2.pt", tmp_path / "model2"
    assert cli("export", "--out", str(snap2), mapping=s)[0] == 0
    assert (
        cli(
            "train",
            "--snapshot",
            str(snap2),
            "--model",
            "lightgcn",
            "--out",
            str(model2),
            *FAST,
            mapping=s,
        )[0]
        == 0
    )
    for _ in range(4):  # more runs than it keeps: it prunes its own, never the first's
        code, out, err = cli(
            "writeback",
            "--checkpoint",
            str(model2 / "checkpoint.pt"),
            "--snapshot",
            str(snap2),
            "--k",
            "3",
            "--keep-runs",
            "1",
            mapping=s,
        )
        assert code == 0, err
    assert recommended(db, mapping) == first_served
    assert all(len(v) == 3 for v in recommended(db, second).values())

    # a checkpoint of a small subgraph published against the whole graph: refused
    small_snap, small_model = tmp_path / "small.pt", tmp_path / "small"
    assert cli("export", "--out", str(small_snap), "--user", str(db.person(5)))[0] == 0
    assert GraphSnapshot.load(small_snap).num_nodes("user") < N_PEOPLE / 2
    assert (
        cli(
            "train",
            "--snapshot",
            str(small_snap),
            "--model",
            "mf",
            "--out",
            str(small_model),
            *FAST,
        )[0]
        == 0
    )
    code, out, err = cli(
        "writeback",
        "--checkpoint",
        str(small_model / "checkpoint.pt"),
        "--no-embeddings",
        "--snapshot",
        str(state / "snapshot.pt"),
        "--k",
        "5",
    )
    assert code == 1 and "refusing to publish a full run" in err and "Traceback" not in err
    assert recommended(db, mapping) == first_served

    # nothing of the user's was modified, and uninstall removes all socialrec added
    assert user_data_checksum(db.runner) == pristine
    code, out, err = cli("uninstall", "--all", "--yes")
    assert code == 0, err
    assert user_data_checksum(db.runner) == pristine
    left = db.runner.read(
        """
        CALL () { MATCH (n) WHERE n:RecommendationRun OR n:SocialrecLock RETURN count(n) AS n }
        CALL () { MATCH ()-[r:RECOMMENDED]->() RETURN count(r) AS r }
        CALL () {
          MATCH (n) WHERE any(k IN keys(n) WHERE k STARTS WITH 'socialrec_') RETURN count(n) AS p
        }
        RETURN n, r, p
        """
    )[0]
    assert left == {"n": 0, "r": 0, "p": 0}
    names = [r["name"] for r in db.runner.read("SHOW INDEXES YIELD name RETURN name")]
    assert not [n for n in names if n.startswith("socialrec_")]
    assert "person_by_id" in names  # the user's own index stays
