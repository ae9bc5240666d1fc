from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import softmax

from socialrec.models.base import Embeddings, GraphRecommender
from socialrec.models.train_graph import TrainGraph


class SocialAttention(GraphRecommender):
    r"""Attention over a user's friends and items, in the spirit of
    `"Graph Neural Networks for Social Recommendation"
    <https://arxiv.org/abs/1902.07243>`_ (GraphRec) and
    `"DiffNet++" <https://arxiv.org/abs/2002.00844>`_, with the attention of
    `"Graph Attention Networks" <https://arxiv.org/abs/1710.10903>`_.

    Each layer, user :math:`u` aggregates its items and friends
    :math:`j \in \mathcal{N}(u) \cup \mathcal{S}(u)` with learned weights, so
    that influence differs per friend and per item:

    .. math::
        \alpha_{uj} = \mathrm{softmax}_j\left(\mathrm{LeakyReLU}\left(
            \mathbf{a}^\top [\mathbf{W}\mathbf{h}_u \,\Vert\, \mathbf{W}\mathbf{h}_j]
        \right)\right),
        \qquad
        \mathbf{h}_u^{(k+1)} = \sum_{j} \alpha_{uj} \mathbf{W}\mathbf{h}_j^{(k)}

    Items aggregate their users as in LightGCN. Final embeddings are layer
    means. Users without training interactions start from zero (their
    embedding comes from their friends).

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers. (default: ``2``)
        negative_slope (float): LeakyReLU slope. (default: ``0.2``)
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 2,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim)
        self.num_layers = num_layers
        self.negative_slope = negative_slope
        self.lin = torch.nn.ModuleList(
            torch.nn.Linear(embedding_dim, embedding_dim, bias=False) for _ in range(num_layers)
        )
        self.att_dst = torch.nn.ParameterList(
            torch.nn.Parameter(torch.empty(embedding_dim)) for _ in range(num_layers)
        )
        self.att_src = torch.nn.ParameterList(
            torch.nn.Parameter(torch.empty(embedding_dim)) for _ in range(num_layers)
        )
        self._cached: tuple[TrainGraph, Tensor, Tensor] | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for lin, a_dst, a_src in zip(self.lin, self.att_dst, self.att_src, strict=True):
            # Start close to an identity map so early training behaves like LightGCN.
            assert isinstance(lin, torch.nn.Linear)
            torch.nn.init.eye_(lin.weight)
            torch.nn.init.normal_(a_dst, std=0.01)
            torch.nn.init.normal_(a_src, std=0.01)

    def _neighbourhood(self, graph: TrainGraph) -> tuple[Tensor, Tensor]:
        """(user, neighbour) for every item and friend of every user, built once a graph.

        Neighbours index one table of items then users (``[W h_items; W h_users]``),
        so a layer gathers each neighbour's features with a single lookup.
        """
        if self._cached is None or self._cached[0] is not graph:
            ui = graph.item_to_user.matrix.to_sparse_coo().indices().long()
            users = torch.cat([ui[0], graph.friend_index[1]])
            neighbours = torch.cat([ui[1], graph.friend_index[0] + graph.num_items])
            self._cached = (graph, users, neighbours)
        return self._cached[1], self._cached[2]

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        users, neighbours = self._neighbourhood(graph)
        active = (graph.user_degree > 0).to(self.user.weight.dtype).unsqueeze(-1)
        u, i = self.free_embeddings(graph)

        def layer(k: int, u: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
            table = self.lin[k](torch.cat([i, u]))  # [W h_items; W h_users]
            # a^T [W h_u || W h_j] = a_dst^T W h_u + a_src^T W h_j: two scores per
            # node, then one addition per edge (no per-edge dot products).
            dst_score = table[graph.num_items :] @ self.att_dst[k]
            src_score = table @ self.att_src[k]
            logits = dst_score[users] + src_score[neighbours]
            alpha = softmax(F.leaky_relu(logits, self.negative_slope), users, num_nodes=len(u))
            messages = alpha.unsqueeze(-1) * table[neighbours]
            new_u = torch.zeros_like(u).index_add_(0, users, messages)
            return new_u, graph.user_to_item @ u

        return self.mean_over_layers(u * active, i, layer, self.num_layers, noise)
