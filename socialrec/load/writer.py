"""Batched, idempotent writes of users, items, attributes and their relationships.

Each call sends one ``UNWIND`` over parallel id lists (cheaper to encode than a
list of maps) in one transaction. Every query MERGEs, so re-sending a batch (a
re-run after a failure, or loading the same file twice) changes nothing, and a
load that stops half-way leaves whole batches behind, never half a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialrec import queries
from socialrec.graph.indexes import SchemaStep, apply_schema
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping

#: Rows per transaction. Tens of thousands keep Bolt round trips negligible while
#: a transaction's state stays well inside a 1-3 GB heap.
DEFAULT_BATCH_SIZE = 20_000


@dataclass
class LoadReport:
    """What a load did: rows sent per kind, rows skipped and why, DB counters, warnings.

    ``gained`` is what the database holds more after the load (mapped labels and
    types counted before and after, see :meth:`GraphWriter.count`): the honest
    answer to "what did this load add", whatever the rows repeated.
    """

    rows: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    gained: dict[str, int] = field(default_factory=dict)

    def warn(self, line: str) -> None:
        self.warnings.append(line)

    def add_rows(self, kind: str, n: int) -> None:
        self.rows[kind] = self.rows.get(kind, 0) + n

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n

    def add_counters(self, counters: dict[str, int]) -> None:
        for k, v in counters.items():
            self.counters[k] = self.counters.get(k, 0) + v


def _as_list(values: Sequence[Any] | np.ndarray | None) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, np.ndarray):
        return values.tolist()  # plain Python ints/floats/strs for the driver
    return list(values)


class GraphWriter:
    """Writes batches through a :class:`~socialrec.graph.runner.QueryRunner`.

    Args:
        runner (QueryRunner): the database connection.
        mapping (GraphMapping): label/type/property names.
            (default: :class:`GraphMapping()`)
        batch_size (int): rows per transaction. (default: ``20000``)
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.runner = runner
        self.mapping = mapping or GraphMapping()
        self.batch_size = batch_size
        self.report = LoadReport()

    def count(self) -> dict[str, int]:
        """Mapped nodes and relationships in the database now (Neo4j's count store)."""
        m, q = self.mapping, queries.render
        nodes = {"users": "${User}", "items": "${Item}", "attributes": "${Attribute}"}
        rels = {
            "interactions": "${INTERACTED}",
            "friendships": "${FRIENDS_WITH}",
            "attribute links": "${HAS_ATTRIBUTE}",
        }
        out = {}
        for name, label in nodes.items():
            out[name] = self.runner.read(q(f"MATCH (n:{label}) RETURN count(n) AS n", m))[0]["n"]
        for name, rel in rels.items():
            query = q(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n", m)
            out[name] = self.runner.read(query)[0]["n"]
        return out

    def apply_schema(self) -> list[SchemaStep]:
        """Index the id and time properties, reusing what exists (see :mod:`.indexes`)."""
        return apply_schema(self.runner, self.mapping)

    def _send(self, kind: str, query_name: str, params: dict[str, Any], n: int) -> None:
        query = queries.load(query_name, self.mapping)
        self.report.add_counters(self.runner.write(query, params))
        self.report.add_rows(kind, n)

    def _chunks(self, n: int) -> range:
        return range(0, n, self.batch_size)

    def users(self, ids: Sequence[Any] | np.ndarray) -> None:
        for s in self._chunks(len(ids)):
            chunk = _as_list(ids[s : s + self.batch_size]) or []
            self._send("users", "merge_users", {"ids": chunk}, len(chunk))

    def items(self, ids: Sequence[Any] | np.ndarray) -> None:
        for s in self._chunks(len(ids)):
            chunk = _as_list(ids[s : s + self.batch_size]) or []
            self._send("items", "merge_items", {"ids": chunk}, len(chunk))

    def interactions(
        self,
        users: Sequence[Any] | np.ndarray,
        items: Sequence[Any] | np.ndarray,
        weights: Sequence[float | None] | np.ndarray | None = None,
        times: Sequence[int | None] | np.ndarray | None = None,
    ) -> None:
        """Users ``users[k]`` interacted with ``items[k]`` (weight, epoch-second time)."""
        b = self.batch_size
        for s in self._chunks(len(users)):
            params = {
                "users": _as_list(users[s : s + b]),
                "items": _as_list(items[s : s + b]),
                "weights": _as_list(weights[s : s + b]) if weights is not None else None,
                "times": _as_list(times[s : s + b]) if times is not None else None,
            }
            self._send("interactions", "merge_interactions", params, len(params["users"] or []))

    def friendships(self, a: Sequence[Any] | np.ndarray, b: Sequence[Any] | np.ndarray) -> None:
        """Users ``a[k]`` and ``b[k]`` are friends. Self-pairs are skipped and counted."""
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        keep = a_arr != b_arr
        if not keep.all():
            self.report.skip("self-friendship", int((~keep).sum()))
            a_arr, b_arr = a_arr[keep], b_arr[keep]
        n = self.batch_size
        for s in self._chunks(len(a_arr)):
            params = {"a": _as_list(a_arr[s : s + n]), "b": _as_list(b_arr[s : s + n])}
            self._send("friendships", "merge_friendships", params, len(params["a"] or []))

    def names(
        self,
        role: str,
        ids: Sequence[Any] | np.ndarray,
        names: Sequence[str],
        kind: str | None = None,
    ) -> None:
        """Display names of existing ``role`` nodes (``"item"`` or ``"attribute"``)."""
        m = self.mapping
        label, key, prop = m.node_labels[role], m.id_property(role), m.name_property(role)
        query = queries.load("merge_names", m, {"label": label, "key": key, "name": prop})
        b = self.batch_size
        for s in self._chunks(len(ids)):
            part = list(names[s : s + b])
            params = {"ids": _as_list(ids[s : s + b]), "names": part, "kind": kind}
            self.report.add_counters(self.runner.write(query, params))
            self.report.add_rows(f"{role} names", len(part))

    def item_attributes(
        self,
        items: Sequence[Any] | np.ndarray,
        attributes: Sequence[Any] | np.ndarray,
        weights: Sequence[float | None] | np.ndarray | None = None,
        kind: str = "attribute",
    ) -> None:
        """Item ``items[k]`` has attribute ``attributes[k]`` (of the given kind)."""
        b = self.batch_size
        for s in self._chunks(len(items)):
            params = {
                "items": _as_list(items[s : s + b]),
                "attributes": _as_list(attributes[s : s + b]),
                "weights": _as_list(weights[s : s + b]) if weights is not None else None,
                "kind": kind,
            }
            self._send(
                "item_attributes", "merge_item_attributes", params, len(params["items"] or [])
            )
