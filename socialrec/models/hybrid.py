from __future__ import annotations

import torch
from torch import Tensor

from socialrec.models.base import Embeddings
from socialrec.models.social_lgn import SocialLGN
from socialrec.models.train_graph import TrainGraph


class HybridSocialLGN(SocialLGN):
    r"""SocialLGN with attribute-aware item representations, for cold start.

    An item's layer-0 embedding is its free embedding plus the weighted mean of
    its attributes' embeddings (weights :math:`\log(1 + w_{ia})`, normalised):

    .. math::
        \mathbf{e}_i^{(0)} = m_i\,\mathbf{e}_i^{\text{free}}
            + \sum_{a \in \mathcal{A}(i)} \tilde w_{ia}\, \mathbf{e}_a

    where :math:`m_i = 0` for items without training interactions, so a new
    item is scored from its attributes alone, in the same space as the others
    (the attribute embeddings are trained through every item that has them).
    Such an item receives nothing from propagation, so its layer mean would be
    :math:`\mathbf{e}_i^{(0)} / (K+1)`, shrunk against every warm item; it
    keeps :math:`\mathbf{e}_i^{(0)}` instead (a self-loop on isolated items),
    which matters where many held-out interactions are with items that have
    none in training (see ``benchmarks/RESULTS.md``).
    Users with friends but no interactions get embeddings from their friends
    (see :class:`SocialLGN`). Propagation as in :class:`SocialLGN`, in the
    spirit of attribute-aware models such as
    `"KGAT" <https://arxiv.org/abs/1905.07854>`_.

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        num_attributes (int): number of attributes.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers. (default: ``3``)
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        num_attributes: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
    ) -> None:
        self.num_attributes = num_attributes
        super().__init__(num_users, num_items, embedding_dim, num_layers)
        self.attribute = torch.nn.Embedding(max(num_attributes, 1), embedding_dim)
        torch.nn.init.normal_(self.attribute.weight, std=0.1)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if hasattr(self, "attribute"):
            torch.nn.init.normal_(self.attribute.weight, std=0.1)

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        items0 = self.item_layer0(graph)
        out = self.propagate(graph, self.user_layer0(graph), items0, noise)
        isolated = (graph.item_degree == 0).unsqueeze(-1)
        return out._replace(item=torch.where(isolated, items0, out.item))

    def item_layer0(self, graph: TrainGraph) -> Tensor:
        warm = (graph.item_degree > 0).to(self.item.weight.dtype).unsqueeze(-1)
        free = self.free_embeddings(graph)[1] * warm
        if graph.item_attributes is None:
            return free
        attributes = (
            self.attribute.weight
            if graph.attribute_ids is None
            else self.attribute(graph.attribute_ids)
        )
        return free + graph.item_attributes @ attributes
