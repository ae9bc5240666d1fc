from __future__ import annotations

from socialrec.models.base import Embeddings, GraphRecommender
from socialrec.models.train_graph import TrainGraph


class MF(GraphRecommender):
    r"""Matrix factorisation trained with BPR, from the
    `"BPR: Bayesian Personalized Ranking from Implicit Feedback"
    <https://arxiv.org/abs/1205.2618>`_ paper.

    .. math::
        \hat y_{ui} = \mathbf{e}_u^\top \mathbf{e}_i

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int = 64) -> None:
        super().__init__(num_users, num_items, embedding_dim)
        self.reset_parameters()

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        """The free embeddings; MF has no layers, so ``noise`` changes nothing."""
        return Embeddings(*self.free_embeddings(graph))
