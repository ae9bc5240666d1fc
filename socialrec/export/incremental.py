"""Incremental export: bring a snapshot up to date, re-reading only what changed.

Node tables (ids and degrees only) are read afresh and aligned to the old
snapshot's index order (:func:`~socialrec.export.tables.align`): existing nodes
keep their indices, new ones are appended, deleted ones are flagged. Only the
users whose degree changed or who have interactions newer than the watermark,
and the items whose attribute degree changed, get their edges re-read, with the
same de-duplication as a full export.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from socialrec import queries
from socialrec.export.snapshot import (
    FRIENDS,
    HAS,
    INTERACTS,
    ExportReport,
    GraphSnapshot,
    SnapshotMismatchError,
)
from socialrec.export.tables import (
    Changes,
    EdgeList,
    NodeTable,
    add_friendships,
    align,
    build_hetero_data,
    dedupe,
    edge_list_of,
    node_degrees,
    reindex_src,
)
from socialrec.graph.inspection import require_mapping

if TYPE_CHECKING:
    from socialrec.export.exporter import Exporter


def incremental_export(
    exporter: Exporter, previous: GraphSnapshot, since: int | None = None
) -> tuple[GraphSnapshot, Changes]:
    """Bring ``previous`` up to date with the database, re-reading only what changed.

    ``since`` (epoch seconds) overrides the snapshot's watermark: interactions
    newer than it mark their users changed. (default: the watermark)

    Node ids are read afresh (cheap: ids and degrees only). Users that are
    new, whose interaction or friendship degree differs from the snapshot's,
    or who have an interaction newer than the snapshot's watermark get their
    edges re-read; likewise items whose attribute degree changed. Existing
    nodes keep their indices; new nodes are appended; nodes deleted in
    Neo4j keep their index, lose their edges and are flagged in
    ``snapshot.removed``.
    """
    started = time.perf_counter()
    if previous.mapping != exporter.mapping:
        raise SnapshotMismatchError(
            "the snapshot was exported with another mapping; export it in full"
        )
    db = require_mapping(exporter.runner, exporter.mapping)
    report = ExportReport()
    fresh = {r: exporter.node_table(r) for r in ("user", "item", "attribute")}
    aligned = {r: align(previous.ids[r], fresh[r]) for r in fresh}
    users, items, attrs = (aligned[r][0] for r in ("user", "item", "attribute"))
    added = {r: aligned[r][1] for r in aligned}
    gone = {r: aligned[r][2] for r in aligned}

    def changed_by_degree(table: NodeTable, key: str, degree: str) -> np.ndarray:
        old = previous.degrees.get(key, np.empty(0, dtype=np.int64))
        old = np.concatenate([old, np.full(len(table) - len(old), -1, dtype=np.int64)])
        return (table.degrees[degree] != old) & (table.nids >= 0)

    user_changed = (
        changed_by_degree(users, "user.interacted", "interacted")
        | changed_by_degree(users, "user.friends", "friends")
        | added["user"]
    )
    watermark = previous.watermark if since is None else since
    if watermark >= 0:
        query = queries.load("export_changed_users", exporter.mapping)
        row = exporter.runner.read(query, {"since": int(watermark)})[0]
        pos = users.index(np.asarray(row["nids"], dtype=np.int64))
        user_changed[pos[pos >= 0]] = True
    item_changed = changed_by_degree(items, "item.has_attribute", "has_attribute") | added["item"]

    old = previous.data
    drop_u = user_changed | gone["user"]
    drop_i = gone["item"]
    inter_old = edge_list_of(old, INTERACTS, weight=True, time=True)
    keep = ~drop_u[inter_old.src] & ~drop_i[inter_old.dst]
    inter_new = exporter._interactions(users.subset(user_changed), items, report)
    inter_new = reindex_src(inter_new, user_changed)
    # the same de-duplication as a full export (re-read users' edges are all new)
    inter_new = dedupe(inter_new, len(items), report, "duplicate interactions (kept the first)")
    inter = EdgeList.concat([inter_old.select(keep), inter_new])

    friends_old = edge_list_of(old, FRIENDS)
    keep = ~drop_u[friends_old.src] & ~drop_u[friends_old.dst]
    friends_new = reindex_src(
        exporter._edges("export_friendships", users.subset(user_changed), "friends", users, report),
        user_changed,
    )
    # the kept pairs touch no changed user, so they cannot repeat a re-read one
    friends = add_friendships(friends_old.select(keep), friends_new, len(users), report)

    has_old = edge_list_of(old, HAS, weight=True)
    keep = ~(item_changed | gone["item"])[has_old.src] & ~gone["attribute"][has_old.dst]
    has_new = reindex_src(
        exporter._edges(
            "export_item_attributes",
            items.subset(item_changed),
            "has_attribute",
            attrs,
            report,
            with_weight=True,
        ),
        item_changed,
    )
    has_new = dedupe(has_new, len(attrs), report, "duplicate item-attribute links (kept the first)")
    has = EdgeList.concat([has_old.select(keep), has_new])

    assert inter.time is not None
    watermark = max(previous.watermark, int(inter.time.max()) if len(inter.time) else -1)
    report.nodes.update({"user": len(users), "item": len(items), "attribute": len(attrs)})
    report.edges.update(
        {"interacts": len(inter.src), "friends": len(friends.src), "has": len(has.src)}
    )
    snapshot = GraphSnapshot(
        data=build_hetero_data(users, items, attrs, inter, friends, has),
        ids={"user": users.ids, "item": items.ids, "attribute": attrs.ids},
        mapping=exporter.mapping,
        watermark=watermark,
        exported_at=time.time(),
        removed={r: gone[r] for r in gone},
        report=report,
        degrees=node_degrees(users, items),
    )
    exporter._add_features(snapshot, db, users, items, attrs)
    changes = Changes(
        users=np.flatnonzero(user_changed | gone["user"]),
        items=np.flatnonzero(item_changed | gone["item"]),
        new={r: int(added[r].sum()) for r in added},
        removed={r: int(gone[r].sum()) for r in gone},
    )
    report.seconds = time.perf_counter() - started
    return snapshot, changes
