import numpy as np
import pytest

from socialrec.errors import DatabaseError
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping
from tests.fakes import RecordingRunner


def test_interactions_are_split_into_batches_with_all_rows() -> None:
    runner = RecordingRunner()
    writer = GraphWriter(runner, batch_size=4)
    users = np.arange(10)
    writer.interactions(users, users + 100, weights=users * 1.0, times=None)
    assert len(runner.writes) == 3
    sent = [u for _, p in runner.writes for u in p["users"]]
    assert sent == list(range(10))
    assert all(type(u) is int for u in sent)  # numpy scalars converted for the driver
    assert runner.writes[0][1]["times"] is None
    assert writer.report.rows == {"interactions": 10}


def test_queries_use_the_mapping_and_parameters_only() -> None:
    runner = RecordingRunner()
    writer = GraphWriter(runner, GraphMapping(user="Person", friends="KNOWS"))
    writer.friendships(["alice"], ["bob"])
    query, params = runner.writes[0]
    assert "`Person`" in query and "`KNOWS`" in query
    assert "alice" not in query and params == {"a": ["alice"], "b": ["bob"]}


def test_self_friendships_are_skipped_and_counted() -> None:
    runner = RecordingRunner()
    writer = GraphWriter(runner)
    writer.friendships([1, 2, 3], [1, 5, 3])
    assert runner.writes[0][1] == {"a": [2], "b": [5]}
    assert writer.report.skipped == {"self-friendship": 2}


def test_failure_mid_load_keeps_whole_batches() -> None:
    runner = RecordingRunner(fail_on_write=2)
    writer = GraphWriter(runner, batch_size=3)
    with pytest.raises(DatabaseError):
        writer.items(list(range(10)))
    assert [p["ids"] for _, p in runner.writes] == [[0, 1, 2], [3, 4, 5]]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        GraphWriter(RecordingRunner(), batch_size=0)
