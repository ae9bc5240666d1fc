"""Diff runs on a database socialrec did not create: string and integer ids, KNOWS both ways.

A full sync that reuses the model writes only the people whose lists changed,
serves what a full rewrite would, and leaves the user's own data as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from socialrec.jobs import RetrainPolicy, Sync, SyncConfig
from socialrec.mapping import GraphMapping
from socialrec.train.config import TrainConfig
from socialrec.writeback import RunStore, WritebackConfig, serving
from tests.existing_db.conftest import N_PEOPLE, ExistingDb, user_data_checksum
from tests.existing_db.test_pipeline import recommended

pytestmark = pytest.mark.integration


def config(state: Path, diff: bool = True) -> SyncConfig:
    return SyncConfig(
        state_dir=state,
        model="social",
        train=TrainConfig(epochs=2, eval_every=1, embedding_dim=8, num_layers=1, device="cpu"),
        writeback=WritebackConfig(k=5, batch_size=50, diff=diff),
        policy=RetrainPolicy(),  # a day old at most: the model is reused
    )


def served(db: ExistingDb, mapping: GraphMapping, person: object) -> list[object]:
    rows = serving.recommend(db.runner, mapping, person, 20)
    return [r["item"] for r in rows.rows] if rows.source == "recommend" else []


def test_a_full_sync_on_an_existing_database_writes_only_changed_people(
    existing_db: ExistingDb, tmp_path: Path
) -> None:
    db = existing_db
    mapping = GraphMapping.from_file(db.mapping)
    state = tmp_path / "state"
    lines: list[str] = []
    first = Sync(db.runner, mapping, config(state), log=lines.append).run("full")
    assert first.kind == "full"
    before = recommended(db, mapping)
    # the user's own changes: person 3 rates its top recommendation, and a new
    # person befriends 5 and 6, stored both ways as this database does
    db.rate(db.person(3), before[db.person(3)][0])
    new = db.person(N_PEOPLE + 1)
    db.runner.write(
        """
        CREATE (n:Person {personId: $n, name: 'newcomer'}) WITH n
        MATCH (f:Person) WHERE f.personId IN $friends
        CREATE (n)-[:KNOWS {since: 2026}]->(f), (f)-[:KNOWS {since: 2026}]->(n)
        """,
        {"n": new, "friends": [db.person(5), db.person(6)]},
    )
    pristine = user_data_checksum(db.runner)

    second = Sync(db.runner, mapping, config(state), log=lines.append).run("full")
    assert second.kind == "diff" and not second.retrained, lines
    assert 2 <= second.users_scored < N_PEOPLE  # person 3 and the newcomer, not everyone
    current = RunStore(db.runner, mapping).current()
    assert current is not None and current["kind"] == "diff"
    assert current["serves"] == [second.run_id, first.run_id]
    after = recommended(db, mapping)
    assert before[db.person(3)][0] not in after[db.person(3)]
    newcomer = served(db, mapping, new)
    assert len(newcomer) == 5  # served, through friends stored both ways
    assert all(after[db.person(p)] for p in range(N_PEOPLE))
    assert user_data_checksum(db.runner) == pristine  # only socialrec's own was written

    rewrite = Sync(db.runner, mapping, config(state, diff=False)).run("full")
    assert rewrite.kind == "full" and rewrite.users_scored == N_PEOPLE + 1
    assert recommended(db, mapping) == after
    assert served(db, mapping, new) == newcomer
    assert user_data_checksum(db.runner) == pristine
