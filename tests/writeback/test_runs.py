"""RunStore (socialrec/writeback/runs.py) against a recording fake: what each step sends.

The same steps against the real server are in test_writer.py and test_publish_safety.py.
"""

from __future__ import annotations

import pytest

from socialrec.mapping import GraphMapping
from socialrec.writeback.runs import (
    RunStore,
    WritebackError,
    embedding_property,
    item_index_name,
)
from tests.fakes import RecordingRunner

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
    assert params["id"] == run_id and len(run_id) == 32
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
