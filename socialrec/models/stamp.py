from __future__ import annotations

import torch
from torch import Tensor

from socialrec.models.base import Embeddings
from socialrec.models.social_lgn import SocialLGN
from socialrec.models.train_graph import TrainGraph


class SocialSTAMP(SocialLGN):
    r"""The short-term attention of the `"STAMP: Short-Term Attention/Memory
    Priority Model for Session-based Recommendation"
    <https://doi.org/10.1145/3219819.3219950>`_ paper (Liu et al., KDD 2018),
    fused with the social graph's user embedding (:class:`SocialLGN`).

    A user's long-term taste is their :class:`SocialLGN` embedding
    :math:`\mathbf{g}_u` (items and friends). Their short-term interest comes
    from their latest :math:`N` interactions in order, newest first: item
    :math:`j` at recency rank :math:`r_j` enters as
    :math:`\mathbf{x}_j = \mathbf{e}_{i_j} + \mathbf{p}_{r_j}` (the item's
    propagated embedding and a learned position embedding), the newest as
    :math:`\mathbf{x}_t`. STAMP attends over them with the newest item and the
    session mean :math:`\mathbf{m}_s` as context:

    .. math::
        \alpha_j &= \mathbf{w}_0^\top \sigma(\mathbf{W}_1 \mathbf{x}_j
            + \mathbf{W}_2 \mathbf{x}_t + \mathbf{W}_3 \mathbf{m}_s + \mathbf{b}_a),
        \qquad
        \mathbf{m}_a = \sum_j \alpha_j \mathbf{x}_j

        \mathbf{e}_u &= \mathbf{g}_u + \tanh(\mathbf{W}_s \mathbf{m}_a + \mathbf{b}_s)
            \odot \tanh(\mathbf{W}_t \mathbf{x}_t + \mathbf{b}_t)

    The second term is STAMP's trilinear user vector; added to the graph
    embedding, a score stays one inner product :math:`\mathbf{e}_u^\top
    \mathbf{e}_i`, so the published embeddings serve Neo4j's vector index as
    every other model's do. A user without history gets :math:`\mathbf{g}_u`
    alone.

    Training is causal, as in sequential recommenders: the user vector of a
    training interaction attends over the items the user had interacted with
    before it (:meth:`batch_users`), so the model learns what comes next. The
    published embedding attends over the user's latest ``sequence_length``
    items, at the time of the run. The time-ordered histories are built once
    per training graph (:class:`~socialrec.models.train_graph.UserHistory`);
    a step costs the graph model's plus :math:`O(BNd)`. The trainer needs
    interaction times for it (:func:`socialrec.train.experiment.training_graph`).

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers of the graph part. (default: ``3``)
        sequence_length (int): the latest interactions attended over (the
            number of position embeddings). (default: ``20``)
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
        sequence_length: int = 20,
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim, num_layers)
        d = embedding_dim
        self.position = torch.nn.Embedding(sequence_length, d)
        self.w_item = torch.nn.Linear(d, d, bias=True)  # W_1, with b_a
        self.w_last = torch.nn.Linear(d, d, bias=False)  # W_2
        self.w_mean = torch.nn.Linear(d, d, bias=False)  # W_3
        self.w_0 = torch.nn.Linear(d, 1, bias=False)
        self.w_session = torch.nn.Linear(d, d)  # W_s, b_s
        self.w_latest = torch.nn.Linear(d, d)  # W_t, b_t
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if not hasattr(self, "position"):  # SocialLGN's __init__ calls this first
            return
        torch.nn.init.normal_(self.position.weight, std=0.01)
        for layer in (self.w_item, self.w_last, self.w_mean, self.w_0):
            torch.nn.init.normal_(layer.weight, std=0.05)
        torch.nn.init.zeros_(self.w_item.bias)
        for layer in (self.w_session, self.w_latest):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        """In training, the graph part alone: each training example's user vector
        depends on what came before it (:meth:`batch_users`). Otherwise each
        user's final embedding, from their latest ``sequence_length`` items."""
        out = super().forward(graph, noise)
        if self.training or graph.history is None:
            return out
        users = torch.arange(graph.num_users, device=out.user.device)
        short = torch.cat(
            [
                self.short_term(out.item, *graph.history.latest(chunk, self.length))
                for chunk in users.split(_CHUNK)
            ]
        )
        return out._replace(user=out.user + short)

    def batch_users(
        self, out: Embeddings, graph: TrainGraph, users: Tensor, edges: Tensor | None
    ) -> Tensor | None:
        """Causal training: the user of training interaction ``e`` (of ``edges``)
        attends over the items they had interacted with *before* it, so that
        the short-term part learns to predict what comes next, never to
        recognise the target in its own input."""
        rows = super().batch_users(out, graph, users, edges)  # with a period, if any
        if graph.history is None or edges is None:
            return rows
        items, mask = graph.history.before(users, graph.history.position[edges], self.length)
        base = out.user[users] if rows is None else rows
        return base + self.short_term(out.item, items, mask)

    @property
    def length(self) -> int:
        return self.position.num_embeddings

    def short_term(self, item: Tensor, items: Tensor, mask: Tensor) -> Tensor:
        """STAMP's vector of each row's history ``items`` (``[B, N]``, newest first,
        ``mask`` marking the real ones), from the ``item`` embeddings; zero for
        a row without history."""
        m = mask.unsqueeze(-1).to(item.dtype)
        x = (item[items] + self.position.weight) * m  # [B, N, d]
        mean = x.sum(1) / m.sum(1).clamp(min=1)
        latest = x[:, 0]
        context = self.w_last(latest) + self.w_mean(mean)
        alpha = self.w_0(torch.sigmoid(self.w_item(x) + context.unsqueeze(1))) * m
        attended = (alpha * x).sum(1)
        vector = torch.tanh(self.w_session(attended)) * torch.tanh(self.w_latest(latest))
        return vector * m[:, 0]


#: Users per chunk of the full (evaluation) pass: bounds its [chunk, N, d] tensors.
_CHUNK = 4096
