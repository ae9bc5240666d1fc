"""Recommender models, one a file, named after their papers.

``build_model(name, graph, ...)`` creates one by name for the trainer and CLI.
"""

from __future__ import annotations

from socialrec.errors import SocialrecError
from socialrec.models.base import Embeddings, GraphRecommender
from socialrec.models.hybrid import HybridSocialLGN
from socialrec.models.lightgcn import LightGCN
from socialrec.models.mf import MF
from socialrec.models.social_attention import SocialAttention
from socialrec.models.social_lgn import SocialLGN
from socialrec.models.train_graph import TrainGraph

#: Trainable models by CLI name. "popularity" is a non-trainable baseline.
#: Models trained with BPR by :func:`socialrec.train.trainer.train`.
NEURAL_MODELS = ("mf", "lightgcn", "social", "attention", "hybrid")
#: Every model name, baselines first.
MODELS = ("popularity", "gds_similarity", *NEURAL_MODELS)


def build_model(
    name: str, graph: TrainGraph, embedding_dim: int = 64, num_layers: int = 3
) -> GraphRecommender:
    """A fresh model called ``name`` sized for ``graph``."""
    n_u, n_i = graph.num_users, graph.num_items
    if name == "mf":
        return MF(n_u, n_i, embedding_dim)
    if name == "lightgcn":
        return LightGCN(n_u, n_i, embedding_dim, num_layers)
    if name == "social":
        return SocialLGN(n_u, n_i, embedding_dim, num_layers)
    if name == "attention":
        return SocialAttention(n_u, n_i, embedding_dim, num_layers)
    if name == "hybrid":
        return HybridSocialLGN(n_u, n_i, graph.num_attributes, embedding_dim, num_layers)
    raise SocialrecError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


__all__ = [
    "MF",
    "MODELS",
    "NEURAL_MODELS",
    "Embeddings",
    "GraphRecommender",
    "HybridSocialLGN",
    "LightGCN",
    "SocialAttention",
    "SocialLGN",
    "TrainGraph",
    "build_model",
]
