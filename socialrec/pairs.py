"""Membership of (row, column) pairs and of ids, by sorted keys and ``searchsorted``.

Every "is this (user, item) already known?" question in socialrec (negative
sampling, hits in evaluation, fresh interactions in a sync, which friend
interacted with a recommended item) is one ``int64`` key per pair,
``row * num_cols + col``, looked up in a sorted array. Written once here so the
empty-array edge case and the ``int64`` widening (``int32`` keys overflow past
46 k x 46 k) are handled in one place.
"""

from __future__ import annotations

import numpy as np


def pair_keys(rows: np.ndarray, cols: np.ndarray, num_cols: int) -> np.ndarray:
    """One ``int64`` key per pair: ``rows * num_cols + cols`` (any broadcastable shapes)."""
    return np.asarray(rows).astype(np.int64) * int(num_cols) + np.asarray(cols)


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique(keys)`` for 1-d integer keys, by one sort.

    numpy 2.3+ finds unique values of an unsorted array by hashing, then sorts
    them: 3.65 s for 4 M ``int64`` pair keys on the 2-core benchmark machine,
    against 0.044 s for a sort and a neighbour comparison (measured with numpy
    2.4.6; "Export, client and server CPU" in benchmarks/RESULTS.md).
    """
    ordered = np.sort(np.asarray(keys))
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def lookup_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` stands in ``sorted_keys``, and whether it is there.

    Returns ``(position, found)`` of ``keys``' shape; ``position`` is only
    meaningful where ``found`` (it is clipped into range so it can index a
    parallel array such as weights).
    """
    keys = np.asarray(keys)
    if len(sorted_keys) == 0:
        return np.zeros(keys.shape, dtype=np.int64), np.zeros(keys.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return pos, sorted_keys[pos] == keys


def positions(
    haystack: np.ndarray, needles: np.ndarray, order: np.ndarray | None = None
) -> np.ndarray:
    """Index of each needle in ``haystack`` (any order), ``-1`` where absent.

    ``order`` is ``np.argsort(haystack)`` when the caller already has it.
    """
    if len(haystack) == 0:
        return np.full(len(needles), -1, dtype=np.int64)
    if order is None:
        order = np.argsort(haystack, kind="stable")
    pos = np.minimum(np.searchsorted(haystack, needles, sorter=order), len(haystack) - 1)
    found = order[pos]
    return np.where(haystack[found] == needles, found, -1)
