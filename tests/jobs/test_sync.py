"""Sync against a real Neo4j: full, incremental, retrain policy, concurrency, restarts."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from socialrec import queries
from socialrec.checkpoint import Checkpoint
from socialrec.errors import ConfigError, DatabaseError
from socialrec.graph.runner import Neo4jRunner
from socialrec.jobs import RetrainPolicy, Sync, SyncConfig, is_transient
from socialrec.load.synthetic import SyntheticConfig, load_synthetic
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping
from socialrec.train.trainer import TrainConfig
from socialrec.writeback import LockError, RunStore, WritebackConfig, WritebackError, WriterLock
from socialrec.writeback.lock import default_owner
from tests.writeback.test_runs import make_legacy

MAPPING = GraphMapping()
NS = MAPPING.output_namespace
USERS = 200


def load_small_graph(db: Neo4jRunner) -> None:
    config = SyntheticConfig(users=USERS, items=80, attributes=6, communities=4, seed=2)
    load_synthetic(GraphWriter(db), config, progress=False)


def small_config(state_dir: Path, **policy: Any) -> SyncConfig:
    return SyncConfig(
        state_dir=state_dir,
        model="lightgcn",
        train=TrainConfig(epochs=2, eval_every=1, embedding_dim=8, num_layers=1, device="cpu"),
        writeback=WritebackConfig(k=5, batch_size=200),
        policy=RetrainPolicy(**policy),
    )


def served(db: Neo4jRunner) -> dict[Any, list[tuple[Any, ...]]]:
    q = queries.load("recommend", MAPPING)
    users = [r["u"] for r in db.read("MATCH (u:User) RETURN u.id AS u")]
    return {
        u: [
            (r["item"], r["score"], r["rank"], r["run_id"])
            for r in db.read(q, {"namespace": NS, "user": u, "k": 5})
        ]
        for u in users
    }


@pytest.mark.integration
def test_incremental_sync_rescores_exactly_the_changed_users(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    sync = Sync(db, MAPPING, small_config(tmp_path))
    first = sync.run("auto")
    assert first.kind == "full" and first.retrained and first.users_scored == USERS
    before = served(db)
    top = before[0][0][0]
    # user 0 listens to its top recommendation; new user 9999 befriends users 1 and 2
    db.write(
        "MATCH (u:User {id: 0}), (i:Item {id: $i}) CREATE (u)-[:INTERACTED {weight: 1.0}]->(i)",
        {"i": top},
    )
    db.write(
        "CREATE (n:User {id: 9999}) WITH n MATCH (f:User) WHERE f.id IN [1, 2] "
        "CREATE (n)-[:FRIENDS_WITH]->(f)"
    )
    second = sync.run("auto")
    assert second.kind == "incremental" and not second.retrained
    assert second.changed_users == 4 and second.new_nodes["user"] == 1
    after = served(db)
    # 1 and 2 only gained a friend: with the model reused their lists come out as
    # they are served, and the run leaves their rows be (the lists on file)
    assert second.unchanged_users == 2 and second.users_scored == 2
    rewritten = {0, 9999}
    for user, rows in before.items():
        if user not in rewritten:
            assert after[user] == rows  # same items, scores, run
    for user in rewritten:
        assert len(after[user]) == 5
        assert {r[3] for r in after[user]} == {second.run_id}
    assert top not in [r[0] for r in after[0]]
    # the new user got recommendations from the incremental path, with no retraining
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["kind"] == "incremental"
    assert run["serves"] == [second.run_id, first.run_id]
    # the writeback stage's parts are reported (sync_refresh's profile reads them)
    assert {"recommendations", "publish", "prune"} <= set(second.writeback_seconds)
    assert "writeback:" in second.describe()


@pytest.mark.integration
def test_a_time_aware_incremental_sync_folds_new_interactions_in_as_recent(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)  # the generator dates every interaction within 2024
    config = small_config(tmp_path)
    config = replace(config, train=replace(config.train, recency_days=30.0))
    lines: list[str] = []
    sync = Sync(db, MAPPING, config, log=lines.append)
    sync.run("full")
    before = served(db)
    picks = [r[0] for r in before[0][:2]]
    db.write(
        "MATCH (u:User {id: 0}), (i:Item) WHERE i.id IN $items "
        "CREATE (u)-[:INTERACTED {weight: 1.0, ts: 1735689600}]->(i)",  # 2025-01-01
        {"items": picks},
    )
    second = sync.run("auto")
    assert second.kind == "incremental"
    assert "  1 users' new interactions folded in as recent" in lines
    after = served(db)
    assert not set(picks) & {r[0] for r in after[0]}
    # an item recommended both times scores anew: user 0's embedding moved
    old, new = ({r[0]: r[1] for r in rows[0]} for rows in (before, after))
    common = set(old) & set(new)
    assert common and any(abs(old[i] - new[i]) > 1e-6 for i in common)
    # users without new interactions keep their embedding: the same scores
    assert after[5] == before[5]


@pytest.mark.integration
def test_retrain_policy_age_and_fresh_recall(db: Neo4jRunner, tmp_path: Path) -> None:
    load_small_graph(db)
    Sync(db, MAPPING, small_config(tmp_path)).run("full")
    assert Sync(db, MAPPING, small_config(tmp_path)).decide("auto")[:2] == ("incremental", False)
    old = small_config(tmp_path, max_model_age_hours=0.0)
    kind, retrain, why = Sync(db, MAPPING, old).decide("auto")
    assert (kind, retrain) == ("full", True) and "old" in why
    # a fresh-recall threshold nobody can meet makes the next sync retrain
    strict = small_config(tmp_path, min_fresh_recall=1.01, min_fresh_interactions=1)
    db.write(
        "MATCH (u:User) WHERE u.id < 50 MATCH (i:Item {id: u.id % 7}) "
        "MERGE (u)-[:INTERACTED {weight: 1.0}]->(i)"
    )
    summary = Sync(db, MAPPING, strict).run("auto")
    assert summary.kind == "incremental" and "fresh_recall@20" in summary.metrics
    kind, retrain, why = Sync(db, MAPPING, strict).decide("auto")
    assert (kind, retrain) == ("full", True) and "fresh Recall@20" in why


@pytest.mark.integration
def test_two_concurrent_syncs_never_both_write(db: Neo4jRunner, tmp_path: Path) -> None:
    load_small_graph(db)
    # as after any first writer: the lease's constraint exists (on a bare database
    # the two would meet in Neo4j's schema lock first and run one after the other)
    WriterLock(db, MAPPING)._ensure_constraint()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def one(n: int) -> None:
        sync = Sync(db, MAPPING, small_config(tmp_path / str(n)))
        start.wait()
        try:
            sync.run("full")
            outcomes.append("wrote")
        except LockError:
            outcomes.append("refused")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "wrote"]
    runs = RunStore(db, MAPPING).history()
    assert len(runs) == 1 and runs[0]["status"] == "complete"


@pytest.mark.integration
def test_neo4j_restart_mid_sync_keeps_previous_recommendations(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    from tests import conftest

    server = conftest._LOCAL
    if server is None:
        pytest.skip("needs the local test server (restarted by the test)")
    load_small_graph(db)
    config = small_config(tmp_path)
    Sync(db, MAPPING, config).run("full")
    before = served(db)
    owner = default_owner()

    def stop_before_writeback(line: str) -> None:
        if line == "[writeback]":
            server.stop()

    broken = Sync(db, MAPPING, config, log=stop_before_writeback)
    lock = WriterLock(db, MAPPING, owner=owner)
    with pytest.raises(WritebackError, match="previous recommendations kept") as failure, lock:
        broken.run("full", lock=lock)
    assert is_transient(failure.value)  # what a scheduler retries
    server.start()
    # the run could not even be marked failed; queries still read the old run
    assert served(db) == before
    orphan = [r for r in RunStore(db, MAPPING).history() if r["status"] == "running"]
    assert len(orphan) == 1
    # the same owner (a scheduler's retry) takes its lease back and completes
    deadline = time.monotonic() + 60
    while True:
        try:
            with WriterLock(db, MAPPING, owner=owner) as again:
                summary = Sync(db, MAPPING, config).run("full", lock=again)
            break
        except DatabaseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    runs = {r["id"]: r for r in RunStore(db, MAPPING).history()}
    assert runs[orphan[0]["id"]]["status"] == "failed"
    assert runs[summary.run_id]["current"]
    # the model was reused and nothing changed: a diff run that keeps every row
    assert summary.kind == "diff" and summary.relationships == 0
    assert served(db) == before


@pytest.mark.integration
def test_a_sync_with_nothing_to_do_publishes_no_run(db: Neo4jRunner, tmp_path: Path) -> None:
    load_small_graph(db)
    sync = Sync(db, MAPPING, small_config(tmp_path))
    full = sync.run("full")
    before = served(db)
    for _ in range(3):
        summary = sync.run("incremental")
        assert summary.run_id is None and "nothing changed" in summary.describe()
    runs = RunStore(db, MAPPING).history()
    assert [r["id"] for r in runs] == [full.run_id]
    assert served(db) == before


@pytest.mark.integration
def test_the_first_sync_over_a_run_of_before_run_numbers_is_a_full_one(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    sync = Sync(db, MAPPING, small_config(tmp_path))
    first = sync.run("full")
    assert first.run_id is not None
    legacy = make_legacy(db, first.run_id)
    before = {u: [row[:3] for row in rows] for u, rows in served(db).items()}
    db.write("MATCH (u:User {id: 0}), (i:Item {id: 1}) MERGE (u)-[:INTERACTED {weight: 1.0}]->(i)")
    upgraded = sync.run("auto")  # would be incremental: the state is there
    assert upgraded.kind == "full" and "predates run numbers" in upgraded.reason
    assert isinstance(upgraded.run_id, int)
    after = served(db)
    assert {r[3] for rows in after.values() for r in rows} == {upgraded.run_id}
    assert {u: [row[:3] for row in rows] for u, rows in after.items() if u != 0} == {
        u: rows for u, rows in before.items() if u != 0
    }
    again = sync.run("auto")  # numbered from now on: incremental again
    current = RunStore(db, MAPPING).current()
    assert again.kind == "incremental" and current is not None and legacy not in current["serves"]


@pytest.mark.integration
def test_deleting_a_recommended_item_rescores_the_users_it_was_recommended_to(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    sync = Sync(db, MAPPING, small_config(tmp_path))
    sync.run("full")
    # the item recommended most often, deleted as a user would (DETACH DELETE)
    top = db.read(
        "MATCH ()-[r:RECOMMENDED]->(i:Item) RETURN i.id AS i, count(r) AS n ORDER BY n DESC LIMIT 1"
    )[0]
    db.write("MATCH (i:Item {id: $i}) DETACH DELETE i", {"i": top["i"]})
    summary = sync.run("incremental")
    assert summary.changed_users >= top["n"]
    rows = served(db)
    assert all(len(v) == 5 for v in rows.values())
    assert all(r[0] != top["i"] for v in rows.values() for r in v)
    # the run node's counts are what the database holds
    current = RunStore(db, MAPPING).current()
    assert current is not None
    created = db.read(
        "MATCH ()-[r:RECOMMENDED {run_id: $id}]->() RETURN count(r) AS n", {"id": current["id"]}
    )[0]["n"]
    assert current["relationships"] == created


# The retrain policy on its own: files in the state folder only, no server.


def _state(tmp_path: Path, trained_hours_ago: float | None, snapshot: bool = True) -> SyncConfig:
    config = small_config(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    if trained_hours_ago is not None:
        Checkpoint(
            "lightgcn",
            torch.zeros(1, 2),
            torch.zeros(1, 2),
            {"user": np.arange(1), "item": np.arange(1)},
            {},
            trained_at=time.time() - trained_hours_ago * 3600,
        ).save(config.model_path)
    if snapshot:
        config.snapshot_path.write_bytes(b"a snapshot")  # decide only asks whether it exists
    return config


def _decide(config: SyncConfig, kind: str = "auto", **policy: Any) -> tuple[str, bool, str]:
    if policy:
        config = replace(config, policy=RetrainPolicy(**policy))
    return Sync(None, MAPPING, config).decide(kind)  # type: ignore[arg-type]  # no queries


def test_decide_retrains_without_a_model_or_with_an_old_one(tmp_path: Path) -> None:
    assert _decide(_state(tmp_path / "none", None))[:2] == ("full", True)
    kind, retrain, why = _decide(_state(tmp_path / "old", 30.0), max_model_age_hours=24)
    assert (kind, retrain) == ("full", True) and "30.0 h old (> 24" in why
    assert _decide(_state(tmp_path / "new", 1.0), max_model_age_hours=24)[:2] == (
        "incremental",
        False,
    )


def test_decide_retrains_when_fresh_recall_fell_below_the_threshold(tmp_path: Path) -> None:
    config = _state(tmp_path, 1.0)
    config.state_path.write_text(json.dumps({"fresh_recall@20": 0.05}))
    kind, retrain, why = _decide(config, min_fresh_recall=0.1)
    assert (kind, retrain) == ("full", True) and "0.0500 < 0.1" in why
    assert _decide(config, min_fresh_recall=0.01)[:2] == ("incremental", False)


def test_decide_full_reuses_a_recent_model_and_incremental_needs_state(tmp_path: Path) -> None:
    recent = _state(tmp_path / "recent", 1.0)
    assert _decide(recent, "full")[:2] == ("full", False)
    no_snapshot = _state(tmp_path / "nosnap", 1.0, snapshot=False)
    assert _decide(no_snapshot)[:2] == ("full", False)
    with pytest.raises(ConfigError, match="run a full sync first"):
        _decide(no_snapshot, "incremental")
    with pytest.raises(ConfigError, match="sync kind 'sometimes'"):
        _decide(recent, "sometimes")


def test_a_tuned_recipe_is_read_under_what_sync_train_sets(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[train]\nmodel = "lightgcn"\nembedding_dim = 128\nlr = 0.003\n')
    config = SyncConfig.from_table(
        {"recipe": str(recipe), "train": {"lr": 0.01}}, tmp_path / "state"
    )
    assert config.model == "lightgcn"
    assert (config.train.embedding_dim, config.train.lr) == (128, 0.01)
    mine = SyncConfig.from_table({"recipe": str(recipe), "model": "social"}, tmp_path)
    assert mine.model == "social" and mine.train.embedding_dim == 128
