"""What every trainable recommender in socialrec provides."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from socialrec.models.graph import TrainGraph


class GraphRecommender(torch.nn.Module):
    """Base class: free user and item embeddings; ``forward(graph)`` returns the
    final user and item embeddings.

    Scores are inner products, so that full ranking is one matrix product and
    the stored embeddings serve Neo4j's vector index directly.

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size.
    """

    def __init__(self, num_users: int, num_items: int, embedding_dim: int) -> None:
        super().__init__()
        self.user = torch.nn.Embedding(num_users, embedding_dim)
        self.item = torch.nn.Embedding(num_items, embedding_dim)

    def reset_parameters(self) -> None:
        torch.nn.init.normal_(self.user.weight, std=0.1)
        torch.nn.init.normal_(self.item.weight, std=0.1)

    def forward(self, graph: TrainGraph) -> tuple[Tensor, Tensor]:  # pragma: no cover
        raise NotImplementedError

    def initial_embeddings(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """The free (layer-0) parameters behind a batch, for L2 regularisation."""
        return [self.user(users), self.item(items)]

    def bpr_loss(
        self,
        user_emb: Tensor,
        item_emb: Tensor,
        users: Tensor,
        pos: Tensor,
        neg: Tensor,
        weight_decay: float,
    ) -> tuple[Tensor, Tensor]:
        r"""Bayesian Personalized Ranking loss (Rendle et al. 2009) with L2.

        .. math::
            \mathcal{L} = -\frac{1}{|B|}\sum_{(u,i,j) \in B}
            \ln \sigma(\hat y_{ui} - \hat y_{uj})
            + \frac{\lambda}{2|B|} \lVert \Theta^{(0)}_B \rVert^2

        Returns ``(total, bpr_part)``.
        """
        u = user_emb[users]
        s_pos = (u * item_emb[pos]).sum(-1)
        s_neg = (u * item_emb[neg]).sum(-1)
        bpr = -F.logsigmoid(s_pos - s_neg).mean()
        reg = sum(p.pow(2).sum() for p in self.initial_embeddings(users, torch.cat([pos, neg])))
        return bpr + weight_decay * reg / (2 * len(users)), bpr
