"""Writeback against a real Neo4j: atomic publish, failures, kills, pruning, incremental."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import torch

from socialrec import queries
from socialrec.config import ConnectionSettings
from socialrec.errors import DatabaseError
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.score import Scorer
from socialrec.writeback import (
    RunStore,
    Writeback,
    WritebackConfig,
    WritebackError,
    WriterLock,
)
from socialrec.writeback.runs import RunId, item_index_name
from tests.fakes import RecordingRunner
from tests.helpers import checkpoint_for, synthetic_snapshot
from tests.writeback.conftest import N_USERS, Planted, community, planted_embeddings

MAPPING = GraphMapping()
NS = MAPPING.output_namespace
SMALL = WritebackConfig(k=5, batch_size=20, writers=2)


def served(db: Neo4jRunner, k: int = 5) -> dict[int, list[tuple[Any, ...]]]:
    """Every user's rows from cypher/recommend.cypher."""
    q = queries.load("recommend", MAPPING)
    return {
        u: [
            (r["item"], r["score"], r["rank"], r["run_id"])
            for r in db.read(q, {"namespace": NS, "user": u, "k": k})
        ]
        for u in range(N_USERS)
    }


def recommended_count(db: Neo4jRunner, run_id: RunId | None = None) -> int:
    where = "WHERE r.run_id = $id" if run_id else ""
    return db.read(f"MATCH ()-[r:RECOMMENDED]->() {where} RETURN count(r) AS n", {"id": run_id})[0][
        "n"
    ]


def other_scorer(planted: Planted, seed: int) -> Scorer:
    user_emb, item_emb = planted_embeddings(planted.snapshot, seed)
    return Scorer.from_checkpoint(
        checkpoint_for(planted.snapshot, user_emb, item_emb), planted.snapshot
    )


def test_writeback_publishes_the_scorers_top_k(db: Neo4jRunner, planted: Planted) -> None:
    report = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    assert report.users == N_USERS and report.relationships == N_USERS * 5
    rows = served(db)
    expected = next(planted.scorer.recommendations(5, chunk=1000, because=3))
    for user, items in zip(expected.users, expected.items, strict=True):
        assert [r[0] for r in rows[user]] == items
        assert [r[2] for r in rows[user]] == [1, 2, 3, 4, 5]
        assert {community(i) for i in items[:2]} == {community(user)}
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["id"] == report.run_id and run["status"] == "complete"
    assert run["serves"] == [report.run_id] and run["users"] == N_USERS
    # embeddings in the run's slot, for every user and item
    n = db.read(
        "MATCH (n) WHERE n[$p] IS NOT NULL RETURN count(n) AS n", {"p": run["embedding_property"]}
    )[0]["n"]
    assert n == 40
    # recommend.cypher's `because`, read from the graph at query time, names the
    # friends the scorer names (heaviest interaction first, up to 3)
    q = queries.load("recommend", MAPPING)
    named = 0
    assert expected.because is not None
    for user, items, because in zip(expected.users, expected.items, expected.because, strict=True):
        got = db.read(q, {"namespace": NS, "user": user, "k": 5})
        assert {r["item"]: r["because"] for r in got} == dict(zip(items, because, strict=True))
        named += sum(1 for r in got if r["because"])
    assert named > 0


class FailingRunner:
    """Passes queries through, but the ``fail_at``-th recommendations batch fails."""

    def __init__(self, inner: Neo4jRunner, fail_at: int) -> None:
        self.inner, self.fail_at, self.batches = inner, fail_at, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, query: str, params: Any = None) -> dict[str, int]:
        if getattr(query, "name", "") == "write_recommendations.cypher":
            self.batches += 1
            if self.batches == self.fail_at:
                raise DatabaseError("injected failure")
        return self.inner.write(query, params)


def test_failure_midway_leaves_previous_run_exactly_visible(
    db: Neo4jRunner, planted: Planted
) -> None:
    first = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served(db)
    failing = FailingRunner(db, fail_at=3)
    with pytest.raises(WritebackError, match="injected failure"):
        Writeback(failing, MAPPING, SMALL).run(other_scorer(planted, 1), "second")  # type: ignore[arg-type]
    assert failing.batches >= 3
    assert served(db) == before
    runs = {r["id"]: r for r in RunStore(db, MAPPING).history()}
    failed = [r for r in runs.values() if r["id"] != first.run_id]
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert "injected failure" in failed[0]["error"]
    assert recommended_count(db, failed[0]["id"]) == 0
    # the next run succeeds and replaces the first
    third = Writeback(db, MAPPING, SMALL).run(other_scorer(planted, 2), "third")
    assert {r[3] for rows in served(db).values() for r in rows} == {third.run_id}


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from socialrec.config import ConnectionSettings
    from socialrec.export import Exporter
    from socialrec.graph.runner import Neo4jRunner
    from socialrec.mapping import GraphMapping
    from socialrec.score import Scorer
    from socialrec.writeback import Writeback, WritebackConfig, WriterLock
    from tests.helpers import checkpoint_for
    from tests.writeback.conftest import planted_embeddings

    class SlowRunner(Neo4jRunner):  # slow batches, so the kill lands mid-run
        def write(self, query, params=None):
            if "RECOMMENDED" in query:
                time.sleep(0.3)
            return super().write(query, params)

    runner = SlowRunner(ConnectionSettings(*sys.argv[1:4]))
    snapshot = Exporter(runner, progress=False).full()
    embeddings = planted_embeddings(snapshot, 5)
    scorer = Scorer.from_checkpoint(checkpoint_for(snapshot, *embeddings), snapshot)
    config = WritebackConfig(k=5, batch_size=5, writers=1)
    lock = WriterLock(runner, GraphMapping(), ttl=2).acquire()
    Writeback(runner, GraphMapping(), config, lock=lock).run(scorer, "killed")
    """
)


def test_killed_writer_leaves_previous_run_and_next_run_cleans_up(
    db: Neo4jRunner, planted: Planted, neo4j_settings: ConnectionSettings
) -> None:
    Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served(db)
    s = neo4j_settings
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, s.uri, s.user, s.password],
        cwd=os.getcwd(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        partial: list[dict[str, Any]] = []
        while time.monotonic() < deadline and proc.poll() is None:
            partial = db.read(
                "MATCH (r:RecommendationRun {status: 'running'}) "
                "MATCH ()-[x:RECOMMENDED {run_id: r.id}]->() RETURN r.id AS id, count(x) AS n"
            )
            if partial and partial[0]["n"] >= 15:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    orphan = partial[0]["id"]
    assert recommended_count(db, orphan) >= 15  # half-written, but invisible:
    assert served(db) == before
    # the next writer waits out the dead one's lease, cleans up, and publishes
    with WriterLock(db, MAPPING, wait=30) as lock:
        report = Writeback(db, MAPPING, SMALL, lock=lock).run(other_scorer(planted, 3), "next")
    assert any(c.id == orphan and c.reason == "orphaned" for c in report.cleaned)
    assert recommended_count(db, orphan) == 0
    runs = {r["id"]: r for r in RunStore(db, MAPPING).history()}
    assert runs[orphan]["status"] == "failed"
    assert {r[3] for rows in served(db).values() for r in rows} == {report.run_id}


def test_prune_keeps_n_runs_and_rerun_is_idempotent(db: Neo4jRunner, planted: Planted) -> None:
    config = WritebackConfig(k=5, batch_size=50, keep_runs=2)
    ids = [Writeback(db, MAPPING, config).run(planted.scorer, "planted").run_id for _ in range(3)]
    runs = {r["id"]: r for r in RunStore(db, MAPPING).history()}
    assert runs[ids[0]]["status"] == "pruned" and recommended_count(db, ids[0]) == 0
    assert recommended_count(db, ids[1]) == recommended_count(db, ids[2]) == N_USERS * 5
    assert runs[ids[2]]["current"] and not runs[ids[1]]["current"]
    # the same scores give the same visible result whichever run serves them
    rows = served(db)
    assert all(r[3] == ids[2] for v in rows.values() for r in v)
    assert recommended_count(db) == 2 * N_USERS * 5


@pytest.mark.parametrize("keep_runs", [1, 3])
def test_incremental_run_rewrites_only_given_users(
    db: Neo4jRunner, planted: Planted, keep_runs: int
) -> None:
    config = replace(SMALL, keep_runs=keep_runs)
    full = Writeback(db, MAPPING, config).run(planted.scorer, "planted")
    scorer = planted.scorer
    user0 = int(scorer.snapshot.index_of("user", [0])[0])
    # user 0 now likes community B
    scorer.user_embedding[user0] = torch.tensor([0.0, 1.0, 0.0, 0.0])
    inc = Writeback(db, MAPPING, config).run(
        scorer, "planted", users=np.array([user0]), incremental=True
    )
    # the full run is served through the incremental one: never pruned with it
    assert recommended_count(db, full.run_id) == (N_USERS - 1) * 5
    rows = served(db)
    assert {r[3] for r in rows[0]} == {inc.run_id}
    assert all(community(r[0]) == 1 for r in rows[0])
    assert all({r[3] for r in rows[u]} == {full.run_id} for u in range(1, N_USERS))
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["serves"] == [inc.run_id, full.run_id]
    n0 = db.read("MATCH (:User {id: 0})-[r:RECOMMENDED]->() RETURN count(r) AS n")[0]["n"]
    assert n0 == 5  # the superseded ones were deleted when the run was published


def test_each_row_names_the_model_of_the_run_that_wrote_it(
    db: Neo4jRunner, planted: Planted
) -> None:
    """Relationships carry only what serving reads; the model comes from their run's node."""
    full = Writeback(db, MAPPING, SMALL).run(planted.scorer, "first-model")
    user0 = int(planted.scorer.snapshot.index_of("user", [0])[0])
    inc = Writeback(db, MAPPING, SMALL).run(
        planted.scorer, "second-model", users=np.array([user0]), incremental=True
    )
    q = queries.load("recommend", MAPPING)
    for user, run_id, model in ((0, inc.run_id, "second-model"), (1, full.run_id, "first-model")):
        rows = db.read(q, {"namespace": NS, "user": user, "k": 5})
        assert len(rows) == 5
        assert {(r["run_id"], r["model"]) for r in rows} == {(run_id, model)}
        assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    keys = db.read("MATCH ()-[r:RECOMMENDED]->() RETURN DISTINCT keys(r) AS k")
    assert [sorted(r["k"]) for r in keys] == [["rank", "run_id", "score"]]


def test_embedding_slots_alternate_and_follow_the_model_size(
    db: Neo4jRunner, planted: Planted
) -> None:
    def dims(name: str) -> int | None:
        rows = db.read(queries.load("vector_index_dimensions", MAPPING), {"name": name})
        return rows[0]["dimensions"] if rows else None

    snapshot = planted.snapshot
    wide = Scorer.from_checkpoint(
        checkpoint_for(snapshot, torch.randn(N_USERS, 8), torch.randn(N_USERS, 8)), snapshot
    )
    slots = []
    for scorer in (planted.scorer, planted.scorer, wide):  # 4, 4, then 8 dimensions
        Writeback(db, MAPPING, SMALL).run(scorer, "planted")
        run = RunStore(db, MAPPING).current()
        assert run is not None
        slots.append(run["slot"])
        n = db.read(
            "MATCH (i:Item) WHERE size(i[$p]) = $d RETURN count(i) AS n",
            {"p": run["embedding_property"], "d": scorer.item_embedding.shape[1]},
        )[0]["n"]
        assert n == 20  # the current slot holds this run's embeddings only
    assert slots == [0, 1, 0]
    # slot 0's index was rebuilt for 8 dimensions; slot 1's kept 4
    assert dims(item_index_name(MAPPING, 0)) == 8 and dims(item_index_name(MAPPING, 1)) == 4
    rows = db.read(queries.load("similar_items", MAPPING), {"namespace": NS, "item": 0, "k": 3})
    assert len(rows) == 3


# The orchestration against a recording fake: which queries, in which order, with
# what, and what a failure or a refusal leaves (no server; see tests/fakes.py).


def fake_scorer(users: int = 40, items: int = 30) -> Scorer:
    snap = synthetic_snapshot(users, items)
    g = torch.Generator().manual_seed(0)
    user_emb = torch.randn(users, 8, generator=g)
    item_emb = torch.randn(items, 8, generator=g)
    return Scorer.from_checkpoint(checkpoint_for(snap, user_emb, item_emb), snap)


def fake_db(current: dict[str, Any] | None = None, **kwargs: Any) -> RecordingRunner:
    """A database whose current run is ``current``; publishing finds the run running."""
    return RecordingRunner(
        answers={
            "run_current": [{"run": current}] if current else [],
            "run_publish": [{"id": "published"}],
        },
        counters={"write_recommendations": {}},  # the writer falls back to rows sent
        **kwargs,
    )


def unit_writeback(db: RecordingRunner, **config: Any) -> Writeback:
    lock = WriterLock(db, MAPPING, owner="me")
    lock.held, lock._last_ok = True, time.monotonic() + 3600  # held for the whole test
    return Writeback(db, MAPPING, replace(SMALL, embeddings=False, **config), lock=lock)


def test_publish_comes_after_every_recommendation_and_cleanup_after_publish() -> None:
    db = fake_db()
    report = unit_writeback(db).run(fake_scorer(), "lightgcn")
    names = db.names()
    assert names.count("write_recommendations") == -(-40 * 5 // 20)  # 40 users, 4 per batch
    first_write = names.index("write_recommendations")
    publish = names.index("run_publish")
    assert names.index("run_begin") < first_write
    assert max(i for i, n in enumerate(names) if n == "write_recommendations") < publish
    # cleaning older runs happens before the run begins and again after publishing
    assert db.log.index("runs_to_clean") < db.log.index("run_begin")
    assert db.log[-1] == "runs_to_clean"
    sent = [u for q, p in db.writes if "run_id" in p and "users" in p for u in p["users"]]
    assert sorted(sent) == sorted(fake_scorer().snapshot.ids["user"].tolist())
    assert report.relationships == 40 * 5 and report.users == 40
    params = next(p for q, p in db.writes if "serves" in p)  # run_publish
    assert params["serves"] == [report.run_id]
    assert params["stats"]["served_users"] == 40 and params["superseded_users"] == []


def test_a_full_run_takes_the_slot_the_current_run_does_not_use() -> None:
    db = fake_db({"id": "r0", "slot": 0, "serves": ["r0"], "served_users": 40})
    unit_writeback(db).run(fake_scorer(), "lightgcn")
    begin = next(p for q, p in db.writes if "embedding_property" in p)
    assert begin["slot"] == 1 and begin["embedding_property"].endswith("_embedding_1")


def test_a_failed_batch_abandons_the_run_and_never_publishes() -> None:
    db = fake_db(fail_on_write=6)  # a batch of recommendations, midway
    with pytest.raises(WritebackError, match="previous recommendations kept"):
        unit_writeback(db).run(fake_scorer(), "lightgcn")
    names = db.names()
    assert "run_publish" not in names
    assert names[-3:] == ["run_fail", "run_delete_recommendations", "run_mark_cleaned"]


def test_a_shrinking_full_run_is_refused_before_publish() -> None:
    db = fake_db({"id": "r0", "slot": 0, "serves": ["r0"], "served_users": 1000})
    with pytest.raises(WritebackError, match="refusing to publish a full run for 40 users"):
        unit_writeback(db).run(fake_scorer(), "lightgcn")
    assert "run_publish" not in db.names()
    # allowed on purpose, the same run publishes
    db = fake_db({"id": "r0", "slot": 0, "serves": ["r0"], "served_users": 1000})
    unit_writeback(db, allow_shrink=True).run(fake_scorer(), "lightgcn")
    assert "run_publish" in db.names()


def test_an_empty_run_is_never_published() -> None:
    db = fake_db()
    scorer = fake_scorer()
    nothing = np.zeros(scorer.snapshot.num_nodes("item"), dtype=bool)
    with pytest.raises(WritebackError, match="nothing to publish"):
        unit_writeback(db, allow_shrink=True).run(scorer, "lightgcn", item_mask=nothing)
    assert "run_publish" not in db.names()


def test_an_incremental_run_serves_through_the_current_one_and_supersedes_its_users() -> None:
    db = fake_db({"id": 7, "slot": 1, "serves": [7], "served_users": 40})
    scorer = fake_scorer()
    report = unit_writeback(db).run(scorer, "lightgcn", users=np.array([3, 5]), incremental=True)
    begin = next(p for q, p in db.writes if "embedding_property" in p)
    assert begin["slot"] == 1 and begin["kind"] == "incremental"
    publish = next(p for q, p in db.writes if "serves" in p)
    assert publish["serves"] == [report.run_id, 7]
    ids = scorer.snapshot.ids["user"]
    assert sorted(publish["superseded_users"]) == sorted([ids[3], ids[5]])
    assert publish["stats"]["served_users"] == 40


def test_an_incremental_run_over_a_run_with_a_string_id_is_refused_before_it_begins() -> None:
    legacy = "9f" * 16  # written before run numbers
    db = fake_db({"id": legacy, "slot": 1, "serves": [legacy], "served_users": 40})
    with pytest.raises(WritebackError, match=r"before run numbers.*write one full run first"):
        unit_writeback(db).run(fake_scorer(), "lightgcn", users=np.array([3]), incremental=True)
    assert "run_begin" not in db.names()


def test_full_over_legacy_begins_a_full_run_in_the_other_slot_reading_once() -> None:
    legacy = "9f" * 16
    db = fake_db({"id": legacy, "slot": 1, "serves": [legacy], "served_users": 40})
    plan = unit_writeback(db).begin("lightgcn", incremental=True, full_over_legacy=True)
    assert plan.kind == "full" and plan.slot == 0 and plan.previous is not None
    begin = next(p for q, p in db.writes if "embedding_property" in p)
    assert begin["kind"] == "full" and begin["slot"] == 0
    assert db.log.count("run_current") == 1  # the sync asks once, not twice


def test_a_run_cleaned_up_by_another_writer_is_not_published() -> None:
    db = fake_db()
    db.answers["run_publish"] = []  # the run is no longer 'running'
    with pytest.raises(WritebackError, match="no longer 'running'"):
        unit_writeback(db).run(fake_scorer(), "lightgcn")


def test_a_cleanup_failure_after_publish_is_reported_not_raised() -> None:
    calls = {"n": 0}

    def runs_to_clean(params: dict[str, Any]) -> list[dict[str, Any]]:
        calls["n"] += 1
        if calls["n"] == 2:  # the cleanup after publishing
            raise DatabaseError("connection lost (fake)", transient=True)
        return []

    db = fake_db()
    db.answers["runs_to_clean"] = runs_to_clean
    report = unit_writeback(db).run(fake_scorer(), "lightgcn")
    assert "run_publish" in db.names()
    assert report.cleanup_deferred is not None and "connection lost" in report.cleanup_deferred


def test_the_tail_penalty_reaches_the_written_recommendations() -> None:
    scorer = fake_scorer()
    written = {}
    for tail in (0.0, 2.0):
        db = fake_db()
        unit_writeback(db, tail_penalty=tail).run(scorer, "lightgcn")
        batches = [p for q, p in db.writes if "run_id" in p and "users" in p]
        written[tail] = {
            u: row for p in batches for u, row in zip(p["users"], p["items"], strict=True)
        }
    expected = next(scorer.recommendations(5, chunk=1000, because=0, tail=2.0))
    assert written[2.0] == dict(zip(expected.users, expected.items, strict=True))
    assert written[2.0] != written[0.0]


def test_max_rate_spaces_the_batches_out() -> None:
    db = fake_db()
    sent: list[float] = []
    write = db.write

    def timed(query: Any, params: Any = None) -> Any:
        if getattr(query, "name", "") == "write_recommendations.cypher":
            sent.append(time.perf_counter())
        return write(query, params)

    db.write = timed  # type: ignore[method-assign]
    started = time.perf_counter()
    unit_writeback(db, max_rate=1000.0).run(fake_scorer(), "lightgcn")
    assert len(sent) == 10  # 200 relationships, 20 a batch
    # batch i goes out once the i * 20 relationships before it fit under 1,000/s
    for i, at in enumerate(sent):
        assert at - started >= i * 20 / 1000.0 - 0.005
    assert sent[-1] - started < 1.0  # and no slower than that


def test_approximate_scoring_reaches_the_written_recommendations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ann_probes`` goes through to the scorer: one list holds every item here, so the
    approximate run writes what the exact one does."""
    import socialrec.score.scorer as scorer_module

    searched: list[int] = []
    search = scorer_module.iter_top_k_approximate

    def recording(*args: Any, **kwargs: Any) -> Any:
        searched.append(args[4])  # probes
        return search(*args, **kwargs)

    monkeypatch.setattr(scorer_module, "iter_top_k_approximate", recording)
    scorer = fake_scorer()
    written = {}
    for probes in (0, 1):
        db = fake_db()
        unit_writeback(db, ann_probes=probes).run(scorer, "lightgcn")
        batches = [p for q, p in db.writes if "run_id" in p and "users" in p]
        written[probes] = {
            u: row for p in batches for u, row in zip(p["users"], p["items"], strict=True)
        }
    assert searched == [1]  # the exact run never searched the index
    assert len(written[1]) == 40 and written[1] == written[0]
