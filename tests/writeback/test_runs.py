"""RunStore (socialrec/writeback/runs.py) against a recording fake: what each step sends.

The same steps against the real server are in test_writer.py and test_publish_safety.py;
run numbering and runs of before run numbers against the real server are at the end.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from socialrec import queries
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.writeback import Writeback, WritebackConfig
from socialrec.writeback.runs import (
    RUN_SEQUENCE,
    RunId,
    RunStore,
    WritebackError,
    embedding_property,
    item_index_name,
)
from tests.fakes import RecordingRunner
from tests.writeback.conftest import Planted
from tests.writeback.test_publish_safety import served_users

MOVIES = GraphMapping(user="Person", item="Movie", interacted="RATED")


def test_every_query_is_scoped_to_the_mappings_namespace() -> None:
    db = RecordingRunner(answers={"run_current": [], "runs_list": [], "runs_to_clean": []})
    store = RunStore(db, MOVIES)
    store.ensure_schema()
    store.current()
    store.history()
    store.clean(keep=2)
    store.users_short_of_k(5)
    scoped = [p for _, p in db.reads + db.writes if p]
    assert scoped and all(p["namespace"] == "person_rated_movie" for p in scoped)


def test_begin_records_the_slot_and_its_property_and_index() -> None:
    db = RecordingRunner()
    run_id = RunStore(db, MOVIES).begin("lightgcn", 10, "host:1:ab", slot=1, kind="full")
    ((_, params),) = db.writes
    assert run_id == db.last_run == 1 and params["sequence"] == RUN_SEQUENCE
    assert params["slot"] == 1 and params["owner"] == "host:1:ab" and params["k"] == 10
    assert params["embedding_property"] == embedding_property(MOVIES, 1)
    assert params["embedding_property"] == "socialrec_person_rated_movie_embedding_1"
    assert params["item_index"] == item_index_name(MOVIES, 1)


def test_clean_deletes_and_marks_each_run_it_is_given() -> None:
    db = RecordingRunner(
        answers={
            "runs_to_clean": [{"id": "a", "reason": "orphaned"}, {"id": "b", "reason": "pruned"}]
        },
        counters={"run_delete_recommendations": {"relationships_deleted": 7}},
    )
    cleaned = RunStore(db, GraphMapping()).clean(keep=3, except_id="new")
    assert [(c.id, c.reason, c.relationships) for c in cleaned] == [
        ("a", "orphaned", 7),
        ("b", "pruned", 7),
    ]
    _, asked = db.reads[0]
    assert asked["keep"] == 3 and asked["except"] == "new"
    assert db.names() == [
        "run_delete_recommendations",
        "run_mark_cleaned",
        "run_delete_recommendations",
        "run_mark_cleaned",
    ]
    assert [p["reason"] for _, p in db.writes if "reason" in p] == ["orphaned", "pruned"]


def test_publishing_a_run_that_is_no_longer_running_is_an_error() -> None:
    db = RecordingRunner(answers={"run_publish": []})
    with pytest.raises(WritebackError, match="no longer 'running'"):
        RunStore(db, GraphMapping()).publish("r1", ["r1"], {"users": 1})
    db = RecordingRunner(answers={"run_publish": [{"id": "r1"}]})
    RunStore(db, GraphMapping()).publish("r1", ["r1", "r0"], {"users": 1}, ["u7"])
    ((_, params),) = db.writes
    assert params == {
        "id": "r1",
        "serves": ["r1", "r0"],
        "stats": {"users": 1},
        "superseded_users": ["u7"],
    }


def test_a_failure_message_is_capped_and_current_reads_the_run() -> None:
    db = RecordingRunner(answers={"run_current": [{"run": {"id": "r0", "slot": 0}}]})
    store = RunStore(db, GraphMapping())
    assert store.current() == {"id": "r0", "slot": 0}
    store.fail("r1", "x" * 5000)
    ((_, params),) = db.writes
    assert len(params["error"]) == 2000


@pytest.mark.integration
def test_writers_beginning_at_once_get_one_number_each(db: Neo4jRunner) -> None:
    db.write(queries.load("lock_schema", GraphMapping()))
    stores = [RunStore(db, GraphMapping(namespace=f"ns{i}")) for i in range(8)]
    start = threading.Barrier(len(stores))

    def begin(store: RunStore) -> int:
        start.wait()
        return store.begin("lightgcn", 10, "host:1:ab", slot=0)

    with ThreadPoolExecutor(len(stores)) as pool:
        numbers = list(pool.map(begin, stores))
    assert sorted(numbers) == list(range(1, len(stores) + 1))
    assert RunStore(db, GraphMapping()).begin("lightgcn", 10, "host:1:ab", slot=0) == 9
    stored = db.read("MATCH (r:RecommendationRun) RETURN r.id AS id")
    assert sorted(r["id"] for r in stored) == list(range(1, 10))


def make_legacy(db: Neo4jRunner, run_id: RunId) -> str:
    """Turn a published run into what versions before run numbers wrote: a uuid hex id."""
    legacy = uuid.uuid4().hex
    db.write(
        "MATCH (r:RecommendationRun {id: $id}) SET r.id = $legacy, r.serves = [$legacy]",
        {"id": run_id, "legacy": legacy},
    )
    changed = db.write(
        "MATCH ()-[rec:RECOMMENDED {run_id: $id}]->() SET rec.run_id = $legacy",
        {"id": run_id, "legacy": legacy},
    )
    assert changed.get("properties_set", 0) > 0
    return legacy


@pytest.mark.integration
def test_a_run_of_before_run_numbers_serves_until_a_full_run_replaces_it(
    db: Neo4jRunner, planted: Planted
) -> None:
    config = WritebackConfig(k=5, batch_size=40, keep_runs=1)
    first = Writeback(db, GraphMapping(), config).run(planted.scorer, "planted")
    before = served_users(db)
    legacy = make_legacy(db, first.run_id)
    assert served_users(db) == before and all(before.values())  # served as it was
    few = planted.scorer.user_indices([3])
    with pytest.raises(WritebackError, match="before run numbers"):
        Writeback(db, GraphMapping(), config).run(
            planted.scorer, "again", users=few, incremental=True
        )
    assert served_users(db) == before
    full = Writeback(db, GraphMapping(), config).run(planted.scorer, "again")
    assert isinstance(full.run_id, int) and served_users(db) == before
    left = db.read(
        "MATCH ()-[rec:RECOMMENDED]->() RETURN rec.run_id AS run, count(*) AS n ORDER BY run"
    )
    assert [(r["run"], r["n"]) for r in left] == [(full.run_id, full.relationships)]
    pruned = db.read(
        "MATCH (r:RecommendationRun {id: $id}) RETURN r.status AS status, r.cleaned AS cleaned",
        {"id": legacy},
    )
    assert pruned == [{"status": "pruned", "cleaned": True}]
