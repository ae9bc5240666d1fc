"""Scoring: top-K recommendations per user, and the friends behind each one."""

from socialrec.score.scorer import Recommendations, Scorer, ScoringError
from socialrec.topk import CSR, TopK, iter_top_k, top_k

__all__ = ["CSR", "Recommendations", "Scorer", "ScoringError", "TopK", "iter_top_k", "top_k"]
