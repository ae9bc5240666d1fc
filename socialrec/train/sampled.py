"""Neighbour-sampled mini-batch training, for graphs whose full propagation does not fit.

Full-graph training (the default) propagates every node at every step. With
``TrainConfig.fanout > 0`` the trainer instead draws, for each batch of training
interactions, their ``num_layers``-hop neighbourhood with PyG's
:class:`~torch_geometric.loader.LinkNeighborLoader` (at most ``fanout``
neighbours per relation and hop) and one uniform negative item per positive
(PyG's "triplet" negative sampling), builds that subgraph's operators with
:meth:`~socialrec.models.TrainGraph.from_data` (normalised by the *sampled*
degrees, as in GraphSAGE-style mini-batching) and runs the same model on it.
A step's memory is bounded by ``batch_size * fanout ** num_layers`` nodes
rather than by the graph; validation and the final embeddings still come from
one full-graph forward pass without gradients, which needs far less memory
than training.

The sampler is native code from ``pyg-lib`` (or ``torch-sparse``): an optional
extra. Without it :func:`require_sampler` says how to install it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from socialrec.errors import ConfigError
from socialrec.export.snapshot import FRIENDS, HAS, INTERACTS, REV_HAS, REV_INTERACTS
from socialrec.models import TrainGraph


def sampler_available() -> bool:
    """Whether PyG has a neighbour-sampling backend (pyg-lib or torch-sparse)."""
    import torch_geometric.typing as pyg_typing

    return bool(pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE)


def install_hint() -> str:
    version = torch.__version__.split("+")[0]
    major_minor = ".".join(version.split(".")[:2])
    variant = f"cu{torch.version.cuda.replace('.', '')}" if torch.version.cuda else "cpu"
    return (
        "neighbour-sampled training (fanout > 0) needs PyG's sampler, from pyg-lib or "
        "torch-sparse, and neither is installed. Install pyg-lib for your torch "
        f"({version}, {variant}) from PyG's wheel index: pip install pyg-lib -f "
        f"https://data.pyg.org/whl/torch-{major_minor}.0+{variant}.html "
        "(or `pip install 'socialrec[sampling]'` where your package index has pyg-lib; "
        "torch-sparse also builds from source: pip install --no-build-isolation "
        "torch-sparse). Without it, train with fanout 0: full-graph training needs no extra."
    )


def require_sampler() -> None:
    if not sampler_available():
        raise ConfigError(install_hint())


def training_data(graph: TrainGraph) -> HeteroData:
    """The training graph as the ``HeteroData`` the loader samples from, every
    relation in both directions (messages flow both ways in every model)."""
    data = HeteroData()
    data["user"].num_nodes = graph.num_users
    data["item"].num_nodes = graph.num_items
    data["attribute"].num_nodes = graph.num_attributes
    pairs = graph.item_to_user.matrix.to_sparse_coo().indices().long()  # (user, item)
    data[INTERACTS].edge_index = pairs
    data[REV_INTERACTS].edge_index = pairs.flip(0)
    if graph.friend_index.numel():
        data[FRIENDS].edge_index = graph.friend_index
    if graph.item_attributes is not None:
        coo = graph.item_attributes.matrix.to_sparse_coo()
        has = coo.indices().long()
        data[HAS].edge_index, data[HAS].edge_weight = has, coo.values()
        data[REV_HAS].edge_index, data[REV_HAS].edge_weight = has.flip(0), coo.values()
    return data


def link_loader(
    graph: TrainGraph,
    train: np.ndarray,
    fanout: int,
    num_layers: int,
    batch_size: int,
) -> Iterable[HeteroData]:
    """A shuffling :class:`~torch_geometric.loader.LinkNeighborLoader` over the
    ``train`` (user, item) interactions, with one negative item per positive."""
    require_sampler()
    from torch_geometric.loader import LinkNeighborLoader
    from torch_geometric.sampler import NegativeSampling

    data = training_data(graph)
    return LinkNeighborLoader(
        data,
        num_neighbors={edge_type: [fanout] * num_layers for edge_type in data.edge_types},
        edge_label_index=(INTERACTS, torch.from_numpy(np.ascontiguousarray(train)).long()),
        neg_sampling=NegativeSampling("triplet"),
        batch_size=batch_size,
        shuffle=True,
    )


def batch_graph(batch: HeteroData) -> tuple[TrainGraph, Tensor, Tensor, Tensor]:
    """A sampled batch as ``(subgraph, users, positives, negatives)``; the
    three index tensors are local to the subgraph, whose ``*_ids`` map its
    nodes back to the full graph."""
    sub = HeteroData()
    for node_type in ("user", "item", "attribute"):
        sub[node_type].num_nodes = (
            batch[node_type].num_nodes if node_type in batch.node_types else 0
        )
    # A sampled (user, item) edge may arrive in either direction, or both.
    parts = [batch[INTERACTS].edge_index]
    if REV_INTERACTS in batch.edge_types:
        parts.append(batch[REV_INTERACTS].edge_index.flip(0))
    pairs = torch.cat(parts, dim=1)
    interactions = pairs[:, _first_of_each_pair(pairs, sub["item"].num_nodes)]
    if FRIENDS in batch.edge_types and batch[FRIENDS].edge_index.numel():
        f = batch[FRIENDS].edge_index
        f = torch.cat([f, f.flip(0)], dim=1)
        sub[FRIENDS].edge_index = f[:, _first_of_each_pair(f, sub["user"].num_nodes)]
    attribute_ids = None
    has_parts = [
        (batch[et].edge_index if et == HAS else batch[et].edge_index.flip(0), batch[et].edge_weight)
        for et in (HAS, REV_HAS)
        if et in batch.edge_types and batch[et].edge_index.numel()
    ]
    if has_parts:
        edges = torch.cat([e for e, _ in has_parts], dim=1)
        weights = torch.cat([w for _, w in has_parts])
        first = _first_of_each_pair(edges, sub["attribute"].num_nodes)
        sub[HAS].edge_index, sub[HAS].edge_weight = edges[:, first], weights[first]
        attribute_ids = batch["attribute"].n_id
    graph = TrainGraph.from_data(sub, interactions.numpy())
    graph.user_ids = batch["user"].n_id
    graph.item_ids = batch["item"].n_id
    graph.attribute_ids = attribute_ids
    return (
        graph,
        batch["user"].src_index,
        batch["item"].dst_pos_index,
        batch["item"].dst_neg_index.view(-1),
    )


def _first_of_each_pair(edges: Tensor, num_cols: int) -> Tensor:
    """Column indices of ``edges`` keeping one of each (row, col) pair, in pair order."""
    keys = (edges[0] * max(num_cols, 1) + edges[1]).numpy()
    return torch.from_numpy(np.unique(keys, return_index=True)[1])
