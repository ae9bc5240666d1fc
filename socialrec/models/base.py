"""What every trainable recommender in socialrec provides."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from socialrec.models.gather import gather_rows
from socialrec.models.train_graph import TrainGraph


class Embeddings(NamedTuple):
    """What a model's ``forward`` returns.

    Attributes:
        user (Tensor): final user embeddings ``[num_users, dim]``.
        item (Tensor): final item embeddings ``[num_items, dim]``.
        first_layer (tuple[Tensor, Tensor] | None): the perturbed first-layer user
            and item embeddings, the second view of XSimGCL's contrastive loss;
            only from a training pass with ``noise > 0``.
        view (tuple[Tensor, Tensor] | None): a second set of final user and item
            embeddings that the model's own :meth:`GraphRecommender.auxiliary_loss`
            compares with these (GBSR: the full social graph's); training only.
    """

    user: Tensor
    item: Tensor
    first_layer: tuple[Tensor, Tensor] | None = None
    view: tuple[Tensor, Tensor] | None = None


#: One propagation layer: ``(k, users, items) -> (users, items)`` at layer ``k + 1``.
Layer = Callable[[int, Tensor, Tensor], tuple[Tensor, Tensor]]


class GraphRecommender(torch.nn.Module):
    """Base class: free user and item embeddings; ``forward(graph, noise)``
    returns the final user and item embeddings as :class:`Embeddings`.

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
        #: one learned vector per period of time (:meth:`use_periods`), or none
        self.period: torch.nn.Embedding | None = None

    def use_periods(self, count: int) -> None:
        r"""Learn a vector :math:`\mathbf{p}_t` per period :math:`t`, added to the
        user's vector of every interaction in it: :math:`\hat y_{ui}(t) =
        (\mathbf{e}_u + \mathbf{p}_t)^\top \mathbf{e}_i`, so that
        :math:`\mathbf{p}_t^\top \mathbf{e}_i` is how much item :math:`i` is
        chosen *then*, whoever chooses (the time-binned item bias of TimeSVD++,
        `Koren, "Collaborative Filtering with Temporal Dynamics", KDD 2009
        <https://doi.org/10.1145/1557019.1557072>`_, as a vector so that a score
        stays one inner product). A user is served with their latest period's
        vector (:meth:`final_users`). Starts at zero: the static model.
        """
        self.period = torch.nn.Embedding(count, self.user.embedding_dim)
        torch.nn.init.zeros_(self.period.weight)

    def reset_parameters(self) -> None:
        torch.nn.init.normal_(self.user.weight, std=0.1)
        torch.nn.init.normal_(self.item.weight, std=0.1)

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:  # pragma: no cover
        r"""Final embeddings of ``graph``'s users and items.

        Args:
            graph (TrainGraph): the training operators (whole graph or a sampled
                subgraph).
            noise (float): XSimGCL's perturbation magnitude :math:`\epsilon`,
                applied to every layer's output in training mode only; with
                ``noise > 0`` the result carries ``first_layer``. (default: ``0.0``)
        """
        raise NotImplementedError

    def auxiliary_loss(self, out: Embeddings, users: Tensor, items: Tensor) -> Tensor | None:
        """A model's own training objective next to BPR, for a batch of
        ``users`` and their positive ``items`` (``None``: none, the default)."""
        return None

    def batch_users(
        self, out: Embeddings, graph: TrainGraph, users: Tensor, edges: Tensor | None
    ) -> Tensor | None:
        """The user vectors of a training batch's rows where the user depends on
        the training example (the period of the interaction; a sequence model:
        what came before it); ``edges`` are the rows' indices among the training
        interactions (``None``: not known, a sampled batch). ``None``: the rows
        of ``out.user``."""
        if self.period is None or graph.periods is None or edges is None:
            return None
        return gather_rows(out.user, users) + self.period(graph.periods.edge[edges])

    def final_users(self, out: Embeddings, graph: TrainGraph) -> Tensor:
        """The user embeddings that score and are published: ``out.user``, plus
        each user's latest period's vector where the model learns periods."""
        if self.period is None or graph.periods is None:
            return out.user
        return out.user + self.period(graph.periods.user_latest)

    def perturb(self, x: Tensor, noise: float) -> Tensor:
        r"""XSimGCL's perturbation of one layer's output, while training:
        :math:`\mathbf{x} + \epsilon\, \mathrm{sign}(\mathbf{x}) \odot
        \bar{\boldsymbol{\Delta}}` with :math:`\bar{\boldsymbol{\Delta}}` a uniform
        random direction of unit length per row. The sign keeps each row in its
        orthant, so the noise rotates embeddings slightly without flipping them.
        """
        if not (noise and self.training):
            return x
        return x + noise * torch.sign(x) * F.normalize(torch.rand_like(x), dim=-1)

    def mean_over_layers(
        self, u: Tensor, i: Tensor, layer: Layer, num_layers: int, noise: float
    ) -> Embeddings:
        r"""Run ``layer`` ``num_layers`` times from layer-0 ``u`` and ``i`` and
        return the layer means :math:`\frac{1}{K+1}\sum_{k=0}^{K} \mathbf{e}^{(k)}`,
        every layer's output perturbed by :meth:`perturb` (the first one kept as
        ``first_layer`` when ``noise > 0``). The one propagation loop of every
        model with learned layers; LightGCN's noise-free pass has a fused kernel.
        """
        u_sum, i_sum = u, i
        first: tuple[Tensor, Tensor] | None = None
        for k in range(num_layers):
            u, i = layer(k, u, i)
            u, i = self.perturb(u, noise), self.perturb(i, noise)
            if k == 0 and noise and self.training:
                first = (u, i)
            u_sum, i_sum = u_sum + u, i_sum + i
        scale = 1.0 / (num_layers + 1)
        return Embeddings(u_sum * scale, i_sum * scale, first)

    def contrastive_loss(
        self, out: Embeddings, users: Tensor, items: Tensor, temperature: float
    ) -> Tensor:
        r"""Cross-layer InfoNCE of `"XSimGCL: Towards Extremely Simple Graph
        Contrastive Learning for Recommendation" <https://arxiv.org/abs/2209.02544>`_.

        The final embedding of each of the batch's (distinct) users and items is
        pulled towards its own noisy first-layer embedding and pushed from the
        others':

        .. math::
            \mathcal{L}_{cl} = \sum_{n \in B} -\log
            \frac{\exp(\mathbf{z}_n^\top \mathbf{z}_n^{(1)} / \tau)}
            {\sum_{m \in B} \exp(\mathbf{z}_n^\top \mathbf{z}_m^{(1)} / \tau)}

        (unit-length :math:`\mathbf{z}`, users and items separately). It spreads
        embeddings over the sphere, which counters the popularity bias of BPR.
        ``out`` is a training forward pass's result with ``noise > 0``.
        """
        if out.first_layer is None:
            raise ValueError("contrastive_loss needs a training forward pass with noise > 0")
        u1, i1 = out.first_layer
        users, items = torch.unique(users), torch.unique(items)
        return _info_nce(out.user[users], u1[users], temperature) + _info_nce(
            out.item[items], i1[items], temperature
        )

    def free_embeddings(self, graph: TrainGraph) -> tuple[Tensor, Tensor]:
        """The free (layer-0) user and item parameters of ``graph``'s nodes: the
        whole tables, or a sampled subgraph's rows."""
        users = self.user.weight if graph.user_ids is None else self.user(graph.user_ids)
        items = self.item.weight if graph.item_ids is None else self.item(graph.item_ids)
        return users, items

    def initial_embeddings(self, users: Tensor, items: Tensor) -> list[Tensor]:
        """The free (layer-0) parameters behind a batch, for L2 regularisation
        (global indices). Their gradient is sparse: ``forward`` also reads these
        tables, so autograd adds it into a dense one (see :mod:`~socialrec.models.gather`)."""
        return [
            gather_rows(self.user.weight, users, sparse_grad=True),
            gather_rows(self.item.weight, items, sparse_grad=True),
        ]

    def bpr_loss(
        self,
        user_emb: Tensor,
        item_emb: Tensor,
        users: Tensor,
        pos: Tensor,
        neg: Tensor,
        weight_decay: float,
        graph: TrainGraph | None = None,
        weight: Tensor | None = None,
        user_vectors: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        r"""Bayesian Personalized Ranking loss (Rendle et al. 2009) with L2.

        .. math::
            \mathcal{L} = -\frac{1}{|B|}\sum_{(u,i,j) \in B}
            w_{ui} \ln \sigma(\hat y_{ui} - \hat y_{uj})
            + \frac{\lambda}{2|B|} \lVert \Theta^{(0)}_B \rVert^2

        Indices are rows of ``user_emb`` / ``item_emb``: local to ``graph`` when
        it is a sampled subgraph (pass it, so that L2 finds the global rows).
        ``weight`` holds each positive's :math:`w_{ui}` (recency; ``None``: all 1);
        ``user_vectors`` the rows' user vectors where they are not rows of
        ``user_emb`` (:meth:`batch_users`). Returns ``(total, bpr_part)``.
        """
        u = gather_rows(user_emb, users) if user_vectors is None else user_vectors
        items = torch.cat([pos, neg])
        # One gather for both sides: one zero table in the backward, not two.
        i_pos, i_neg = gather_rows(item_emb, items).split(len(pos))
        bpr = _weighted_mean(-F.logsigmoid((u * (i_pos - i_neg)).sum(-1)), weight)
        return bpr + weight_decay * self._l2(users, items, graph), bpr

    def softmax_loss(
        self,
        user_emb: Tensor,
        item_emb: Tensor,
        users: Tensor,
        pos: Tensor,
        neg: Tensor,
        weight_decay: float,
        temperature: float,
        graph: TrainGraph | None = None,
        weight: Tensor | None = None,
        user_vectors: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        r"""Sampled softmax loss over cosine scores, with L2 (`"On the
        Effectiveness of Sampled Softmax Loss for Item Recommendation"
        <https://arxiv.org/abs/2201.02327>`_):

        .. math::
            \mathcal{L} = -\frac{1}{|B|}\sum_{(u,i) \in B} \ln
            \frac{\exp(\cos(\mathbf{e}_u, \mathbf{e}_i) / \tau)}
            {\exp(\cos(\mathbf{e}_u, \mathbf{e}_i) / \tau)
            + \sum_{j \in N_u} \exp(\cos(\mathbf{e}_u, \mathbf{e}_j) / \tau)}
            + \frac{\lambda}{2|B|} \lVert \Theta^{(0)}_B \rVert^2

        ``neg`` holds each positive's sampled negatives :math:`N_u` (``[B, M]``
        or ``[B]``). Every negative takes part, weighted by how close it scores
        (a soft form of hard-negative mining), and cosine scores keep popular
        items' large norms from dominating. A model trained so is scored with
        unit-length embeddings (:func:`normalize_output`). ``weight`` and
        ``user_vectors`` as in :meth:`bpr_loss`. Returns ``(total, softmax_part)``.
        """
        neg = neg.view(len(pos), -1)
        u = F.normalize(
            gather_rows(user_emb, users) if user_vectors is None else user_vectors, dim=-1
        )
        candidate_ids = torch.cat([pos.unsqueeze(1), neg], 1)
        candidates = F.normalize(
            gather_rows(item_emb, candidate_ids).view(*candidate_ids.shape, -1), dim=-1
        )
        logits = (candidates @ u.unsqueeze(-1)).squeeze(-1) / temperature
        part = _weighted_mean(-F.log_softmax(logits, dim=1)[:, 0], weight)
        items = torch.cat([pos, neg.reshape(-1)])
        return part + weight_decay * self._l2(users, items, graph), part

    def _l2(self, users: Tensor, items: Tensor, graph: TrainGraph | None) -> Tensor:
        r""":math:`\lVert \Theta^{(0)}_B \rVert^2 / 2|B|` over the batch's layer-0 rows
        (``items``: its positives, then its negatives)."""
        batch = len(users)
        if graph is not None and graph.user_ids is not None and graph.item_ids is not None:
            users, items = graph.user_ids[users], graph.item_ids[items]
        reg = torch.stack([p.pow(2).sum() for p in self.initial_embeddings(users, items)]).sum()
        return reg / (2 * batch)


def normalize_output(user_emb: Tensor, item_emb: Tensor) -> tuple[Tensor, Tensor]:
    """Unit-length embeddings: inner products become the cosine scores that
    :meth:`GraphRecommender.softmax_loss` trains."""
    return F.normalize(user_emb, dim=-1), F.normalize(item_emb, dim=-1)


def _weighted_mean(losses: Tensor, weight: Tensor | None) -> Tensor:
    """The batch mean of per-positive ``losses``, each weighted when ``weight``
    is given (weights have mean 1 over the epoch, so the scale is BPR's)."""
    return losses.mean() if weight is None else (losses * weight).mean()


def _info_nce(view_a: Tensor, view_b: Tensor, temperature: float) -> Tensor:
    a, b = F.normalize(view_a, dim=-1), F.normalize(view_b, dim=-1)
    logits = a @ b.T / temperature
    return F.cross_entropy(logits, torch.arange(len(a), device=a.device))
