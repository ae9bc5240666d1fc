"""The training graph: the fixed sparse operators a model propagates over.

Built once from a snapshot and a set of *training* interactions (validation and
test interactions never enter propagation), then moved to the training device.
Neighbour-sampled training builds one per mini-batch from the sampled subgraph
(:mod:`socialrec.train.sampled`); its nodes then carry their global indices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from socialrec.export.snapshot import FRIENDS, HAS, GraphSnapshot
from socialrec.models.propagation import (
    SparseOperator,
    bipartite_operators,
    degree,
    square_operator,
)


@dataclass
class TrainGraph:
    """Operators and degrees of one training graph.

    Attributes:
        item_to_user / user_to_item: LightGCN's normalised bipartite halves.
        friends: symmetric-normalised friendship operator (``None`` without friends).
        friend_index: ``[2, F]`` friendship edges, both directions (for attention).
        item_attributes: row-normalised item -> attribute operator (``None`` without).
        user_degree / item_degree: training interactions per user / item.
        user_friends: friends per user.
        user_ids / item_ids / attribute_ids: for a sampled subgraph, the global
            index of each local node (``None``: the graph is the whole graph).
    """

    num_users: int
    num_items: int
    num_attributes: int
    item_to_user: SparseOperator
    user_to_item: SparseOperator
    friends: SparseOperator | None
    friend_index: Tensor
    item_attributes: SparseOperator | None
    user_degree: Tensor
    item_degree: Tensor
    user_friends: Tensor
    user_ids: Tensor | None = None
    item_ids: Tensor | None = None
    attribute_ids: Tensor | None = None

    @classmethod
    def build(cls, snapshot: GraphSnapshot, train: np.ndarray) -> TrainGraph:
        """``train`` is a ``[2, E]`` array of (user, item) training interactions."""
        return cls.from_data(snapshot.data, train)

    @classmethod
    def from_data(cls, data: HeteroData, train: np.ndarray) -> TrainGraph:
        """Operators of ``data``'s friendships and item attributes and of the
        ``train`` (user, item) interactions (``[2, E]``, indices into ``data``)."""
        n_u, n_i = data["user"].num_nodes, data["item"].num_nodes
        n_a = data["attribute"].num_nodes
        users = torch.from_numpy(np.ascontiguousarray(train[0])).long()
        items = torch.from_numpy(np.ascontiguousarray(train[1])).long()
        to_user, to_item = bipartite_operators(users, items, n_u, n_i)
        friend_index = data[FRIENDS].edge_index if FRIENDS in data.edge_types else None
        if friend_index is None or friend_index.numel() == 0:
            friend_index = torch.empty(2, 0, dtype=torch.long)
        friends = (
            square_operator(friend_index[0], friend_index[1], n_u) if friend_index.numel() else None
        )
        item_attributes = None
        if HAS in data.edge_types and data[HAS].edge_index.numel() and n_a:
            ia = data[HAS].edge_index
            w = data[HAS].edge_weight.clone()
            w = torch.where(torch.isfinite(w) & (w > 0), w, torch.ones_like(w))
            w = torch.log1p(w)  # dampen "tagged by 500 users" against "by 1"
            row_sum = torch.zeros(n_i).index_add_(0, ia[0], w)
            item_attributes = SparseOperator.from_edges(
                ia[0], ia[1], w / row_sum[ia[0]], (n_i, n_a)
            )
        return cls(
            num_users=n_u,
            num_items=n_i,
            num_attributes=n_a,
            item_to_user=to_user,
            user_to_item=to_item,
            friends=friends,
            friend_index=friend_index,
            item_attributes=item_attributes,
            user_degree=degree(users, n_u),
            item_degree=degree(items, n_i),
            user_friends=degree(friend_index[0], n_u),
        )

    def to(self, device: torch.device | str) -> TrainGraph:
        return replace(
            self,
            item_to_user=self.item_to_user.to(device),
            user_to_item=self.user_to_item.to(device),
            friends=self.friends.to(device) if self.friends else None,
            friend_index=self.friend_index.to(device),
            item_attributes=self.item_attributes.to(device) if self.item_attributes else None,
            user_degree=self.user_degree.to(device),
            item_degree=self.item_degree.to(device),
            user_friends=self.user_friends.to(device),
            user_ids=None if self.user_ids is None else self.user_ids.to(device),
            item_ids=None if self.item_ids is None else self.item_ids.to(device),
            attribute_ids=None if self.attribute_ids is None else self.attribute_ids.to(device),
        )
