"""The exporter's pure numpy parts: node tables, edge lists, and the HeteroData they make.

Nothing here talks to Neo4j, so all of it is unit-tested without a server:
tables of nodes with their internal ids, mapped ids and degrees; edge lists as
index arrays; de-duplication (a friendship stored both ways is one pair, each
direction once); the alignment an incremental export uses to keep indices
stable; and :func:`build_hetero_data`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData

from socialrec.errors import SocialrecError
from socialrec.export.snapshot import (
    FRIENDS,
    HAS,
    INTERACTS,
    REV_HAS,
    REV_INTERACTS,
    ExportReport,
)
from socialrec.pairs import positions, sorted_unique

#: Entries a node table's id lookup may always have (16 MiB of int32), whatever its size.
LOOKUP_SPAN = 1 << 22


class ExportError(SocialrecError):
    """The graph cannot be exported as it is (missing or duplicate ids, no data...)."""


@dataclass
class NodeTable:
    """One label's nodes: sorted internal ids, mapped ids and degrees, index-aligned."""

    role: str
    nids: np.ndarray
    ids: np.ndarray
    degrees: dict[str, np.ndarray] = field(default_factory=dict)
    _lookup: tuple[int, np.ndarray] | np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.nids)

    def index(self, nids: np.ndarray) -> np.ndarray:
        """Positions of internal ids in this table; ``-1`` where absent.

        Runs for every edge batch, twice, so it is the export's hottest client
        code. Internal ids are dense in Neo4j's record format, so a lookup
        array over their span answers each id with one load: about 100x
        ``searchsorted`` with a sorter on 500 k ids into 1 M (0.0035 s
        against 0.36 s a batch; "Export, client and server CPU" in
        benchmarks/RESULTS.md). Spans too sparse for that (at most
        ``LOOKUP_SPAN`` entries, or 8 per node) fall back to the binary search.
        """
        if self._lookup is None:  # built once a table
            self._lookup = self._build_lookup()
        nids = np.asarray(nids, dtype=np.int64)
        if isinstance(self._lookup, tuple):
            base, table = self._lookup
            offset = nids - base
            inside = (offset >= 0) & (offset < len(table))
            return np.where(inside, table[np.where(inside, offset, 0)], -1).astype(np.int64)
        return positions(self.nids, nids, self._lookup)

    def _build_lookup(self) -> tuple[int, np.ndarray] | np.ndarray:
        """``(smallest id, position by id - smallest)``, or a sorter for ``positions``."""
        if len(self.nids) == 0:
            return np.empty(0, dtype=np.int64)
        base = int(self.nids.min())
        span = int(self.nids.max()) - base + 1
        if span <= max(LOOKUP_SPAN, 8 * len(self.nids)) and len(self.nids) < 2**31:
            table = np.full(span, -1, dtype=np.int32)
            table[self.nids - base] = np.arange(len(self.nids), dtype=np.int32)
            return base, table
        # Tables read from Neo4j are sorted by internal id; an incremental export
        # builds tables in snapshot order, hence the general sorter.
        sorted_already = bool(np.all(self.nids[1:] > self.nids[:-1]))
        return np.arange(len(self.nids)) if sorted_already else np.argsort(self.nids)

    def subset(self, mask: np.ndarray) -> NodeTable:
        return NodeTable(
            self.role,
            self.nids[mask],
            self.ids[mask],
            {k: v[mask] for k, v in self.degrees.items()},
        )


@dataclass(frozen=True)
class EdgeList:
    """Edges as index arrays (into the source and target node tables)."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray | None = None
    time: np.ndarray | None = None

    def select(self, mask: np.ndarray) -> EdgeList:
        return EdgeList(
            self.src[mask],
            self.dst[mask],
            None if self.weight is None else self.weight[mask],
            None if self.time is None else self.time[mask],
        )

    @staticmethod
    def concat(parts: Sequence[EdgeList]) -> EdgeList:
        def cat(name: str) -> np.ndarray | None:
            arrays = [getattr(p, name) for p in parts]
            if any(a is None for a in arrays):
                return None
            return np.concatenate(arrays) if arrays else np.empty(0)

        src, dst = cat("src"), cat("dst")
        assert src is not None and dst is not None
        return EdgeList(src.astype(np.int64), dst.astype(np.int64), cat("weight"), cat("time"))


def attribute_key(value: Any, kind: Any) -> str | None:
    """An attribute's id in a snapshot: ``"kind:id"``, or the id as text without a kind.

    Attributes are identified by (kind, id) everywhere (a city 5 is not the
    category 5), so their snapshot ids are always strings.
    """
    if value is None:
        return None
    return str(value) if kind is None else f"{kind}:{value}"


@dataclass(frozen=True)
class Changes:
    """What an incremental export found changed (indices into the new snapshot).

    ``users`` are the users whose neighbourhood changed (new, removed, or with
    added/removed interactions or friendships): the ones to re-score.
    """

    users: np.ndarray
    items: np.ndarray
    new: dict[str, int]
    removed: dict[str, int]


def node_degrees(users: NodeTable, items: NodeTable) -> dict[str, np.ndarray]:
    return {
        "user.interacted": users.degrees["interacted"],
        "user.friends": users.degrees["friends"],
        "item.has_attribute": items.degrees["has_attribute"],
    }


def align(old_ids: np.ndarray, fresh: NodeTable) -> tuple[NodeTable, np.ndarray, np.ndarray]:
    """Lay ``fresh`` out in the snapshot's index order, new nodes appended.

    Returns the aligned table (internal id ``-1`` and degree 0 for nodes no
    longer in Neo4j), the mask of appended nodes and the mask of removed ones.
    """
    n_old = len(old_ids)
    if len(fresh.ids) and n_old and fresh.ids.dtype != old_ids.dtype:
        raise ExportError(
            f"{fresh.role} ids changed type since the snapshot ({old_ids.dtype} -> "
            f"{fresh.ids.dtype}); export in full"
        )
    match = positions(fresh.ids, old_ids)  # each old node's row in the fresh table, or -1
    taken = np.zeros(len(fresh), dtype=bool)
    taken[match[match >= 0]] = True
    newcomers = np.flatnonzero(~taken)
    rows = np.concatenate([match, newcomers]).astype(np.int64)

    def pick(values: np.ndarray, missing: Any) -> np.ndarray:
        out = np.empty(len(rows), dtype=values.dtype)
        out[rows >= 0] = values[rows[rows >= 0]]
        out[rows < 0] = missing
        return out

    ids = np.concatenate([old_ids, fresh.ids[newcomers]]).astype(
        old_ids.dtype if n_old else fresh.ids.dtype
    )
    table = NodeTable(
        fresh.role,
        pick(fresh.nids, -1),
        ids,
        {k: pick(v, 0) for k, v in fresh.degrees.items()},
    )
    added = np.zeros(len(rows), dtype=bool)
    added[n_old:] = True
    # A node deleted earlier and created again with the same id is simply present.
    return table, added, rows < 0


def edge_list_of(
    data: HeteroData, edge_type: tuple[str, str, str], weight: bool = False, time: bool = False
) -> EdgeList:
    store = data[edge_type]
    ei = store.edge_index.numpy()
    return EdgeList(
        ei[0].astype(np.int64),
        ei[1].astype(np.int64),
        store.edge_weight.numpy().astype(np.float64) if weight else None,
        store.edge_time.numpy().astype(np.int64) if time else None,
    )


def reindex_src(edges: EdgeList, subset_mask: np.ndarray) -> EdgeList:
    """Edges read for ``table.subset(mask)`` carry sources indexed into the subset;
    map them back to the full table."""
    full = np.flatnonzero(subset_mask)
    return EdgeList(full[edges.src], edges.dst, edges.weight, edges.time)


def build_hetero_data(
    users: NodeTable,
    items: NodeTable,
    attrs: NodeTable,
    inter: EdgeList,
    friends: EdgeList,
    has: EdgeList,
) -> HeteroData:
    """Assemble the ``HeteroData`` (with reverse edge types for message passing)."""
    data = HeteroData()
    data["user"].num_nodes = len(users)
    data["item"].num_nodes = len(items)
    data["attribute"].num_nodes = len(attrs)
    ui = torch.from_numpy(np.stack([inter.src, inter.dst]).astype(np.int64))
    data[INTERACTS].edge_index = ui
    assert inter.weight is not None and inter.time is not None
    data[INTERACTS].edge_weight = torch.from_numpy(inter.weight.astype(np.float32))
    data[INTERACTS].edge_time = torch.from_numpy(inter.time.astype(np.int64))
    data[REV_INTERACTS].edge_index = ui.flip(0)
    data[FRIENDS].edge_index = torch.from_numpy(
        np.stack([friends.src, friends.dst]).astype(np.int64)
    )
    ia = torch.from_numpy(np.stack([has.src, has.dst]).astype(np.int64))
    data[HAS].edge_index = ia
    assert has.weight is not None
    data[HAS].edge_weight = torch.from_numpy(has.weight.astype(np.float32))
    data[REV_HAS].edge_index = ia.flip(0)
    return data


def dedupe(edges: EdgeList, n_dst: int, report: ExportReport, what: str) -> EdgeList:
    key = edges.src * max(n_dst, 1) + edges.dst
    ordered = np.sort(key)
    if not (ordered[1:] == ordered[:-1]).any():
        # the usual case, found by a plain sort: 0.11 s against np.unique's
        # stable sort with first positions, 0.89 s, for 10 M interactions
        return edges
    _, first = np.unique(key, return_index=True)
    report.warn(what, len(key) - len(first))
    first.sort()  # keep the export order (by source), stable for tests
    return edges.select(first) if len(first) != len(key) else edges


def symmetric(edges: EdgeList, n: int, report: ExportReport) -> EdgeList:
    """Both directions of every friendship, once each, without self-loops."""
    loops = edges.src == edges.dst
    report.warn("self-friendship rows (dropped)", int(loops.sum()))
    src, dst = edges.src[~loops], edges.dst[~loops]
    both = sorted_unique(np.concatenate([src * n + dst, dst * n + src]))
    return EdgeList(both // n, both % n)


def add_friendships(kept: EdgeList, new: EdgeList, n: int, report: ExportReport) -> EdgeList:
    """``kept`` (a :func:`symmetric` result, or a part of one) with ``new`` friendships added.

    The incremental export's case: ``kept`` holds the friendships of unchanged
    users, ``new`` those re-read for changed ones, so the two share no pair and
    only ``new`` needs de-duplicating; the result is in :func:`symmetric`'s
    order without sorting the millions of kept pairs again.
    """
    old = kept.src * n + kept.dst
    if len(old) > 1 and not (old[1:] > old[:-1]).all():  # not in that order: the long way
        return symmetric(EdgeList.concat([kept, new]), n, report)
    added = symmetric(new, n, report)
    keys = added.src * n + added.dst
    both = np.insert(old, np.searchsorted(old, keys), keys)
    return EdgeList(both // n, both % n)


def float_array(row: Mapping[str, Any], key: str, prop: str) -> np.ndarray:
    """A record's list of relationship property values as float64, named when it is not."""
    try:
        return np.asarray(row[key], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ExportError(f"relationship property {prop!r} holds non-numeric values") from e


def int_array(row: Mapping[str, Any], key: str, prop: str) -> np.ndarray:
    """A record's list of relationship property values as int64 (epoch seconds)."""
    try:
        return np.asarray(row[key], dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as e:
        raise ExportError(
            f"relationship property {prop!r} must hold epoch seconds (integers)"
        ) from e
