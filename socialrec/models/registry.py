"""Every model socialrec trains or scores, by name: what the CLI's choices, the
trainer and :func:`~socialrec.models.build_model` read (torch-free, so the CLI
starts fast)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """One model name.

    Attributes:
        name: the name in configs and on the command line.
        neural: trained with BPR by the trainer (else a baseline that the
            trainer computes directly).
        summary: one line for help texts.
    """

    name: str
    neural: bool
    summary: str


REGISTRY: dict[str, ModelInfo] = {
    info.name: info
    for info in (
        ModelInfo("popularity", False, "every user gets the most interacted items"),
        ModelInfo("gds_similarity", False, "GDS Node Similarity (Jaccard kNN) in Neo4j"),
        ModelInfo("mf", True, "matrix factorisation (BPR)"),
        ModelInfo("lightgcn", True, "LightGCN over user-item interactions"),
        ModelInfo("social", True, "SocialLGN: items and friends, gated per layer"),
        ModelInfo("attention", True, "attention over items and friends"),
        ModelInfo("gbsr", True, "SocialLGN on a learned, denoised friend graph (GBSR)"),
        ModelInfo("hybrid", True, "SocialLGN with attribute-aware items (cold start)"),
        ModelInfo("sequence", True, "SocialLGN + STAMP attention over recent items (needs times)"),
    )
}

#: Every model name, baselines first.
MODELS = tuple(REGISTRY)
#: The models :func:`socialrec.train.trainer.train` trains with BPR.
NEURAL_MODELS = tuple(name for name, info in REGISTRY.items() if info.neural)
#: Non-trainable baselines.
BASELINES = tuple(name for name, info in REGISTRY.items() if not info.neural)
