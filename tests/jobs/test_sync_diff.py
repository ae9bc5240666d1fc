"""Diff runs against a real Neo4j: a full sync with a reused model writes only changed lists.

What a diff run must keep (issue 15): served alone it gives the recommendations a
full rewrite gives; queries never mix runs; a failure leaves the previous run
served as it was; and when the lists on file do not describe the database, it
rewrites everyone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from socialrec.graph.runner import Neo4jRunner
from socialrec.jobs import Sync, SyncConfig
from socialrec.writeback import RunStore, WritebackError
from tests.jobs.test_sync import MAPPING, USERS, load_small_graph, served, small_config

Served = dict[Any, list[tuple[Any, ...]]]


def ranked(rows: Served) -> dict[Any, list[tuple[Any, int]]]:
    """Items and ranks per user (the run that wrote them aside)."""
    return {u: [(r[0], r[2]) for r in v] for u, v in rows.items()}


def assert_same_as_rewrite(diff: Served, rewrite: Served) -> None:
    assert ranked(diff) == ranked(rewrite)
    for user, rows in diff.items():
        for got, want in zip(rows, rewrite[user], strict=True):
            assert got[1] == pytest.approx(want[1], rel=1e-5)


def relationships(db: Neo4jRunner) -> int:
    return int(db.read("MATCH ()-[r:RECOMMENDED]->() RETURN count(r) AS n")[0]["n"])


def stored(db: Neo4jRunner) -> list[tuple[Any, ...]]:
    """Every RECOMMENDED relationship: user, item, rank, score, run."""
    rows = db.read(
        "MATCH (u:User)-[r:RECOMMENDED]->(i:Item) "
        "RETURN u.id AS u, i.id AS i, r.rank AS rank, r.score AS score, r.run_id AS run"
    )
    return sorted((r["u"], r["i"], r["rank"], r["score"], r["run"]) for r in rows)


def rewrite(db: Neo4jRunner, config: SyncConfig) -> Served:
    """What a full rewrite with the same model serves now."""
    no_diff = replace(config, writeback=replace(config.writeback, diff=False))
    summary = Sync(db, MAPPING, no_diff).run("full")
    assert summary.kind == "full" and not summary.retrained
    return served(db)


def change_some_users(db: Neo4jRunner, before: Served) -> None:
    """User 0 takes its top item; user 3 its second; a new user befriends 1 and 2."""
    for user, pick in ((0, 0), (3, 1)):
        db.write(
            "MATCH (u:User {id: $u}), (i:Item {id: $i}) "
            "CREATE (u)-[:INTERACTED {weight: 1.0}]->(i)",
            {"u": user, "i": before[user][pick][0]},
        )
    db.write(
        "CREATE (n:User {id: 9999}) WITH n MATCH (f:User) WHERE f.id IN [1, 2] "
        "CREATE (n)-[:FRIENDS_WITH]->(f)"
    )


@pytest.mark.integration
def test_a_full_sync_with_a_reused_model_writes_only_the_changed_lists(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    config = small_config(tmp_path)
    lines: list[str] = []
    sync = Sync(db, MAPPING, config, log=lines.append)
    first = sync.run("full")
    assert first.kind == "full" and first.retrained
    before = served(db)
    change_some_users(db, before)
    second = sync.run("full")
    assert second.kind == "diff" and not second.retrained, lines
    # users 0 and 3 lost an item to their history, 9999 is new; the rest stand
    assert second.unchanged_users <= USERS - 2
    assert second.users_scored == USERS + 1 - second.unchanged_users
    after = served(db)
    rewritten = {u for u, rows in after.items() if rows and rows[0][3] == second.run_id}
    assert {0, 3, 9999} <= rewritten
    for user, rows in before.items():
        if user not in rewritten:
            assert after[user] == rows  # the same rows, still the first run's
    for rows in after.values():
        assert len({r[3] for r in rows}) == 1  # a user's list comes from one run
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["kind"] == "diff" and run["slot"] == 0
    assert run["serves"] == [second.run_id, first.run_id]
    assert run["served_users"] == USERS + 1
    # nothing left behind: every relationship in the database is served
    assert relationships(db) == sum(len(v) for v in after.values())
    assert_same_as_rewrite(after, rewrite(db, config))


@pytest.mark.integration
def test_diff_runs_after_incremental_ones_serve_what_a_rewrite_would(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    config = small_config(tmp_path)
    sync = Sync(db, MAPPING, config)
    first = sync.run("full")
    change_some_users(db, served(db))
    assert sync.run("incremental").kind == "incremental"
    db.write(  # the most recommended item goes, as a user would delete it
        "MATCH ()-[r:RECOMMENDED]->(i:Item) WITH i, count(r) AS n ORDER BY n DESC LIMIT 1 "
        "DETACH DELETE i"
    )
    third = sync.run("full")
    assert third.kind == "diff" and third.users_scored > 0
    after = served(db)
    assert all(len(v) == 5 for v in after.values())
    fourth = sync.run("full")  # nothing changed since: nothing to write
    assert fourth.kind == "diff" and fourth.relationships == 0
    assert served(db) == after
    # serves: this run and exactly the runs whose rows are still served
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["serves"][0] == fourth.run_id
    assert set(run["serves"][1:]) == {rows[0][3] for rows in after.values()}
    assert first.run_id in run["serves"]  # the first run's rows of untouched users
    assert relationships(db) == sum(len(v) for v in after.values())
    assert_same_as_rewrite(after, rewrite(db, config))


@pytest.mark.integration
def test_a_failed_diff_run_leaves_the_previous_run_served_and_the_next_one_diffs(
    db: Neo4jRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_small_graph(db)
    config = small_config(tmp_path)
    sync = Sync(db, MAPPING, config)
    sync.run("full")
    before = served(db)
    kept = stored(db)
    change_some_users(db, before)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise WritebackError("injected failure before publishing")

    monkeypatch.setattr(RunStore, "publish", fail)
    with pytest.raises(WritebackError, match="injected"):
        sync.run("full")
    monkeypatch.undo()
    assert stored(db) == kept  # the failed run wrote nothing that is left
    again = sync.run("full")
    assert again.kind == "diff"
    assert_same_as_rewrite(served(db), rewrite(db, config))


@pytest.mark.integration
def test_lists_on_file_that_miss_relationships_make_a_full_rewrite(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    config = small_config(tmp_path)
    lines: list[str] = []
    sync = Sync(db, MAPPING, config, log=lines.append)
    sync.run("full")
    # an item deleted and created again under the same id: the file still lists
    # its recommendations, the database lost them
    item = db.read(  # the most recommended: served to users the incremental sync leaves be
        "MATCH ()-[r:RECOMMENDED]->(i:Item) WITH i, count(r) AS n ORDER BY n DESC LIMIT 1 "
        "RETURN i.id AS i"
    )[0]["i"]
    db.write("MATCH ()-[r:RECOMMENDED]->(:Item {id: $i}) DELETE r", {"i": item})
    # an incremental sync in between carries the lists on file forward uncounted:
    # the full sync after it still finds the loss
    change_some_users(db, served(db))
    assert sync.run("incremental").kind == "incremental"
    summary = sync.run("full")
    assert summary.kind == "full" and summary.users_scored == USERS + 1
    assert any("served lists on file not used: the database holds" in x for x in lines)
    assert all(len(v) == 5 for v in served(db).values())


@pytest.mark.integration
def test_a_retrained_model_rewrites_every_user(db: Neo4jRunner, tmp_path: Path) -> None:
    load_small_graph(db)
    config = small_config(tmp_path, max_model_age_hours=0.0)  # always retrain
    sync = Sync(db, MAPPING, config)
    sync.run("full")
    summary = sync.run("full")
    assert summary.kind == "full" and summary.retrained and summary.users_scored == USERS
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["serves"] == [summary.run_id]


@pytest.mark.integration
def test_an_incremental_sync_skips_unchanged_lists_but_rewrites_lost_rows(
    db: Neo4jRunner, tmp_path: Path
) -> None:
    load_small_graph(db)
    config = small_config(tmp_path)
    lines: list[str] = []
    sync = Sync(db, MAPPING, config, log=lines.append)
    first = sync.run("full")
    before = served(db)
    # user 5's rows deleted behind socialrec's back; then 5 and 6 befriend each other
    db.write("MATCH (:User {id: 5})-[r:RECOMMENDED]->() DELETE r")
    db.write(
        "MATCH (a:User {id: 5}), (b:User {id: 6}) WHERE NOT (a)-[:FRIENDS_WITH]-(b) "
        "CREATE (a)-[:FRIENDS_WITH]->(b)"
    )
    second = sync.run("incremental")
    assert second.kind == "incremental" and second.changed_users >= 2
    assert "  1 users' rows differ from the lists on file: rewritten" in lines
    after = served(db)
    assert [r[0] for r in after[5]] == [r[0] for r in before[5]]  # served again
    assert {r[3] for r in after[5]} == {second.run_id}
    assert after[6] == before[6]  # unchanged: the first run's rows, untouched
    assert second.users_scored == 1 and second.unchanged_users == second.changed_users - 1
    run = RunStore(db, MAPPING).current()
    assert run is not None and run["serves"] == [second.run_id, first.run_id]
    assert relationships(db) == sum(len(v) for v in after.values())
    assert_same_as_rewrite(after, rewrite(db, config))
