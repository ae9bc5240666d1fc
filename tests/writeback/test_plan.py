"""A run's base and its publish guard (socialrec/writeback/plan.py), without a server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from socialrec.score.scorer import Scorer
from socialrec.writeback.config import WritebackConfig
from socialrec.writeback.plan import RunPlan, served_base, served_users
from socialrec.writeback.runs import RunId, RunStore, WritebackError
from socialrec.writeback.served import ServedLists, empty_aligned
from tests.writeback.test_served import snapshot, top


class RecordingRuns:
    """What ``served_base`` asks of a RunStore, recorded."""

    def __init__(self, stored: int) -> None:
        self.stored = stored
        self.relayouts: list[tuple[RunId, str, int]] = []
        self.counted = 0

    def count_served(self, runs: list[RunId]) -> int:
        self.counted += 1
        return self.stored

    def relayout(self, run_id: RunId, kind: str, slot: int) -> None:
        self.relayouts.append((run_id, kind, slot))


def scorer_for(snap: Any, inductive_users: int = 0) -> Scorer:
    return cast(
        Scorer, SimpleNamespace(snapshot=snap, inductive={"user": np.arange(inductive_users)})
    )


def plan(current: dict[str, Any] | None) -> RunPlan:
    return RunPlan(2, "full", 1, current, [], 0.0)


def served(snap: Any, version: str = "lightgcn@1.0", run: RunId = 1) -> ServedLists:
    aligned = empty_aligned(snap, 2)
    aligned.replace(top([0, 1], [[0, 1], [2, 3]], [[3, 2], [5, 4]]), run)
    return ServedLists.from_aligned(aligned, snap, run, version)


CURRENT = {"id": 1, "slot": 0, "serves": [1], "served_users": 2}


def base(
    p: RunPlan,
    lists: ServedLists | None,
    version: str,
    stored: int = 4,
    incremental: bool = False,
    **config: Any,
) -> tuple[Any, RecordingRuns]:
    snap = snapshot([0, 1, 2], [0, 1, 2, 3])
    runs = RecordingRuns(stored)
    lines: list[str] = []
    got = served_base(
        p, scorer_for(snap), lists, version, incremental, WritebackConfig(k=2, **config),
        cast(RunStore, runs), lines.append,
    )  # fmt: skip
    return got, runs


def test_a_full_run_with_the_same_model_and_a_trusted_file_becomes_a_diff_run() -> None:
    p = plan(CURRENT)
    got, runs = base(p, served(snapshot([0, 1, 2], [0, 1, 2, 3])), "lightgcn@1.0")
    assert (p.kind, p.slot) == ("diff", 0)  # the current slot, not the other one
    assert runs.relayouts == [(2, "diff", 0)]
    np.testing.assert_array_equal(got.items[1], [2, 3])


@pytest.mark.parametrize(
    ("version", "stored", "config"),
    [
        ("lightgcn@2.0", 4, {}),  # retrained: everyone is rewritten
        ("lightgcn@1.0", 3, {}),  # a relationship deleted behind the file's back
        ("lightgcn@1.0", 4, {"diff": False}),
    ],
)
def test_otherwise_a_full_run_starts_from_nobody_served(
    version: str, stored: int, config: dict[str, Any]
) -> None:
    p = plan(CURRENT)
    got, runs = base(p, served(snapshot([0, 1, 2], [0, 1, 2, 3])), version, stored, **config)
    assert (p.kind, p.slot) == ("full", 1) and runs.relayouts == []
    assert (got.items == -1).all() and (got.source == -1).all()


def test_an_incremental_run_carries_the_lists_forward_and_a_diff_run_counts_them() -> None:
    p = plan(CURRENT)
    lists = served(snapshot([0, 1, 2], [0, 1, 2, 3]))
    got, runs = base(p, lists, "lightgcn@1.0", stored=3, incremental=True)
    assert runs.counted == 0 and p.kind == "full" and runs.relayouts == []
    np.testing.assert_array_equal(got.items[1], [2, 3])
    _, runs = base(plan(CURRENT), lists, "lightgcn@1.0", stored=3)
    assert runs.counted == 1  # and the mismatch found: no diff run (above)


@pytest.mark.parametrize("incremental", [False, True])
def test_rows_of_a_run_with_a_string_id_are_not_carried_into_a_numbered_run(
    incremental: bool,
) -> None:
    # written before run numbers: a property list cannot hold its id and a number
    legacy = {"id": "9f" * 16, "slot": 0, "serves": ["9f" * 16], "served_users": 2}
    p = plan(legacy)
    lists = served(snapshot([0, 1, 2], [0, 1, 2, 3]), run="9f" * 16)
    got, runs = base(p, lists, "lightgcn@1.0", incremental=incremental)
    assert p.kind == "full" and runs.relayouts == [] and runs.counted == 0
    assert got is None if incremental else (got.items == -1).all()


def test_a_first_run_has_no_base_to_trust() -> None:
    p = plan(None)
    got, runs = base(p, None, "lightgcn@1.0")
    assert p.kind == "full" and (got.items == -1).all() and runs.relayouts == []


def test_a_full_run_serving_far_fewer_users_is_refused_before_it_is_published() -> None:
    snap = snapshot([0, 1, 2], [0, 1, 2, 3])
    cfg = WritebackConfig(k=2, min_coverage=0.9)
    previous = {"served_users": 100}
    with pytest.raises(WritebackError, match="leave 50 users without"):
        served_users(cfg, 50, 100, previous, scorer_for(snap), incremental=False)
    shrink = WritebackConfig(k=2, min_coverage=0.9, allow_shrink=True)
    assert served_users(shrink, 50, 100, previous, scorer_for(snap), incremental=False) == 50
    with pytest.raises(WritebackError, match="nothing to publish"):
        served_users(cfg, 0, 0, None, scorer_for(snap), incremental=False)


def test_a_diff_run_counts_everyone_it_keeps_serving_and_an_incremental_one_adds_new_users() -> (
    None
):
    snap = snapshot([0, 1, 2], [0, 1, 2, 3])
    lists = served(snap).align(snap)  # users 0 and 1 served, none written by this run
    cfg = WritebackConfig(k=2, min_coverage=0.9)
    assert served_users(cfg, 0, 0, {"served_users": 2}, scorer_for(snap), False, lists) == 2
    lists.clear(np.array([0, 1]))
    with pytest.raises(WritebackError, match="nothing to publish"):
        served_users(cfg, 0, 0, {"served_users": 2}, scorer_for(snap), False, lists)
    got = served_users(cfg, 5, 100, {"served_users": 40}, scorer_for(snap, 3), True)
    assert got == 43
