"""A graph exported from Neo4j: a PyG ``HeteroData`` plus the id maps back to Neo4j.

Node types are ``user``, ``item`` and ``attribute``; node ``k`` of a type is the
Neo4j node whose mapped id property is ``ids[type][k]``. Edge types:

* ``(user, interacts, item)`` with ``edge_weight`` and ``edge_time`` (``NaN`` /
  ``-1`` where the property is missing) and its reverse ``(item, rev_interacts, user)``;
* ``(user, friends, user)``: symmetric (both directions), no self-loops or duplicates;
* ``(item, has, attribute)`` with ``edge_weight``, and ``(attribute, rev_has, item)``.

Indices never change once given: an incremental export appends new nodes and
marks deleted ones in ``removed`` instead of renumbering, so scores computed for
an older snapshot still land on the right nodes.

A snapshot saves to one file that :func:`torch.load` opens with
``weights_only=True`` (tensors, lists and strings only: no pickled code), so a
snapshot can be moved to a GPU box and trained there without Neo4j. The file
format (kind, version, content digest) is :mod:`socialrec.fileformat`'s.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData

from socialrec.fileformat import FileFormatError, load_payload, save_payload
from socialrec.ids import canonical_ids, ids_from_plain, ids_to_plain
from socialrec.mapping import GraphMapping
from socialrec.pairs import positions

KIND = "socialrec-snapshot"
FORMAT_VERSION = 2

NODE_TYPES = ("user", "item", "attribute")
INTERACTS = ("user", "interacts", "item")
REV_INTERACTS = ("item", "rev_interacts", "user")
FRIENDS = ("user", "friends", "user")
HAS = ("item", "has", "attribute")
REV_HAS = ("attribute", "rev_has", "item")


class SnapshotMismatchError(FileFormatError):
    """A saved snapshot is missing, damaged, or was made with another mapping or format."""


@dataclass
class ExportReport:
    """Counts of what an export read, and the warnings it counted instead of failing."""

    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def warn(self, what: str, n: int) -> None:
        if n:
            self.warnings[what] = self.warnings.get(what, 0) + int(n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": dict(self.nodes),
            "edges": dict(self.edges),
            "warnings": dict(self.warnings),
            "seconds": self.seconds,
        }


@dataclass
class GraphSnapshot:
    """The exported graph and everything needed to map results back to Neo4j.

    Args:
        data (HeteroData): the graph, see the module docstring for its types.
        ids (dict): node type -> array of the mapped id property values, in
            index order (``int64`` array, or ``object`` array of strings).
        mapping (GraphMapping): the mapping used to read the database.
        watermark (int): largest interaction timestamp seen (epoch seconds),
            the starting point of the next incremental export; ``-1`` if none.
        exported_at (float): when the export finished (epoch seconds).
        removed (dict): node type -> boolean mask of nodes deleted from Neo4j
            since they got their index (only incremental exports set these).
        report (ExportReport): counts and warnings.
        degrees (dict): Neo4j's degree of each node at export time, by
            ``"<type>.<relationship>"`` (e.g. ``"user.interacted"``): an
            incremental export re-reads the nodes whose degree changed.
    """

    data: HeteroData
    ids: dict[str, np.ndarray]
    mapping: GraphMapping
    watermark: int = -1
    exported_at: float = 0.0
    removed: dict[str, np.ndarray] = field(default_factory=dict)
    report: ExportReport = field(default_factory=ExportReport)
    degrees: dict[str, np.ndarray] = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------------

    def num_nodes(self, node_type: str) -> int:
        return len(self.ids[node_type])

    def __post_init__(self) -> None:
        self.ids = {nt: canonical_ids(v) for nt, v in self.ids.items()}

    def index_of(self, node_type: str, values: Any) -> np.ndarray:
        """Indices of the given Neo4j id values; ``-1`` for unknown ids.

        Values of the other kind than the snapshot's ids (a string where ids
        are integers) are simply unknown.
        """
        ids = self.ids[node_type]
        if isinstance(values, np.ndarray) and values.dtype.kind in "iu" and ids.dtype.kind in "iu":
            return positions(ids, values.astype(np.int64, copy=False))  # the fast path
        values = list(values.tolist() if isinstance(values, np.ndarray) else values)
        if ids.dtype.kind in "iu":
            whole = [isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values]
            ok = np.array(whole, dtype=bool)
            wanted = canonical_ids([int(v) if o else 0 for v, o in zip(values, ok, strict=True)])
        else:
            ok = np.array([isinstance(v, str) for v in values], dtype=bool)
            wanted = canonical_ids([v if o else "" for v, o in zip(values, ok, strict=True)])
        found = positions(ids, wanted) if len(wanted) else np.empty(0, dtype=np.int64)
        found[~ok] = -1
        return found

    @property
    def schema_hash(self) -> str:
        """Hash of the mapping, node/edge types and feature names: what a model depends on."""
        desc = {
            "mapping": self.mapping.fingerprint(),
            "node_types": sorted(self.data.node_types),
            "edge_types": sorted("/".join(t) for t in self.data.edge_types),
            "features": {
                nt: sorted(k for k in self.data[nt].keys() if k != "num_nodes")  # noqa: SIM118
                for nt in sorted(self.data.node_types)
            },
        }
        return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16]

    # -- persistence -----------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the snapshot to ``path`` (one file, safe to load with ``weights_only``)."""
        payload = {
            "mapping": self.mapping.to_dict(),
            "schema_hash": self.schema_hash,
            "watermark": int(self.watermark),
            "exported_at": float(self.exported_at),
            "data": _data_to_plain(self.data),
            "ids": {nt: ids_to_plain(v) for nt, v in self.ids.items()},
            "removed": {nt: torch.from_numpy(m.astype(np.bool_)) for nt, m in self.removed.items()},
            "report": json.dumps(self.report.to_dict()),
            "degrees": {k: torch.from_numpy(v.astype(np.int64)) for k, v in self.degrees.items()},
        }
        return save_payload(path, KIND, FORMAT_VERSION, payload)

    @classmethod
    def load(cls, path: str | Path, mapping: GraphMapping | None = None) -> GraphSnapshot:
        """Read a snapshot; refuse it if it was made with a different ``mapping``."""
        path = Path(path)
        try:
            payload = load_payload(path, KIND, FORMAT_VERSION)
        except SnapshotMismatchError:
            raise
        except FileFormatError as e:
            raise SnapshotMismatchError(str(e)) from e
        saved_mapping = GraphMapping.from_dict(payload["mapping"], source=str(path))
        if mapping is not None and saved_mapping != mapping:
            raise SnapshotMismatchError(
                f"{path}: exported with mapping {saved_mapping.to_dict()}, "
                f"but the current mapping is {mapping.to_dict()}"
            )
        report = ExportReport(**json.loads(payload["report"]))
        snapshot = cls(
            data=_data_from_plain(payload["data"]),
            ids={nt: ids_from_plain(v) for nt, v in payload["ids"].items()},
            mapping=saved_mapping,
            watermark=payload["watermark"],
            exported_at=payload["exported_at"],
            removed={nt: m.numpy() for nt, m in payload["removed"].items()},
            report=report,
            degrees={k: v.numpy() for k, v in payload["degrees"].items()},
        )
        if snapshot.schema_hash != payload["schema_hash"]:
            raise SnapshotMismatchError(f"{path}: schema hash does not match its content")
        snapshot.check_edges(str(path))
        return snapshot

    def check_edges(self, where: str = "snapshot") -> None:
        """Every edge index names a node of its type (no training on garbage)."""
        for edge_type in self.data.edge_types:
            src, _, dst = edge_type
            index = self.data[edge_type].edge_index
            if index.dim() != 2 or index.shape[0] != 2:
                raise SnapshotMismatchError(
                    f"{where}: edge_index of {'/'.join(edge_type)} has shape "
                    f"{tuple(index.shape)}, not [2, E]; export again"
                )
            for row, node_type in ((0, src), (1, dst)):
                if index.shape[1] and (
                    int(index[row].min()) < 0 or int(index[row].max()) >= self.num_nodes(node_type)
                ):
                    raise SnapshotMismatchError(
                        f"{where}: edge_index of {'/'.join(edge_type)} points outside the "
                        f"{self.num_nodes(node_type):,} {node_type} nodes; export again"
                    )


def _data_to_plain(data: HeteroData) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for store in data.node_stores + data.edge_stores:
        key = "/".join(store._key) if isinstance(store._key, tuple) else store._key
        out[key] = {k: v for k, v in store.items()}
    return out


def _data_from_plain(plain: dict[str, dict[str, Any]]) -> HeteroData:
    data = HeteroData()
    for key, attrs in plain.items():
        store = data[tuple(key.split("/"))] if "/" in key else data[key]
        for k, v in attrs.items():
            store[k] = v
    return data
