"""A run of before run numbers on a database socialrec did not create, string and integer ids.

The first sync over it is a full one (an incremental run cannot serve its rows
next to its own), keeps every unchanged person's list, and leaves the user's
own data as it was; the sync after that is incremental again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from socialrec.jobs import Sync
from socialrec.mapping import GraphMapping
from socialrec.writeback import RunStore
from tests.existing_db.conftest import N_PEOPLE, ExistingDb, user_data_checksum
from tests.existing_db.test_pipeline import recommended
from tests.existing_db.test_sync_diff import config
from tests.writeback.test_runs import make_legacy

pytestmark = pytest.mark.integration


def test_the_first_sync_over_a_legacy_run_is_full_and_touches_no_user_data(
    existing_db: ExistingDb, tmp_path: Path
) -> None:
    db = existing_db
    mapping = GraphMapping.from_file(db.mapping)
    state = tmp_path / "state"
    first = Sync(db.runner, mapping, config(state, diff=False)).run("full")
    assert first.run_id is not None
    legacy = make_legacy(db.runner, first.run_id)
    before = recommended(db, mapping)
    # the user's own change: person 3 rates its top recommendation
    db.rate(db.person(3), before[db.person(3)][0])
    pristine = user_data_checksum(db.runner)

    lines: list[str] = []
    upgraded = Sync(db.runner, mapping, config(state, diff=False), log=lines.append).run("auto")
    assert upgraded.kind == "full" and "predates run numbers" in upgraded.reason, lines
    assert isinstance(upgraded.run_id, int) and upgraded.users_scored == N_PEOPLE
    after = recommended(db, mapping)
    assert before[db.person(3)][0] not in after[db.person(3)]
    unchanged = [db.person(p) for p in range(N_PEOPLE) if p != 3]
    assert {p: after[p] for p in unchanged} == {p: before[p] for p in unchanged}
    assert user_data_checksum(db.runner) == pristine

    again = Sync(db.runner, mapping, config(state, diff=False)).run("auto")
    current = RunStore(db.runner, mapping).current()
    assert again.kind == "incremental" and current is not None
    assert legacy not in current["serves"]
    assert user_data_checksum(db.runner) == pristine
