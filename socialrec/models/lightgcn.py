from __future__ import annotations

from torch import Tensor

from socialrec.models.base import Embeddings, GraphRecommender
from socialrec.models.propagation import layer_mean
from socialrec.models.train_graph import TrainGraph


class LightGCN(GraphRecommender):
    r"""The LightGCN model from the `"LightGCN: Simplifying and Powering Graph
    Convolution Network for Recommendation" <https://arxiv.org/abs/2002.02126>`_
    paper.

    Parameter-free propagation over the user-item graph, then the mean of the
    layers:

    .. math::
        \mathbf{e}_u^{(k+1)} = \sum_{i \in \mathcal{N}(u)}
        \frac{1}{\sqrt{|\mathcal{N}(u)||\mathcal{N}(i)|}} \mathbf{e}_i^{(k)},
        \qquad
        \mathbf{e}_u = \frac{1}{K+1} \sum_{k=0}^{K} \mathbf{e}_u^{(k)}

    (and symmetrically for items). The normalised adjacency is built once per
    training graph (:class:`~socialrec.models.train_graph.TrainGraph`) and applied as
    two CSR products per layer; nothing is re-normalised per batch. The whole
    propagation is one autograd function whose backward is the same propagation
    (:func:`~socialrec.models.propagation.layer_mean`).

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers :math:`K`. (default: ``3``)
    """

    def __init__(
        self, num_users: int, num_items: int, embedding_dim: int = 64, num_layers: int = 3
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim)
        self.num_layers = num_layers
        self.reset_parameters()

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        u, i = self.free_embeddings(graph)
        if not (noise and self.training):
            return Embeddings(*layer_mean(graph.item_to_user, u, i, self.num_layers))

        # Contrastive training (XSimGCL): noise on every layer, layer 1 kept.
        def layer(k: int, u: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
            return graph.item_to_user @ i, graph.user_to_item @ u

        return self.mean_over_layers(u, i, layer, self.num_layers, noise)
