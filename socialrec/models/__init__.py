"""Recommender models, one a file, named after their papers.

``build_model(name, graph, ...)`` creates one by name for the trainer and CLI;
:mod:`~socialrec.models.registry` lists every name. Members are imported on
first use, so that the registry (the command line's choices) loads without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from socialrec.errors import SocialrecError
from socialrec.models.registry import BASELINES, MODELS, NEURAL_MODELS, REGISTRY

if TYPE_CHECKING:
    from socialrec.models.base import Embeddings, GraphRecommender
    from socialrec.models.gbsr import GBSR
    from socialrec.models.hybrid import HybridSocialLGN
    from socialrec.models.lightgcn import LightGCN
    from socialrec.models.mf import MF
    from socialrec.models.social_attention import SocialAttention
    from socialrec.models.social_lgn import SocialLGN
    from socialrec.models.stamp import SocialSTAMP
    from socialrec.models.train_graph import TrainGraph

_WHERE = {
    "Embeddings": "base",
    "GBSR": "gbsr",
    "GraphRecommender": "base",
    "HybridSocialLGN": "hybrid",
    "LightGCN": "lightgcn",
    "MF": "mf",
    "SocialAttention": "social_attention",
    "SocialLGN": "social_lgn",
    "SocialSTAMP": "stamp",
    "TrainGraph": "train_graph",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'socialrec.models' has no attribute {name!r}")
    return getattr(importlib.import_module(f"socialrec.models.{_WHERE[name]}"), name)


def build_model(
    name: str,
    graph: TrainGraph,
    embedding_dim: int = 64,
    num_layers: int = 3,
    sequence_length: int = 20,
    bottleneck_weight: float = 5.0,
    attention_rate: float = 0.02,
) -> GraphRecommender:
    """A fresh model called ``name`` (one of :data:`NEURAL_MODELS`) sized for
    ``graph`` (``sequence_length``: the ``sequence`` model's history;
    ``bottleneck_weight``: ``gbsr``'s HSIC weight; ``attention_rate``:
    ``attention``'s learning speed; with the graph's periods, a
    vector per period, :meth:`GraphRecommender.use_periods`)."""
    model = _new_model(
        name, graph, embedding_dim, num_layers, sequence_length, bottleneck_weight, attention_rate
    )
    if graph.periods is not None:  # the graph cuts time into periods: learn one vector each
        model.use_periods(graph.periods.count)
    return model


def _new_model(
    name: str,
    graph: TrainGraph,
    embedding_dim: int,
    num_layers: int,
    sequence_length: int,
    bottleneck_weight: float,
    attention_rate: float,
) -> GraphRecommender:
    from socialrec.models.gbsr import GBSR
    from socialrec.models.hybrid import HybridSocialLGN
    from socialrec.models.lightgcn import LightGCN
    from socialrec.models.mf import MF
    from socialrec.models.social_attention import SocialAttention
    from socialrec.models.social_lgn import SocialLGN
    from socialrec.models.stamp import SocialSTAMP

    n_u, n_i = graph.num_users, graph.num_items
    if name == "mf":
        return MF(n_u, n_i, embedding_dim)
    if name == "lightgcn":
        return LightGCN(n_u, n_i, embedding_dim, num_layers)
    if name == "social":
        return SocialLGN(n_u, n_i, embedding_dim, num_layers)
    if name == "attention":
        return SocialAttention(n_u, n_i, embedding_dim, num_layers, attention_rate=attention_rate)
    if name == "gbsr":
        return GBSR(n_u, n_i, embedding_dim, num_layers, bottleneck_weight)
    if name == "hybrid":
        return HybridSocialLGN(n_u, n_i, graph.num_attributes, embedding_dim, num_layers)
    if name == "sequence":
        return SocialSTAMP(n_u, n_i, embedding_dim, num_layers, sequence_length)
    raise SocialrecError(f"unknown model {name!r}; choose one of {', '.join(NEURAL_MODELS)}")


__all__ = [
    "BASELINES",
    "GBSR",
    "MF",
    "MODELS",
    "NEURAL_MODELS",
    "REGISTRY",
    "Embeddings",
    "GraphRecommender",
    "HybridSocialLGN",
    "LightGCN",
    "SocialAttention",
    "SocialLGN",
    "SocialSTAMP",
    "TrainGraph",
    "build_model",
]
