"""The exporter's numpy parts, without a server: de-duplication and incremental alignment."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec.export.snapshot import ExportReport
from socialrec.export.tables import (
    EdgeList,
    ExportError,
    NodeTable,
    add_friendships,
    align,
    attribute_key,
    dedupe,
    symmetric,
)


def test_friendships_stored_both_ways_become_one_pair_each_direction_once() -> None:
    report = ExportReport()
    # (0,1) stored both ways and twice more, (1,2) once, a self-loop on 3
    edges = EdgeList(np.array([0, 1, 0, 1, 2, 3]), np.array([1, 0, 1, 0, 1, 3]))
    out = symmetric(edges, 4, report)
    assert sorted(zip(out.src.tolist(), out.dst.tolist(), strict=True)) == [
        (0, 1), (1, 0), (1, 2), (2, 1)
    ]  # fmt: skip
    assert report.warnings == {"self-friendship rows (dropped)": 1}


def test_friendships_added_to_kept_ones_equal_symmetric_of_all_in_its_order() -> None:
    rng = np.random.default_rng(3)
    n = 50
    stored = EdgeList(rng.integers(0, n, 400), rng.integers(0, n, 400))
    changed = np.zeros(n, dtype=bool)
    changed[rng.choice(n, 6, replace=False)] = True
    whole = symmetric(stored, n, ExportReport())
    # what the incremental export holds: pairs of unchanged users, and the changed
    # users' friendships as re-read (one direction, duplicates, a self-loop)
    kept = whole.select(~changed[whole.src] & ~changed[whole.dst])
    touch = changed[stored.src] | changed[stored.dst]
    reread = EdgeList.concat(
        [stored.select(touch), stored.select(touch), EdgeList(np.array([7]), np.array([7]))]
    )
    report = ExportReport()
    out = add_friendships(kept, reread, n, report)
    np.testing.assert_array_equal(out.src, whole.src)
    np.testing.assert_array_equal(out.dst, whole.dst)
    loops = int((reread.src == reread.dst).sum())
    assert loops >= 1 and report.warnings == {"self-friendship rows (dropped)": loops}
    # kept pairs in another order: still the same friendships
    shuffled = kept.select(rng.permutation(len(kept.src)))
    again = add_friendships(shuffled, reread, n, ExportReport())
    np.testing.assert_array_equal(again.src * n + again.dst, whole.src * n + whole.dst)


def test_dedupe_keeps_the_first_and_counts_the_rest() -> None:
    report = ExportReport()
    edges = EdgeList(np.array([0, 0, 1, 0]), np.array([2, 2, 2, 3]), np.array([1.0, 9.0, 1, 1]))
    out = dedupe(edges, 4, report, "duplicates")
    assert list(zip(out.src.tolist(), out.dst.tolist(), strict=True)) == [(0, 2), (1, 2), (0, 3)]
    assert out.weight is not None and out.weight.tolist() == [1.0, 1.0, 1.0]
    assert report.warnings == {"duplicates": 1}


def test_dedupe_without_duplicates_returns_the_edges_as_they_came() -> None:
    report = ExportReport()
    edges = EdgeList(np.array([1, 0, 0]), np.array([2, 3, 2]), np.array([1.0, 2.0, 3.0]))
    assert dedupe(edges, 4, report, "duplicates") is edges and report.warnings == {}


@pytest.mark.parametrize("spread", [1, 10**9])  # a dense lookup array; too sparse for one
def test_node_table_index_finds_each_id_and_marks_absent_ones(spread: int) -> None:
    rng = np.random.default_rng(0)
    nids = rng.choice(5000, 1000, replace=False).astype(np.int64) * spread + 7
    table = NodeTable("user", nids, np.arange(len(nids)))  # unsorted, as an incremental one
    asked = np.concatenate([nids[::-1], [0, 6, 8 * spread + 7, int(nids.max()) + 1, -5]])
    got = table.index(asked)
    np.testing.assert_array_equal(got[: len(nids)], np.arange(len(nids))[::-1])
    expected = [-1 if x not in set(nids.tolist()) else -2 for x in asked[len(nids) :]]
    assert [g if g == -1 else -2 for g in got[len(nids) :].tolist()] == expected
    assert (table.index(np.empty(0, dtype=np.int64)) == -1).all()
    empty = NodeTable("user", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    assert empty.index(np.array([1, 2])).tolist() == [-1, -1]


def test_align_keeps_old_indices_appends_new_and_flags_removed() -> None:
    old = np.array(["a", "b", "c"], dtype=object)
    fresh = NodeTable("user", np.array([10, 12, 13]), np.array(["c", "d", "a"], dtype=object),
                      {"friends": np.array([1, 2, 3])})  # fmt: skip
    table, added, removed = align(old, fresh)
    assert table.ids.tolist() == ["a", "b", "c", "d"]
    assert table.nids.tolist() == [13, -1, 10, 12]
    assert table.degrees["friends"].tolist() == [3, 0, 1, 2]
    assert added.tolist() == [False, False, False, True]
    assert removed.tolist() == [False, True, False, False]
    with pytest.raises(ExportError, match="changed type"):
        align(np.array([1, 2]), fresh)


def test_attribute_keys_carry_their_kind() -> None:
    assert attribute_key(5, "city") == "city:5" and attribute_key(5, "category") == "category:5"
    assert attribute_key("rock", None) == "rock" and attribute_key(None, "tag") is None
