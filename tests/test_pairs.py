"""Pair keys and sorted lookups (socialrec/pairs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec.pairs import lookup_sorted, pair_keys, positions, sorted_unique


def test_pair_keys_do_not_overflow_int32_inputs() -> None:
    rows = np.array([70_000], dtype=np.int32)
    cols = np.array([5], dtype=np.int32)
    keys = pair_keys(rows, cols, 70_000)
    assert keys.dtype == np.int64
    assert int(keys[0]) == 70_000 * 70_000 + 5


def test_lookup_sorted_finds_members_and_their_positions() -> None:
    known = np.sort(pair_keys(np.array([0, 1, 2]), np.array([3, 0, 1]), 4))
    asked = pair_keys(np.array([[1, 2], [0, 0]]), np.array([[0, 2], [3, 1]]), 4)
    pos, found = lookup_sorted(known, asked)
    assert found.tolist() == [[True, False], [True, False]]
    assert known[pos[found]].tolist() == asked[found].tolist()


def test_lookup_sorted_on_nothing_finds_nothing() -> None:
    pos, found = lookup_sorted(np.empty(0, dtype=np.int64), np.array([1, 2, 3]))
    assert not found.any()
    assert pos.shape == (3,)


def test_positions_in_unsorted_haystack_and_absent_needles() -> None:
    haystack = np.array(["b", "c", "a"], dtype=object)
    assert positions(haystack, np.array(["a", "z", "b"], dtype=object)).tolist() == [2, -1, 0]
    assert positions(np.array([], dtype=np.int64), np.array([1])).tolist() == [-1]


@pytest.mark.parametrize("n", [0, 1, 2, 1000])
def test_sorted_unique_equals_np_unique(n: int) -> None:
    keys = np.random.default_rng(n).integers(-(10**12), 10**12, n) // 10**9  # repeats
    np.testing.assert_array_equal(sorted_unique(keys), np.unique(keys))
