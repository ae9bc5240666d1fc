from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from socialrec.models.base import Embeddings
from socialrec.models.propagation import operator_rows, reweighted_spmm
from socialrec.models.social_lgn import SocialLGN
from socialrec.models.train_graph import TrainGraph

#: Width of the edge-mask MLP's hidden layer. The paper uses the embedding size;
#: the mask runs on every friendship at every step, and at 1 M users (4 M stored
#: friendship entries) a 256-wide hidden layer would be 4 GB of activations.
MASK_HIDDEN = 64


def hsic(x: Tensor, y: Tensor, sigma: float) -> Tensor:
    r"""Biased HSIC estimate between the rows of ``x`` and ``y`` with Gaussian
    kernels on the unit sphere, :math:`K_{ab} = \exp((\hat x_a^\top \hat x_b - 1)/\sigma)`:

    .. math::
        \mathrm{HSIC} = \frac{1}{(m-1)^2} \operatorname{tr}(K_x H K_y H),
        \qquad H = I - \tfrac{1}{m}\mathbf{1}\mathbf{1}^\top

    computed in :math:`O(m^2)` memory from the kernels' sums (no :math:`m \times m`
    matrix product)."""
    m = x.shape[0]
    x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    kx = torch.exp((x @ x.T - 1) / sigma)
    ky = torch.exp((y @ y.T - 1) / sigma)
    trace = (kx * ky).sum() / m**2
    cross = (kx.sum(1) @ ky.sum(1)) / m**3
    return (trace + kx.mean() * ky.mean() - 2 * cross) * (m / max(m - 1, 1)) ** 2


class GBSR(SocialLGN):
    r"""Graph-bottlenecked social recommendation, after `"Graph Bottlenecked
    Social Recommendation" <https://arxiv.org/abs/2406.08214>`_ (Yang et al.,
    KDD 2024), on :class:`SocialLGN`'s propagation.

    Not every friendship says something about taste (on LastFM friends' item
    sets are barely more alike than random users': ``benchmarks/RESULTS.md``,
    "Friends study"). GBSR learns which to keep: an MLP scores every
    friendship from its two users' layer-0 embeddings, and a concrete
    (Gumbel-sigmoid) relaxation turns the score into a differentiable keep
    weight on the friends' operator,

    .. math::
        \hat a_{uv} = a_{uv}\left(\sigma\!\left(\frac{\mathrm{MLP}
            ([\mathbf{e}_u \Vert \mathbf{e}_v]) + \log\epsilon - \log(1-\epsilon)}
            {\tau}\right) + b\right), \qquad \epsilon \sim U(0, 1)

    (without the noise when not training; :math:`b` is the observation bias
    that keeps every friendship at weight :math:`b` at least). The graph
    information bottleneck makes the denoised graph *minimal* yet *sufficient*:
    BPR on the denoised graph's embeddings keeps what predicts interactions,
    and an HSIC penalty between them and the full graph's embeddings (users
    and items of the batch) squeezes out the rest:

    .. math::
        \mathcal{L} = \mathcal{L}_{\mathrm{BPR}}(\hat{\mathbf{E}})
            + \beta\left(\mathrm{HSIC}(\hat{\mathbf{E}}_U, \mathbf{E}_U)
            + \mathrm{HSIC}(\hat{\mathbf{E}}_I, \mathbf{E}_I)\right)

    Served embeddings come from the denoised graph. The MLP's first layer is
    applied per user and gathered per friendship (the same function as on the
    concatenation), so its cost grows with users, not friendships.

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers. (default: ``3``)
        bottleneck_weight (float): :math:`\beta`, the HSIC penalty's weight; 0
            keeps the learned mask but drops the second (full-graph) pass.
            (default: ``5.0``)
        edge_bias (float): :math:`b`. (default: ``0.5``)
        temperature (float): :math:`\tau`. (default: ``0.2``)
        sigma (float): the HSIC kernels' width. (default: ``0.25``)
        hsic_rows (int): at most this many users and items of a batch enter
            the HSIC penalty (its cost is quadratic in them). (default: ``1024``)
    """

    def __init__(
        self,
        num_users: int,
        num_items: int,
        embedding_dim: int = 64,
        num_layers: int = 3,
        bottleneck_weight: float = 5.0,
        edge_bias: float = 0.5,
        temperature: float = 0.2,
        sigma: float = 0.25,
        hsic_rows: int = 1024,
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim, num_layers)
        self.bottleneck_weight = bottleneck_weight
        self.edge_bias = edge_bias
        self.temperature = temperature
        self.sigma = sigma
        self.hsic_rows = hsic_rows
        self.mask_dst = torch.nn.Linear(embedding_dim, MASK_HIDDEN)
        self.mask_src = torch.nn.Linear(embedding_dim, MASK_HIDDEN, bias=False)
        self.mask_out = torch.nn.Linear(MASK_HIDDEN, 1)
        self.mask_similarity = torch.nn.Parameter(torch.zeros(()))
        self._rows: tuple[TrainGraph, Tensor] | None = None

    def keep_weights(self, graph: TrainGraph, users0: Tensor) -> Tensor:
        """The keep weight of every stored entry of ``graph.friends`` (in
        [b, 1 + b]; sampled while training, its mean otherwise)."""
        assert graph.friends is not None
        if self._rows is None or self._rows[0] is not graph:
            self._rows = (graph, operator_rows(graph.friends))
        rows, cols = self._rows[1], graph.friends.matrix.col_indices().long()
        hidden = F.relu(self.mask_dst(users0)[rows] + self.mask_src(users0)[cols])
        unit = F.normalize(users0, dim=-1)
        similarity = (unit[rows] * unit[cols]).sum(-1)
        logit = self.mask_out(hidden).squeeze(-1) + self.mask_similarity * similarity
        if self.training:
            eps = torch.rand_like(logit).clamp(1e-6, 1 - 1e-6)
            logit = logit + torch.log(eps) - torch.log1p(-eps)
        return torch.sigmoid(logit / self.temperature) + self.edge_bias

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        u0, i0 = self.user_layer0(graph), self.item_layer0(graph)
        if graph.friends is None:  # nothing to denoise: SocialLGN without friends
            return self.propagate(graph, u0, i0, noise)
        friends = graph.friends
        weight = friends.matrix.values() * self.keep_weights(graph, u0)

        def layer(k: int, u: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
            from_items = graph.item_to_user @ i
            from_friends = reweighted_spmm(friends, weight, u)
            return self.fuse(k, from_items, from_friends), graph.user_to_item @ u

        out = self.mean_over_layers(u0, i0, layer, self.num_layers, noise)
        if self.training and self.bottleneck_weight > 0:
            full = self.propagate(graph, u0, i0, 0.0)
            out = out._replace(view=(full.user, full.item))
        return out

    def auxiliary_loss(self, out: Embeddings, users: Tensor, items: Tensor) -> Tensor | None:
        """:math:`\\beta` times the HSIC of the batch's denoised and full-graph
        embeddings (``None`` without the full-graph pass)."""
        if out.view is None:
            return None
        loss = out.user.new_zeros(())
        for denoised, full, index in (
            (out.user, out.view[0], users),
            (out.item, out.view[1], items),
        ):
            rows = torch.unique(index)
            if len(rows) > self.hsic_rows:
                rows = rows[torch.randperm(len(rows), device=rows.device)[: self.hsic_rows]]
            if len(rows) > 1:
                loss = loss + hsic(denoised[rows], full[rows], self.sigma)
        return self.bottleneck_weight * loss
