"""Full-ranking evaluation: every item is a candidate for every user.

Scores are inner products of user and item embeddings, computed for a chunk of
users at a time (never the whole users x items matrix); items the user
already has in the excluded parts (training, and validation when testing) are
masked. Metrics follow the usual definitions, averaged over users with at
least one held-out item:

* Precision@K = hits / K; Recall@K = hits / |held-out|; HitRate@K = [hits > 0];
* NDCG@K = DCG / IDCG with binary gains and IDCG over min(|held-out|, K) items;
* Coverage@K = distinct recommended items / all items;
* TailShare@K = share of recommendations outside the 20 % most popular items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from torch import Tensor

from socialrec.pairs import lookup_sorted, pair_keys
from socialrec.topk import CSR, TailPenalty, tail_items, top_k


@dataclass
class RankingMetrics:
    """Aggregated metrics plus the Recall@K curve (K = 1..max_k)."""

    values: dict[str, float] = field(default_factory=dict)
    recall_curve: list[float] = field(default_factory=list)
    users: int = 0
    slices: dict[str, dict[str, float]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]


def rank_items(
    user_emb: Tensor,
    item_emb: Tensor,
    users: np.ndarray,
    exclude: np.ndarray,
    k: int,
    tail_penalty: float = 0.0,
    popularity: np.ndarray | None = None,
    chunk: int = 1024,
) -> np.ndarray:
    """Top-``k`` item indices for ``users``, excluding their ``exclude`` edges.

    ``tail_penalty`` > 0 re-ranks towards the long tail, calibrated to each
    user's ``exclude`` row (:class:`socialrec.topk.TailPenalty`, the tail taken
    from ``popularity``).
    """
    csr = CSR.from_edges(exclude, user_emb.shape[0])
    penalty = None
    if popularity is not None:
        penalty = TailPenalty.calibrated(popularity, csr, tail_penalty)
    return top_k(user_emb, item_emb, users, k, csr, tail_penalty=penalty, chunk=chunk).items


def evaluate(
    user_emb: Tensor,
    item_emb: Tensor,
    truth: np.ndarray,
    exclude: np.ndarray,
    ks: Sequence[int] = (10, 20),
    max_k: int = 50,
    popularity: np.ndarray | None = None,
    slices: dict[str, np.ndarray] | None = None,
    tail_penalty: float = 0.0,
) -> RankingMetrics:
    """Rank every item for each user with held-out ``truth`` edges and score the ranking.

    Args:
        truth (np.ndarray): ``[2, E]`` held-out (user, item) pairs.
        exclude (np.ndarray): ``[2, E]`` pairs never to recommend (training...).
        ks: cut-offs reported. (default: ``(10, 20)``)
        max_k (int): length of the Recall@K curve. (default: ``50``)
        popularity (np.ndarray, optional): training interactions per item, for
            TailShare and re-ranking.
        slices (dict, optional): name -> boolean mask over users; metrics are
            also reported for the evaluated users inside each mask.
        tail_penalty (float): long-tail re-ranking strength (writeback's
            ``tail_penalty``), calibrated to each user's ``exclude`` row; needs
            ``popularity``. (default: ``0.0``)
    """
    n_users, n_items = user_emb.shape[0], item_emb.shape[0]
    max_k = min(max(max_k, *ks), n_items)
    counts = np.bincount(truth[0], minlength=n_users)
    users = np.flatnonzero(counts)
    if not len(users):  # nothing held out (a tiny graph): every figure is undefined
        empty = RankingMetrics(users=0)
        kinds = ("precision", "recall", "hit", "ndcg", "coverage", "tail_share")
        names = [f"{m}@{k}" for k in ks for m in kinds]
        empty.values = dict.fromkeys(names, float("nan"))
        return empty
    top = rank_items(user_emb, item_emb, users, exclude, max_k, tail_penalty, popularity)
    # hits[r, j]: is the j-th recommendation of user r a held-out item? One
    # sorted array of user * n_items + item keys answers it for all at once.
    truth_keys = np.sort(pair_keys(truth[0], truth[1], n_items))
    _, hits = lookup_sorted(truth_keys, pair_keys(users[:, None], top, n_items))
    n_truth = counts[users].astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, max_k + 2))
    per_user: dict[str, np.ndarray] = {}
    for k in ks:
        h = hits[:, :k].sum(1)
        per_user[f"precision@{k}"] = h / k
        per_user[f"recall@{k}"] = h / n_truth
        per_user[f"hit@{k}"] = (h > 0).astype(np.float64)
        dcg = (hits[:, :k] * discounts[:k]).sum(1)
        ideal = np.cumsum(discounts[:k])[np.minimum(n_truth, k).astype(np.int64) - 1]
        per_user[f"ndcg@{k}"] = dcg / ideal
    result = RankingMetrics(users=len(users))
    result.values = {name: float(v.mean()) for name, v in per_user.items()}
    tail = tail_items(popularity) if popularity is not None else None
    for k in ks:
        result.values[f"coverage@{k}"] = len(np.unique(top[:, :k])) / n_items
        if tail is not None:
            result.values[f"tail_share@{k}"] = float(tail[top[:, :k]].mean())
    result.recall_curve = (np.cumsum(hits, axis=1) / n_truth[:, None]).mean(0).tolist()
    for name, mask in (slices or {}).items():
        inside = mask[users]
        result.slices[name] = {"users": float(inside.sum())} | {
            metric: float(v[inside].mean()) if inside.any() else float("nan")
            for metric, v in per_user.items()
        }
    return result
