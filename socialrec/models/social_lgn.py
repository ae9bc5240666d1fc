from __future__ import annotations

import torch
from torch import Tensor

from socialrec.models.base import Embeddings, GraphRecommender
from socialrec.models.train_graph import TrainGraph


class SocialLGN(GraphRecommender):
    r"""Social LightGCN, after the `"SocialLGN: Light Graph Convolution Network
    for Social Recommendation" <https://doi.org/10.1016/j.ins.2022.11.081>`_
    paper (Liao et al., 2022).

    Each layer, a user receives messages from its items *and* from its friends,
    and the two are fused; items propagate as in LightGCN:

    .. math::
        \mathbf{h}_{u,I}^{(k+1)} &= \sum_{i \in \mathcal{N}(u)}
            \frac{\mathbf{e}_i^{(k)}}{\sqrt{|\mathcal{N}(u)||\mathcal{N}(i)|}},
        \qquad
        \mathbf{h}_{u,S}^{(k+1)} = \sum_{v \in \mathcal{S}(u)}
            \frac{\mathbf{e}_v^{(k)}}{\sqrt{|\mathcal{S}(u)||\mathcal{S}(v)|}}

        \mathbf{g}^{(k+1)} &= \sigma\left(\mathbf{W}^{(k)}
            [\mathbf{h}_{u,I}^{(k+1)} \,\Vert\, \mathbf{h}_{u,S}^{(k+1)}]\right),
        \qquad
        \mathbf{e}_u^{(k+1)} = \mathbf{g} \odot \mathbf{h}_{u,I}
            + (1 - \mathbf{g}) \odot \mathbf{h}_{u,S}

    A learned gate per layer and dimension replaces the paper's fixed fusion,
    so the model can rely on friends where they are informative (for a user
    without friends the social message is zero and the gate's item side stays).
    Final embeddings are the layer means. A user with no training interactions
    starts from zero at layer 0, so its embedding comes from its friends: cold
    users get scores without retraining.

    Args:
        num_users (int): number of users.
        num_items (int): number of items.
        embedding_dim (int): embedding size. (default: ``64``)
        num_layers (int): propagation layers. (default: ``3``)
    """

    def __init__(
        self, num_users: int, num_items: int, embedding_dim: int = 64, num_layers: int = 3
    ) -> None:
        super().__init__(num_users, num_items, embedding_dim)
        self.num_layers = num_layers
        self.gates = torch.nn.ModuleList(
            torch.nn.Linear(2 * embedding_dim, embedding_dim) for _ in range(num_layers)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for gate in self.gates:
            assert isinstance(gate, torch.nn.Linear)
            torch.nn.init.xavier_uniform_(gate.weight)
            torch.nn.init.zeros_(gate.bias)

    def user_layer0(self, graph: TrainGraph) -> Tensor:
        active = (graph.user_degree > 0).to(self.user.weight.dtype).unsqueeze(-1)
        return self.free_embeddings(graph)[0] * active

    def item_layer0(self, graph: TrainGraph) -> Tensor:
        return self.free_embeddings(graph)[1]

    def fuse(self, k: int, from_items: Tensor, from_friends: Tensor) -> Tensor:
        g = torch.sigmoid(self.gates[k](torch.cat([from_items, from_friends], dim=-1)))
        return g * from_items + (1 - g) * from_friends

    def forward(self, graph: TrainGraph, noise: float = 0.0) -> Embeddings:
        return self.propagate(graph, self.user_layer0(graph), self.item_layer0(graph), noise)

    def propagate(self, graph: TrainGraph, u: Tensor, i: Tensor, noise: float) -> Embeddings:
        """Layer means of the propagation from layer-0 embeddings ``u`` and ``i``."""

        def layer(k: int, u: Tensor, i: Tensor) -> tuple[Tensor, Tensor]:
            from_items = graph.item_to_user @ i
            from_friends = graph.friends @ u if graph.friends is not None else torch.zeros_like(u)
            return self.fuse(k, from_items, from_friends), graph.user_to_item @ u

        return self.mean_over_layers(u, i, layer, self.num_layers, noise)
