"""What every trainable recommender in socialrec provides."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from socialrec.models.graph import TrainGraph


class GraphRecommender(torch.nn.Module):
    """Base class: ``forward(graph)`` returns final user and item embeddings.

    Scores are inner products, so that full ranking is one matrix product and
    the stored embeddings serve Neo4j's vector index directly.
    """

    def forward(self, graph: TrainGraph) -> tuple[Tensor, Tensor]:  # pragma: no cover
        raise NotImplementedError

    def initial_embeddings(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """The free (layer-0) parameters behind a batch, for L2 regularisation."""
        raise NotImplementedError  # pragma: no cover

    def reset_parameters(self) -> None:  # pragma: no cover
        raise NotImplementedError

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
