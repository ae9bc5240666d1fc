"""Neo4j -> :class:`~socialrec.export.snapshot.GraphSnapshot`, fast and in bounded memory.

How an export reads the database:

1. **Node tables.** Users, items and attributes are read page by page in
   internal-id order (keyset pagination: ``WHERE id(n) > $after ... LIMIT``),
   each page one record of parallel lists: internal ids, mapped ids, degrees.
2. **Edges.** Users (for interactions and friendships) and items (for
   attributes) are split into batches of about ``edge_batch`` relationships
   using those degrees, and each batch is one query that seeks its nodes by
   internal id and returns the edges as parallel lists of internal ids.
3. **Decoding.** Lists become numpy arrays at once; internal ids become
   contiguous indices with one ``searchsorted`` against the sorted node table.
   No Python object per record or per edge survives a batch.

Internal ids are used only inside one export, to join edges to nodes cheaply;
what the snapshot keeps are the mapped id property values, so it stays valid
when Neo4j reuses internal ids.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from socialrec import queries
from socialrec.errors import SocialrecError
from socialrec.export.features import FeatureSpec, add_features
from socialrec.export.mapping_checks import warn_unmatched_names
from socialrec.export.snapshot import (
    ExportReport,
    GraphSnapshot,
)
from socialrec.export.tables import (
    Changes,
    EdgeList,
    ExportError,
    NodeTable,
    attribute_key,
    build_hetero_data,
    dedupe,
    float_array,
    int_array,
    node_degrees,
    symmetric,
)
from socialrec.graph.inspection import DatabaseOverview, require_mapping
from socialrec.graph.runner import Neo4jRunner, QueryRunner
from socialrec.ids import as_ids_like
from socialrec.mapping import GraphMapping
from socialrec.pairs import positions
from socialrec.progress import Stage

_NODE_QUERIES = {"user": "export_users", "item": "export_items", "attribute": "export_attributes"}
# For the warning about dangling relationships: (relationship type, far-end label).
_FAR_END = {
    "export_interactions": lambda m: (m.interacted, m.item),
    "export_interaction_pairs": lambda m: (m.interacted, m.item),
    "export_friendships": lambda m: (m.friends, m.user),
    "export_item_attributes": lambda m: (m.has_attribute, m.attribute),
    "export_item_users": lambda m: (m.interacted, m.user),
}
_DEGREES = {"user": ("interacted", "friends"), "item": ("has_attribute",), "attribute": ()}


class Exporter:
    """Reads the mapped subgraph of a Neo4j database into a :class:`GraphSnapshot`.

    Args:
        runner (QueryRunner): the database connection.
        mapping (GraphMapping): label, type and property names.
            (default: :class:`GraphMapping()`)
        page_size (int): nodes per page of the node tables. (default: ``200000``)
        edge_batch (int): relationships per edge query, about. (default: ``500000``)
        progress (bool): show progress bars on a terminal. (default: ``True``)
        workers (int): edge queries in flight at once. (default: ``2``)
        edge_properties (bool): read interaction weights and times; without
            them (``NaN`` / ``-1``) the export is about twice as fast.
            (default: ``True``)
        features (FeatureSpec, optional): node features to add (numeric
            properties, FastRP). (default: none)
        gds (GraphDataScience, optional): client for FastRP; made from the
            runner's driver when needed.
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping | None = None,
        page_size: int = 200_000,
        edge_batch: int = 500_000,
        progress: bool = True,
        workers: int = 2,
        edge_properties: bool = True,
        features: FeatureSpec | None = None,
        gds: Any = None,
    ) -> None:
        self.runner = runner
        self.mapping = mapping or GraphMapping()
        self.page_size = page_size
        self.edge_batch = edge_batch
        self.progress = progress
        self.workers = workers
        self.edge_properties = edge_properties
        self.features = features or FeatureSpec()
        self._gds = gds

    # ------------------------------------------------------------------ public

    def full(self) -> GraphSnapshot:
        """Export every user, item, attribute and the relationships among them."""
        started = time.perf_counter()
        db = require_mapping(self.runner, self.mapping)
        report = ExportReport()
        users, items, attrs = (self.node_table(r, report) for r in ("user", "item", "attribute"))
        if len(users) == 0 or len(items) == 0:
            raise ExportError(
                f"nothing to export: {len(users)} :{self.mapping.user} and "
                f"{len(items)} :{self.mapping.item} nodes"
            )
        snapshot = self._assemble(users, items, attrs, report)
        if snapshot.report.edges.get("interacts", 0) == 0:
            raise ExportError(f"no :{self.mapping.interacted} relationships to export")
        self._add_features(snapshot, db, users, items, attrs)
        warn_unmatched_names(snapshot, db, weights_read=self.edge_properties)
        snapshot.report.seconds = time.perf_counter() - started
        return snapshot

    def subgraph(
        self,
        users: Sequence[Any] | None = None,
        hops: int = 1,
        user_where: str | None = None,
        item_where: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> GraphSnapshot:
        """Export part of the graph.

        Either the ``hops``-hop neighbourhood of the given user ids (hops over
        interactions and friendships: one hop from a user reaches its items and
        friends, the next the other users of those items...), or the users
        matching ``user_where`` and the items matching ``item_where``: Cypher
        predicates over the node variable ``n``, e.g. ``"n.country = $c"`` with
        ``params={"c": "DE"}``. They run as Cypher with your database
        privileges; values belong in ``params``. Without ``item_where``, the
        items are those the selected users interacted with.

        The result is the induced subgraph: the selected users and items, the
        edges among them, and the attributes of the selected items.
        """
        started = time.perf_counter()
        db = require_mapping(self.runner, self.mapping)
        report = ExportReport()
        all_users = self.node_table("user", report)
        all_items = self.node_table("item", report)
        if users is not None:
            if hops < 0:
                raise ExportError(f"hops must be >= 0, not {hops}")
            user_mask, item_mask = self._neighbourhood(all_users, all_items, users, hops)
        elif user_where or item_where:
            user_mask = self._where(all_users, user_where, params)
            if item_where:
                item_mask = self._where(all_items, item_where, params)
            else:
                picked = all_users.subset(user_mask)
                edges = self._edges("export_interaction_pairs", picked, "interacted", all_items)
                item_mask = np.zeros(len(all_items), dtype=bool)
                item_mask[edges.dst] = True
        else:
            raise ExportError("give users (with hops), or user_where / item_where")
        users_t, items_t = all_users.subset(user_mask), all_items.subset(item_mask)
        if len(users_t) == 0:
            raise ExportError("the subgraph selection matched no users")
        attrs = self.node_table("attribute", report)
        snapshot = self._assemble(users_t, items_t, attrs, report, subgraph=True)
        kept_attrs = attrs.subset(np.isin(attrs.ids, snapshot.ids["attribute"]))
        self._add_features(snapshot, db, users_t, items_t, kept_attrs)
        snapshot.report.seconds = time.perf_counter() - started
        return snapshot

    def incremental(
        self, previous: GraphSnapshot, since: int | None = None
    ) -> tuple[GraphSnapshot, Changes]:
        """Bring ``previous`` up to date (see :mod:`socialrec.export.incremental`)."""
        from socialrec.export.incremental import incremental_export

        return incremental_export(self, previous, since)

    def _add_features(
        self,
        snapshot: GraphSnapshot,
        db: DatabaseOverview,
        users: NodeTable,
        items: NodeTable,
        attrs: NodeTable,
    ) -> None:
        tables = {"user": users, "item": items, "attribute": attrs}
        add_features(snapshot, self.runner, self.features, db, tables, self._gds_client)

    def _gds_client(self) -> Any:
        if self._gds is None:
            if not isinstance(self.runner, Neo4jRunner):
                raise SocialrecError("FastRP needs a Neo4jRunner or an explicit gds client")
            from graphdatascience import GraphDataScience

            self._gds = GraphDataScience(self.runner.driver, database=self.runner.settings.database)
        return self._gds

    # ------------------------------------------------------------------ nodes

    def node_table(self, role: str, report: ExportReport | None = None) -> NodeTable:
        """Every node of a role, read page by page (keyset pagination on internal id)."""
        query = queries.load(_NODE_QUERIES[role], self.mapping)
        degree_names = _DEGREES[role]
        nid_parts: list[np.ndarray] = []
        id_parts: list[list[Any]] = []
        degree_parts: dict[str, list[np.ndarray]] = {d: [] for d in degree_names}
        after = -1
        while True:
            row = self.runner.read(query, {"after": after, "limit": self.page_size})[0]
            if not row["nids"]:
                break
            nid_parts.append(np.asarray(row["nids"], dtype=np.int64))
            id_parts.append(row["ids"])
            for d in degree_names:
                degree_parts[d].append(np.asarray(row[d], dtype=np.int64))
            after = int(nid_parts[-1][-1])
            if len(row["nids"]) < self.page_size:
                break
        nids = np.concatenate(nid_parts) if nid_parts else np.empty(0, dtype=np.int64)
        if role == "attribute":
            values = [attribute_key(v, kind) for part in id_parts for (v, kind) in part]
        else:
            values = [v for part in id_parts for (v,) in part]
        degrees = {
            d: np.concatenate(p) if p else np.empty(0, dtype=np.int64)
            for d, p in degree_parts.items()
        }
        # Nodes without the id property cannot be named in results: they are left
        # out (with their relationships) and counted, never a reason to fail.
        has_id = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
        if not has_id.all():
            label, prop = self.mapping.node_labels[role], self.mapping.id_property(role)
            missing = int((~has_id).sum())
            if report is not None:
                report.warn(f":{label} nodes without {prop!r} (left out)", missing)
            nids = nids[has_id]
            values = [v for v, keep in zip(values, has_id, strict=True) if keep]
            degrees = {d: v[has_id] for d, v in degrees.items()}
        ids = self._check_ids(role, values)
        if report is not None:
            report.nodes[role] = len(nids)
        return NodeTable(role, nids, ids, degrees)

    def _check_ids(self, role: str, values: list[Any]) -> np.ndarray:
        label = self.mapping.node_labels[role]
        prop = self.mapping.id_property(role)
        kinds = {type(v) for v in values}
        if kinds <= {int}:
            ids = np.asarray(values, dtype=np.int64)
        elif kinds <= {str}:
            ids = np.asarray(values, dtype=object)
        else:
            names = sorted(k.__name__ for k in kinds)
            raise ExportError(
                f":{label}.{prop} mixes value types {names}; ids must be all "
                "integers or all strings"
            )
        if len(ids):
            unique, counts = np.unique(ids, return_counts=True)
            if (counts > 1).any():
                dup = unique[counts > 1]
                raise ExportError(
                    f"{len(dup)} {prop!r} values are shared by several :{label} nodes, e.g. "
                    f"{dup[:5].tolist()}; fix them, then `socialrec schema` creates the "
                    "uniqueness constraint"
                )
        return ids

    def _where(
        self, table: NodeTable, predicate: str | None, params: Mapping[str, Any] | None
    ) -> np.ndarray:
        if not predicate:
            return np.ones(len(table), dtype=bool)
        label = queries.render(
            "${" + ("User" if table.role == "user" else "Item") + "}", self.mapping
        )
        # The predicate is the caller's own Cypher; names from the mapping are quoted.
        query = f"MATCH (n:{label}) WHERE {predicate} RETURN collect(id(n)) AS nids"
        row = self.runner.read(query, dict(params or {}))[0]
        mask = np.zeros(len(table), dtype=bool)
        pos = table.index(np.asarray(row["nids"], dtype=np.int64))
        mask[pos[pos >= 0]] = True
        return mask

    def _neighbourhood(
        self, users: NodeTable, items: NodeTable, seeds: Sequence[Any], hops: int
    ) -> tuple[np.ndarray, np.ndarray]:
        # ids typed on a command line ("17") become integers where the graph's are
        seed_values = as_ids_like(users.ids, seeds, f":{self.mapping.user} id")
        found = positions(users.ids, seed_values)
        unknown = seed_values[found < 0]
        if len(unknown):
            raise ExportError(f"unknown :{self.mapping.user} ids: {unknown[:10].tolist()}")
        user_mask = np.zeros(len(users), dtype=bool)
        item_mask = np.zeros(len(items), dtype=bool)
        user_mask[found] = True
        frontier_users, frontier_items = user_mask.copy(), item_mask.copy()
        for _ in range(hops):
            next_users = np.zeros_like(user_mask)
            next_items = np.zeros_like(item_mask)
            if frontier_users.any():
                picked = users.subset(frontier_users)
                inter = self._edges("export_interaction_pairs", picked, "interacted", items)
                next_items[inter.dst] = True
                friends = self._edges("export_friendships", picked, "friends", users)
                next_users[friends.dst] = True
            if frontier_items.any():
                # Items have no INTERACTED in-degree column: batch by count instead.
                picked = items.subset(frontier_items)
                back = self._edges("export_item_users", picked, None, users)
                next_users[back.dst] = True
            frontier_users = next_users & ~user_mask
            frontier_items = next_items & ~item_mask
            user_mask |= next_users
            item_mask |= next_items
        return user_mask, item_mask

    # ------------------------------------------------------------------ edges

    def _batches(self, table: NodeTable, degree: str | None) -> Iterator[np.ndarray]:
        """Internal ids of ``table`` split so that each batch has about ``edge_batch`` edges."""
        # Without a degree column (items -> users), assume 10 edges a node.
        deg = table.degrees[degree] if degree else np.full(len(table), 10, dtype=np.int64)
        has = deg > 0
        nids, deg = table.nids[has], deg[has]
        if len(nids) == 0:
            return
        cuts = np.searchsorted(
            np.cumsum(deg), np.arange(self.edge_batch, deg.sum(), self.edge_batch)
        )
        yield from (b for b in np.split(nids, np.unique(cuts + 1)) if len(b))

    def _fetch(self, query: str, batches: Iterator[np.ndarray]) -> Iterator[dict[str, Any]]:
        """Run ``query`` for each batch, ``workers`` at a time, yielding rows in order.

        Neo4j Community runs each query on one core; two queries in flight keep
        the server busy while this process decodes the previous answer. At most
        ``workers + 1`` answers are held at once, so memory stays bounded.
        """
        if self.workers <= 1:
            for batch in batches:
                yield self.runner.read(query, {"nids": batch.tolist()})[0]
            return
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            pending: deque[Future[list[dict[str, Any]]]] = deque()
            for batch in batches:
                pending.append(pool.submit(self.runner.read, query, {"nids": batch.tolist()}))
                if len(pending) > self.workers:
                    yield pending.popleft().result()[0]
            while pending:
                yield pending.popleft().result()[0]

    def _interactions(
        self, users: NodeTable, items: NodeTable, report: ExportReport | None
    ) -> EdgeList:
        """Interactions of ``users`` with weight and time (``NaN`` / ``-1`` when not read)."""
        if self.edge_properties:
            return self._edges(
                "export_interactions",
                users,
                "interacted",
                items,
                report,
                with_weight=True,
                with_time=True,
            )
        pairs = self._edges("export_interaction_pairs", users, "interacted", items, report)
        return EdgeList(
            pairs.src,
            pairs.dst,
            np.full(len(pairs.src), np.nan),
            np.full(len(pairs.src), -1, dtype=np.int64),
        )

    def _edges(
        self,
        query_name: str,
        sources: NodeTable,
        degree: str | None,
        targets: NodeTable,
        report: ExportReport | None = None,
        with_weight: bool = False,
        with_time: bool = False,
    ) -> EdgeList:
        """Edges from ``sources`` (batched by degree) to nodes of ``targets``.

        Edges whose target is not in ``targets`` are dropped: in a subgraph
        that is the point. The queries do not check the far end's label (that
        would cost a random access per edge), so in a full export a dropped
        edge is a dangling one, counted in ``report`` when one is given.
        """
        query = queries.load(query_name, self.mapping)
        parts: list[EdgeList] = []
        total = int(sources.degrees[degree].sum()) if degree else None
        dangling = 0
        desc = "export " + query_name.removeprefix("export_")
        with Stage(desc, total, unit="rels", enabled=self.progress) as bar:
            for row in self._fetch(query, self._batches(sources, degree)):
                src = sources.index(np.asarray(row["src"], dtype=np.int64))
                dst = targets.index(np.asarray(row["dst"], dtype=np.int64))
                weight = float_array(row, "weight", self.mapping.weight) if with_weight else None
                when = int_array(row, "time", self.mapping.timestamp) if with_time else None
                keep = (src >= 0) & (dst >= 0)
                parts.append(EdgeList(src, dst, weight, when).select(keep))
                dangling += int((~keep).sum())
                bar.update(len(src))
        if report is not None:
            rel, label = _FAR_END[query_name](self.mapping)
            report.warn(f"{rel} relationships not ending at a :{label} (skipped)", dangling)
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return EdgeList(
                empty,
                empty,
                np.empty(0, dtype=np.float32) if with_weight else None,
                empty if with_time else None,
            )
        return EdgeList.concat(parts)

    # ------------------------------------------------------------------ assembly

    def _assemble(
        self,
        users: NodeTable,
        items: NodeTable,
        attrs: NodeTable,
        report: ExportReport,
        subgraph: bool = False,
    ) -> GraphSnapshot:
        """Read the edges among the given nodes and build the snapshot.

        In a full export an edge to a node outside the tables is a counted
        warning (e.g. an INTERACTED to a node without the item label); in a
        subgraph, leaving such edges out is the point.
        """
        m = self.mapping
        outside = None if subgraph else report
        inter = self._interactions(users, items, outside)
        inter = dedupe(inter, len(items), report, "duplicate interactions (kept the first)")
        friends = self._edges("export_friendships", users, "friends", users, outside)
        friends = symmetric(friends, len(users), report)
        has = self._edges(
            "export_item_attributes", items, "has_attribute", attrs, outside, with_weight=True
        )
        has = dedupe(has, len(attrs), report, "duplicate item-attribute links (kept the first)")
        if subgraph:  # keep only the attributes of the selected items
            used = np.zeros(len(attrs), dtype=bool)
            used[has.dst] = True
            remap = np.cumsum(used) - 1
            attrs = attrs.subset(used)
            has = EdgeList(has.src, remap[has.dst], has.weight, has.time)
        report.nodes.update({"user": len(users), "item": len(items), "attribute": len(attrs)})
        report.edges.update(
            {"interacts": len(inter.src), "friends": len(friends.src), "has": len(has.src)}
        )
        watermark = int(inter.time.max()) if inter.time is not None and len(inter.time) else -1
        if watermark < 0 and m.timestamp:
            report.warn(
                "interactions without a timestamp (incremental export by degree only)",
                0 if inter.time is None else int((inter.time < 0).sum()),
            )
        data = build_hetero_data(users, items, attrs, inter, friends, has)
        return GraphSnapshot(
            data=data,
            ids={"user": users.ids, "item": items.ids, "attribute": attrs.ids},
            mapping=m,
            watermark=watermark,
            exported_at=time.time(),
            report=report,
            degrees=node_degrees(users, items),
        )


__all__ = ["Changes", "EdgeList", "ExportError", "Exporter", "NodeTable"]
