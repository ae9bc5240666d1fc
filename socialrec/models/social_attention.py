from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import softmax

from socialrec.models.base import Embeddings
from socialrec.models.propagation import SparseOperator, operator_rows, reweighted_spmm
from socialrec.models.social_lgn import SocialLGN
from socialrec.models.train_graph import TrainGraph


class SocialAttention(SocialLGN):
    r"""Attention over a user's items and friends, in the spirit of
    `"Graph Neural Networks for Social Recommendation"
    <https://arxiv.org/abs/1902.07243>`_ (GraphRec) and
    `"DiffNet++" <https://arxiv.org/abs/2002.00844>`_, with the scores of
    `"Graph Attention Networks" <https://arxiv.org/abs/1710.10903>`_, built on
    :class:`SocialLGN`'s normalised propagation.

    Each layer re-weighs every item :math:`j` of user :math:`u` (and, with its
    own attention vectors, every friend) by how much it scores against the
    user, so that influence differs per item and per friend:

    .. math::
        s_{uj} = \mathrm{LeakyReLU}\left(\mathbf{a}_{dst}^\top \mathbf{h}_u
            + \mathbf{a}_{src}^\top \mathbf{h}_j\right),
        \qquad
        \mathbf{h}_{u,I}^{(k+1)} = \sum_{j \in \mathcal{N}(u)}
            \frac{|\mathcal{N}(u)|\, \mathrm{softmax}_j(s_{uj})}
                 {\sqrt{|\mathcal{N}(u)||\mathcal{N}(j)|}} \mathbf{h}_j^{(k)}

    and the items' and friends' messages are fused by :class:`SocialLGN`'s
    learned gate; items aggregate their users as in LightGCN. With equal scores
    the re-weighting is 1 and the model is SocialLGN exactly, which is where it
    starts (the attention vectors are initialised to zero).

    Why not the plain GAT aggregation (the first version of this model): a
    softmax-weighted *mean* drops LightGCN's :math:`1/\sqrt{|\mathcal{N}(j)|}`
    damping of popular neighbours, one softmax over items and friends together
    lets a user's many items drown their few friends, and a learned
    :math:`d \times d` transform per layer adds cost and parameters that BPR on
    implicit feedback does not use well; the transform also took most of an
    epoch's time. Starting from SocialLGN removes those causes, but learning the
    attention at the embeddings' pace still costs accuracy: it overfits what it
    attends to within a few epochs, and validation accuracy falls the faster it
    learns (``attention_rate``; ``benchmarks/RESULTS.md``, issue 16).
    The weighted sums run through the same ``embedding_bag`` kernel as the
    fixed operators (:func:`~socialrec.models.propagation.spmm`), with the
    attention weights as per-edge values.

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers. (default: ``3``)
        negative_slope (float): LeakyReLU slope. (default: ``0.2``)
        attention_rate (float): the attention vectors enter the scores
            multiplied by this, so that under Adam (whose steps do not depend on
            a gradient's scale) the attention moves this much slower than the
            embeddings; 0 is SocialLGN. (default: ``1.0``; the trainer's
            ``attention_rate`` option chooses it on validation)
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
        negative_slope: float = 0.2,
        attention_rate: float = 1.0,
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim, num_layers)
        self.negative_slope = negative_slope
        self.attention_rate = attention_rate
        d = embedding_dim
        # per layer: (item dst, item src, friend dst, friend src) attention vectors
        self.attention = torch.nn.Parameter(torch.zeros(num_layers, 4, d))
        self._rows: tuple[TrainGraph, Tensor, Tensor | None] | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if hasattr(self, "attention"):  # SocialLGN's __init__ calls this first
            torch.nn.init.zeros_(self.attention)

    def _edge_rows(self, graph: TrainGraph) -> tuple[Tensor, Tensor | None]:
        """The user (row) of every stored entry of the item and friend operators."""
        if self._rows is None or self._rows[0] is not graph:
            friends = operator_rows(graph.friends) if graph.friends is not None else None
            self._rows = (graph, operator_rows(graph.item_to_user), friends)
        return self._rows[1], self._rows[2]

    def attend(
        self,
        op: SparseOperator,
        rows: Tensor,
        h_dst: Tensor,
        h_src: Tensor,
        a_dst: Tensor,
        a_src: Tensor,
    ) -> Tensor:
        """``op``'s normalised sum with each entry re-weighed by ``n_u softmax``."""
        cols = op.matrix.col_indices()
        scores = F.leaky_relu(
            (h_dst @ a_dst)[rows] + (h_src @ a_src)[cols.long()], self.negative_slope
        )
        n = torch.bincount(rows, minlength=h_dst.shape[0]).to(scores.dtype)
        weight = op.matrix.values() * softmax(scores, rows, num_nodes=h_dst.shape[0]) * n[rows]
        return reweighted_spmm(op, weight, h_src)

    def propagate(self, graph: TrainGraph, u: Tensor, i: Tensor, noise: float) -> Embeddings:
        item_rows, friend_rows = self._edge_rows(graph)

        def layer(k: int, u: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
            a = self.attention[k] * self.attention_rate
            from_items = self.attend(graph.item_to_user, item_rows, u, i, a[0], a[1])
            if graph.friends is not None and friend_rows is not None:
                from_friends = self.attend(graph.friends, friend_rows, u, u, a[2], a[3])
            else:
                from_friends = torch.zeros_like(u)
            return self.fuse(k, from_items, from_friends), graph.user_to_item @ u

        return self.mean_over_layers(u, i, layer, self.num_layers, noise)
