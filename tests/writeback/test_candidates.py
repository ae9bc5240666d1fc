"""Which items a run may recommend (socialrec/writeback/candidates.py)."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec.export.snapshot import GraphSnapshot
from socialrec.writeback.candidates import candidate_mask, popular_items, resolve_attributes
from socialrec.writeback.runs import WritebackError
from tests.fakes import RecordingRunner
from tests.helpers import snapshot_from_arrays

# 3 users, 4 items: item 2 has 3 interactions, item 0 two, item 3 one, item 1 none.
INTER = np.array([[0, 1, 2, 0, 1, 2], [2, 2, 2, 0, 0, 3]])
# attributes 0 and 1 (ids "a:0", "a:1" after the snapshot's kind:id keys)
HAS = np.array([[0, 1, 3], [0, 1, 1]])


def snap() -> GraphSnapshot:
    s = snapshot_from_arrays(3, 4, 2, INTER, np.empty((2, 0), dtype=int), HAS)
    s.ids["attribute"] = np.array(["genre:rock", "genre:pop"], dtype=object)
    return s


def test_popular_items_by_count_without_deleted_or_unseen_items() -> None:
    s = snap()
    assert popular_items(s) == [2, 0, 3]  # item 1 was never interacted with
    assert popular_items(s, n=2) == [2, 0]
    s.removed["item"] = np.array([False, False, True, False])  # item 2 deleted
    assert popular_items(s) == [0, 3]


def test_no_filter_means_every_item() -> None:
    assert candidate_mask(snap()) is None


def test_attribute_filter_keeps_items_with_any_of_them() -> None:
    mask = candidate_mask(snap(), attributes=["pop"])
    assert mask is not None and mask.tolist() == [False, True, False, True]
    mask = candidate_mask(snap(), attributes=["genre:rock", "pop"])
    assert mask is not None and mask.tolist() == [True, True, False, True]


def test_attributes_that_are_unknown_or_ambiguous_are_named() -> None:
    s = snap()
    with pytest.raises(WritebackError, match="unknown attribute 'jazz'"):
        resolve_attributes(s, ["jazz"])
    s.ids["attribute"] = np.array(["genre:pop", "mood:pop"], dtype=object)
    with pytest.raises(WritebackError, match=r"'pop' is ambiguous.*give kind:id"):
        resolve_attributes(s, ["pop"])
    assert resolve_attributes(s, ["mood:pop"]).tolist() == [1]


def test_exclude_where_asks_the_database_with_params_only() -> None:
    db = RecordingRunner(answer=lambda q, p: [{"ids": [0, 3, 99]}])  # 99: not in the snapshot
    mask = candidate_mask(snap(), db, "n.discontinued = $flag", {"flag": True})
    assert mask is not None and mask.tolist() == [False, True, True, False]
    ((query, params),) = db.reads
    assert "WHERE n.discontinued = $flag" in query and params == {"flag": True}
    assert "MATCH (n:`Item`)" in query
    with pytest.raises(WritebackError, match="needs a database connection"):
        candidate_mask(snap(), None, "n.discontinued")
