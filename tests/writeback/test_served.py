"""The served lists a diff run starts from (socialrec/writeback/served.py), without a server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from socialrec.export.snapshot import GraphSnapshot
from socialrec.fileformat import FileFormatError
from socialrec.ids import canonical_ids
from socialrec.topk import TopK
from socialrec.writeback.runs import RunId
from socialrec.writeback.served import ServedLists, empty_aligned, trusted_base
from tests.helpers import snapshot_from_arrays


def snapshot(users: list[object], items: list[object]) -> GraphSnapshot:
    base = snapshot_from_arrays(
        len(users), len(items), 1, np.array([[0], [0]]), np.empty((2, 0), int),
        np.array([[0], [0]]),
    )  # fmt: skip
    ids = {**base.ids, "user": canonical_ids(users), "item": canonical_ids(items)}
    return replace(base, ids=ids)


def top(users: list[int], items: list[list[int]], scores: list[list[float]]) -> TopK:
    return TopK(np.array(users), np.array(items), np.array(scores, np.float32))


def lists_for(snap: GraphSnapshot, run: RunId = 1) -> ServedLists:
    aligned = empty_aligned(snap, 2)
    aligned.replace(top([0, 1, 2], [[0, 1], [2, 3], [1, 2]], [[3, 2], [5, 4], [1, 0.5]]), run)
    return ServedLists.from_aligned(aligned, snap, run, "lightgcn@1.0")


def test_served_lists_round_trip_with_string_ids(tmp_path: Path) -> None:
    snap = snapshot(["a", "b", "c"], ["x", "y", "z", "w"])
    lists = lists_for(snap)
    back = ServedLists.load(lists.save(tmp_path / "served.pt"))
    assert back.run_id == 1 and back.model_version == "lightgcn@1.0" and back.runs == [1]
    legacy = ServedLists.load(lists_for(snap, "9f" * 16).save(tmp_path / "legacy.pt"))
    assert legacy.run_id == "9f" * 16 and legacy.runs == ["9f" * 16]  # a file of before
    assert list(back.user_ids) == ["a", "b", "c"] and list(back.item_ids) == ["x", "y", "z", "w"]
    np.testing.assert_array_equal(back.items, lists.items)
    np.testing.assert_array_equal(back.scores, lists.scores)
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(FileFormatError, match=r"bad\.pt"):
        ServedLists.load(tmp_path / "bad.pt")


def test_align_follows_ids_into_a_new_export_and_drops_what_was_deleted() -> None:
    lists = lists_for(snapshot([10, 11, 12], [20, 21, 22, 23]))
    # a later export: other order, item 22 deleted, user 13 new, user 11 removed
    later = snapshot([13, 12, 11, 10], [23, 21, 20])
    later.removed["user"] = np.array([False, False, True, False])
    aligned = lists.align(later)
    item = {v: i for i, v in enumerate([23, 21, 20])}
    np.testing.assert_array_equal(aligned.items[3], [item[20], item[21]])  # user 10
    np.testing.assert_array_equal(aligned.items[1], [item[21], -1])  # user 12 lost 22
    assert (aligned.items[0] == -1).all() and aligned.source[0] == -1  # new user 13
    assert (aligned.items[2] == -1).all()  # user 11 removed: its rows went with it
    assert aligned.scores[1][1] == -np.inf
    assert aligned.relationships == 3


def test_unchanged_means_same_items_in_order_and_scores_up_to_rounding() -> None:
    aligned = lists_for(snapshot([0, 1, 2], [0, 1, 2, 3])).align(snapshot([0, 1, 2], [0, 1, 2, 3]))
    same = top([0, 1, 2], [[0, 1], [2, 3], [1, 2]], [[3 * (1 + 1e-7), 2], [5, 4], [1, 0.5]])
    assert aligned.unchanged(same).all()
    swapped = top([0, 1, 2], [[1, 0], [2, 3], [1, 2]], [[3, 2], [5, 4], [1, 0.501]])
    np.testing.assert_array_equal(aligned.unchanged(swapped), [False, True, False])


def test_replace_and_clear_keep_track_of_the_runs_still_serving() -> None:
    aligned = lists_for(snapshot([0, 1, 2], [0, 1, 2, 3])).align(snapshot([0, 1, 2], [0, 1, 2, 3]))
    aligned.replace(top([1], [[0, 3]], [[9, 8]]), 2)
    assert aligned.serving_runs() == [1, 2]
    aligned.clear(np.array([0, 2]))
    assert aligned.serving_runs() == [2] and aligned.relationships == 2


def test_lists_are_trusted_only_when_they_describe_the_current_run() -> None:
    snap = snapshot([0, 1, 2], [0, 1, 2, 3])
    lists = lists_for(snap)
    lines: list[str] = []
    current = {"id": 1, "serves": [1]}
    assert trusted_base(lists, current, snap, 2, lambda runs: 6, lines.append) is not None
    assert trusted_base(lists, current, snap, 3, lambda runs: 6, lines.append) is None
    assert "K is 3" in lines[-1]
    other = {"id": 9, "serves": [9, 1]}
    assert trusted_base(lists, other, snap, 2, lambda runs: 6, lines.append) is None
    assert "current run is 9" in lines[-1]
    legacy = lists_for(snap, "9f" * 16)
    old = {"id": "9f" * 16, "serves": ["9f" * 16]}
    assert trusted_base(legacy, old, snap, 2, lambda runs: 6, lines.append) is None
    assert "predates run numbers" in lines[-1]
    assert trusted_base(lists, current, snap, 2, lambda runs: 5, lines.append) is None
    assert "holds 5 of the current run's relationships, the lists on file 6" in lines[-1]
