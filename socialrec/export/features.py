"""Node features for an export: numeric node properties and GDS FastRP embeddings.

Property names travel as query *parameters* (``n[p]`` with ``p`` from ``$props``),
so no property name from a user ever becomes Cypher text. FastRP runs inside
Neo4j through the ``graphdatascience`` client: project the mapped graph,
stream the embeddings, drop the in-memory graph (also when something fails).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from socialrec.errors import SocialrecError
from socialrec.export.snapshot import ExportReport, GraphSnapshot
from socialrec.graph.inspection import DatabaseOverview
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping, validate_identifier


@dataclass(frozen=True)
class FeatureSpec:
    """Which node features an export computes.

    Args:
        properties (dict): node type -> numeric property names, e.g.
            ``{"user": ("age",), "item": ("year", "price")}``; stored as
            ``data[type].x`` (float32, missing values filled with the column
            mean and counted). (default: none)
        fastrp_dim (int): FastRP embedding size, ``0`` for none; stored as
            ``data[type].fastrp``. (default: ``0``)
        fastrp_seed (int): FastRP random seed. (default: ``42``)
    """

    properties: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fastrp_dim: int = 0
    fastrp_seed: int = 42

    def __post_init__(self) -> None:
        for role, names in self.properties.items():
            if role not in ("user", "item", "attribute"):
                raise SocialrecError(f"features: unknown node type {role!r}")
            for name in names:
                validate_identifier(name, f"features.{role}")
        if self.fastrp_dim < 0:
            raise SocialrecError("features: fastrp_dim must be >= 0")

    @property
    def empty(self) -> bool:
        return not any(self.properties.values()) and self.fastrp_dim == 0


_PROPERTY_QUERY = (
    "UNWIND $nids AS nid MATCH (n) WHERE id(n) = nid RETURN collect([p IN $props | n[p]]) AS values"
)


def property_features(
    runner: QueryRunner,
    label: str,
    nids: np.ndarray,
    props: tuple[str, ...],
    report: ExportReport,
    batch: int = 100_000,
) -> np.ndarray:
    """``[len(nids), len(props)]`` float32 matrix of the nodes' numeric properties."""
    out = np.full((len(nids), len(props)), np.nan, dtype=np.float64)
    present = np.flatnonzero(nids >= 0)
    for start in range(0, len(present), batch):
        rows = present[start : start + batch]
        values = runner.read(_PROPERTY_QUERY, {"nids": nids[rows].tolist(), "props": list(props)})
        for j, prop in enumerate(props):
            column = [v[j] for v in values[0]["values"]]
            bad = next(
                (
                    v
                    for v in column
                    if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
                ),
                None,
            )
            if bad is not None:
                raise SocialrecError(
                    f":{label}.{prop} holds a non-numeric value ({bad!r}); "
                    "only numeric properties can be features"
                )
            out[rows, j] = [math.nan if v is None else float(v) for v in column]
    for j, prop in enumerate(props):
        missing = np.isnan(out[:, j])
        if missing.any():
            report.warn(f":{label}.{prop} missing (filled with the mean)", int(missing.sum()))
            mean = float(np.nanmean(out[:, j])) if (~missing).any() else 0.0
            out[missing, j] = mean
    return out.astype(np.float32)


def fastrp_embeddings(
    gds: Any,
    mapping: GraphMapping,
    node_labels: list[str],
    relationship_types: list[str],
    tables: Mapping[str, tuple[np.ndarray, Any]],
    dim: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """FastRP over the mapped graph (relationships undirected), per node type.

    ``tables`` maps node type -> (internal ids in snapshot order, a callable
    that turns internal ids into snapshot indices, ``-1`` where absent).
    """
    name = f"socialrec-export-{uuid.uuid4().hex[:12]}"
    projection = gds.graph.project.native(
        name,
        node_labels,
        {t: {"orientation": "UNDIRECTED"} for t in relationship_types},
        log_progress=False,
    )
    graph = projection.graph
    try:
        frame = gds.fast_rp.stream(
            graph, embedding_dimension=dim, random_seed=seed, log_progress=False
        )
    finally:
        gds.graph.drop(graph)
    node_ids = frame["nodeId"].to_numpy(dtype=np.int64)
    vectors = np.asarray(frame["embedding"].tolist(), dtype=np.float32).reshape(-1, dim)
    out: dict[str, np.ndarray] = {}
    for role, (nids, index_of) in tables.items():
        emb = np.zeros((len(nids), dim), dtype=np.float32)
        pos = index_of(node_ids)
        emb[pos[pos >= 0]] = vectors[pos >= 0]
        out[role] = emb
    return out


def add_features(
    snapshot: GraphSnapshot,
    runner: QueryRunner,
    spec: FeatureSpec,
    db: DatabaseOverview,
    tables: dict[str, Any],
    gds_client: Callable[[], Any],
) -> None:
    """Put the numeric properties (``x``) and FastRP embeddings (``fastrp``) on ``snapshot``.

    ``tables`` are the export's node tables by role (internal ids and their
    index); ``gds_client`` makes the graphdatascience client when FastRP needs it.
    """
    if spec.empty:
        return
    mapping = snapshot.mapping
    for role, props in spec.properties.items():
        if props:
            label = mapping.node_labels[role]
            snapshot.data[role].x = torch.from_numpy(
                property_features(runner, label, tables[role].nids, props, snapshot.report)
            )
    if spec.fastrp_dim:
        labels = [name for name in mapping.node_labels.values() if db.labels.get(name)]
        types = [
            name for name in mapping.relationship_types.values() if db.relationship_types.get(name)
        ]
        embeddings = fastrp_embeddings(
            gds_client(),
            mapping,
            labels,
            types,
            {role: (t.nids, t.index) for role, t in tables.items()},
            spec.fastrp_dim,
            spec.fastrp_seed,
        )
        for role, emb in embeddings.items():
            snapshot.data[role].fastrp = torch.from_numpy(emb)
