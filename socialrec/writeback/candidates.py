"""Which items a run may recommend, and the popular list it stores.

``candidate_mask`` turns the writeback's filters (a Cypher predicate on items,
attributes as ``kind:id``) into a boolean mask over the snapshot's items;
``popular_items`` is what ``popular_fallback.cypher`` serves to users with
neither history nor friends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from socialrec import queries
from socialrec.export.snapshot import HAS, INTERACTS, GraphSnapshot
from socialrec.graph.runner import QueryRunner
from socialrec.writeback.runs import WritebackError

#: How many most-popular items each run stores for popular_fallback.cypher.
POPULAR_ITEMS = 100


def popular_items(snapshot: GraphSnapshot, n: int = POPULAR_ITEMS) -> list[Any]:
    """The ``n`` items with the most interactions (deleted items left out)."""
    counts = np.bincount(
        snapshot.data[INTERACTS].edge_index[1].numpy(), minlength=snapshot.num_nodes("item")
    ).astype(np.int64)
    removed = snapshot.removed.get("item")
    if removed is not None:
        counts[removed] = -1
    top = np.argsort(-counts, kind="stable")[:n]
    top = top[counts[top] > 0]
    return snapshot.ids["item"][top].tolist()


def candidate_mask(
    snapshot: GraphSnapshot,
    runner: QueryRunner | None = None,
    exclude_where: str | None = None,
    params: dict[str, Any] | None = None,
    attributes: Sequence[Any] = (),
) -> np.ndarray | None:
    """Items allowed as recommendations, or ``None`` for all.

    Args:
        exclude_where (str, optional): Cypher predicate on items ``n``; matching
            items are never recommended (e.g. ``"n.discontinued = true"``).
        attributes (sequence): attribute ids; only items with at least one of
            them are recommended.
    """
    if not exclude_where and not attributes:
        return None
    mask = np.ones(snapshot.num_nodes("item"), dtype=bool)
    if exclude_where:
        if runner is None:
            raise WritebackError("exclude_where needs a database connection")
        label = queries.render("${Item}", snapshot.mapping)
        key = queries.render("${item_id}", snapshot.mapping)
        # The predicate is the caller's own Cypher; values travel as $params.
        rows = runner.read(
            f"MATCH (n:{label}) WHERE {exclude_where} RETURN collect(n.{key}) AS ids",
            params or {},
        )
        idx = snapshot.index_of("item", rows[0]["ids"]) if rows[0]["ids"] else np.empty(0, int)
        mask[idx[idx >= 0]] = False
    if attributes:
        attr_idx = resolve_attributes(snapshot, attributes)
        has = snapshot.data[HAS].edge_index.numpy()
        with_attr = np.zeros(snapshot.num_nodes("item"), dtype=bool)
        with_attr[has[0][np.isin(has[1], attr_idx)]] = True
        mask &= with_attr
    return mask


def resolve_attributes(snapshot: GraphSnapshot, wanted: Sequence[Any]) -> np.ndarray:
    """Indices of attributes given as ``"kind:id"`` or, where that is unambiguous, ``id``."""
    keys = snapshot.ids["attribute"]
    out = []
    for value in wanted:
        text = str(value)
        exact = np.flatnonzero(keys == text)
        hits = exact if len(exact) else np.flatnonzero([k.endswith(f":{text}") for k in keys])
        if len(hits) == 0:
            raise WritebackError(f"unknown attribute {text!r} (not in the snapshot)")
        if len(hits) > 1:
            names = ", ".join(str(keys[h]) for h in hits[:5])
            raise WritebackError(f"attribute {text!r} is ambiguous ({names}); give kind:id")
        out.append(int(hits[0]))
    return np.asarray(out, dtype=np.int64)
