r"""Approximate top-K through a FAISS inverted-file index, for large catalogues.

Exact scoring reads every item for every user (:func:`socialrec.topk.iter_top_k`:
about 700 s for 1 M users x 200 k items on 2 cores). An inverted-file index
(`Jégou et al., "Product quantization for nearest neighbor search", TPAMI 2011
<https://doi.org/10.1109/TPAMI.2010.57>`_, FAISS's ``IndexIVFFlat``) clusters the
item embeddings into :math:`L` lists around k-means centroids :math:`\mathbf{c}_l`
and scores a user only against the items of the ``probes`` lists whose centroids
score highest:

.. math::
    \hat{s}_{ui} = \mathbf{e}_u^\top \mathbf{e}_i \quad \text{for }
    i \in \bigcup_{l \in \operatorname{top}_{\text{probes}}(\mathbf{e}_u^\top
    \mathbf{c}_l)} \mathcal{I}_l

The scores returned are exact inner products; only which items are looked at
is approximate. Lists are built in a space where the nearest item is the top
inner product (see :class:`ItemIndex`). Items a user interacted with are
dropped after the search, so each user's search asks for ``k`` plus their
history; a user left with fewer than ``k`` eligible items (a long history, a
narrow candidate filter) is scored exactly instead, so every user still gets
``k`` recommendations where ``k`` exist. ``benchmarks/score_ann.py`` measures
recall@K against exact scoring.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from torch import Tensor

from socialrec.errors import ConfigError
from socialrec.topk import CSR, TopK, iter_top_k


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as e:
        raise ConfigError(
            "approximate scoring needs FAISS: pip install 'socialrec[ann]' (faiss-cpu)"
        ) from e
    return faiss


def lists_for(n_items: int) -> int:
    """FAISS's rule of thumb, about ``4 * sqrt(n)`` lists, with the 39 training items a
    list it asks for."""
    return max(1, min(int(4 * np.sqrt(n_items)), n_items // 39))


#: Users a list below which scoring exactly is cheaper than building the index:
#: its k-means over 200 k items took 4.9 s, what exact scoring spends on about
#: 14,600 users, 8 for each of its 1,788 lists ("Approximate scoring, FAISS" in
#: benchmarks/RESULTS.md). Both costs grow with items x dimensions.
MIN_USERS_PER_LIST = 8


def index_pays_off(n_users: int, n_items: int) -> bool:
    """Whether scoring ``n_users`` through an index beats scoring them exactly."""
    return n_users >= MIN_USERS_PER_LIST * lists_for(max(n_items, 1))


class ItemIndex:
    r"""An inverted-file index over the candidate items that finds top inner products.

    k-means on raw item vectors with inner-product assignment is poor at maximum
    inner-product search when item norms differ (popular items have the larger
    norms in trained recommenders): a query probes the lists of centroids that
    score highest, and the items it wants sit in lists of few, far-out vectors.
    So the index uses the reduction of `Bachrach et al., "Speeding up the Xbox
    recommender system using a Euclidean transformation for inner-product
    spaces", RecSys 2014 <https://doi.org/10.1145/2645710.2645741>`_: each item
    gets one more coordinate, :math:`\sqrt{M^2 - \lVert \mathbf{e}_i \rVert^2}`
    with :math:`M` the largest norm, and each query a zero there, so that

    .. math::
        \lVert \tilde{\mathbf{e}}_u - \tilde{\mathbf{e}}_i \rVert^2 =
        \lVert \mathbf{e}_u \rVert^2 + M^2 - 2\, \mathbf{e}_u^\top \mathbf{e}_i

    and the nearest items in Euclidean distance are exactly the top inner
    products; lists come from ordinary (Euclidean) k-means over the augmented
    vectors.

    Args:
        item_emb (Tensor): ``[num_items, d]``.
        item_mask (np.ndarray, optional): boolean ``[num_items]``; only ``True``
            items are indexed (candidate filters).
        lists (int, optional): k-means lists. (default: :func:`lists_for`)
        seed (int): k-means seed, so that a rerun returns the same lists.
            (default: ``0``)
    """

    def __init__(
        self,
        item_emb: Tensor,
        item_mask: np.ndarray | None = None,
        lists: int | None = None,
        seed: int = 0,
    ) -> None:
        faiss = _faiss()
        vectors = np.ascontiguousarray(item_emb.detach().float().cpu().numpy())
        ids = np.arange(len(vectors), dtype=np.int64)
        if item_mask is not None:
            ids = ids[np.asarray(item_mask, dtype=bool)]
        self.size = len(ids)
        lists = lists or lists_for(max(self.size, 1))
        d = vectors.shape[1]
        # the index does not own its quantizer in FAISS's Python API: keep it alive
        self.quantizer = faiss.IndexFlatL2(d + 1)
        self.index = faiss.IndexIVFFlat(self.quantizer, d + 1, lists, faiss.METRIC_L2)
        self.index.cp.seed = seed
        if self.size:
            chosen = vectors[ids].astype(np.float64)
            norms = (chosen**2).sum(axis=1)
            extra = np.sqrt(np.maximum(norms.max() - norms, 0.0))[:, None]
            augmented = np.ascontiguousarray(np.hstack([chosen, extra]), dtype=np.float32)
            self.index.train(augmented)
            self.index.add_with_ids(augmented, ids)

    def search(self, queries: np.ndarray, k: int, probes: int) -> tuple[np.ndarray, np.ndarray]:
        """``(distances, items)``, each ``[len(queries), k]``, best first; item ``-1`` pads.

        Nearest first in the augmented space, which is highest inner product first.
        """
        self.index.nprobe = probes
        q = np.ascontiguousarray(queries, dtype=np.float32)
        augmented = np.hstack([q, np.zeros((len(q), 1), np.float32)])
        return self.index.search(augmented, k)


def iter_top_k_approximate(
    user_emb: Tensor,
    item_emb: Tensor,
    users: np.ndarray,
    k: int,
    probes: int,
    exclude: CSR | None = None,
    item_mask: np.ndarray | None = None,
    chunk: int = 4096,
    index: ItemIndex | None = None,
) -> Iterator[TopK]:
    """:func:`~socialrec.topk.iter_top_k`'s chunks, searched in an :class:`ItemIndex`.

    Args:
        probes (int): lists searched per user; more is closer to exact and slower.
        index (ItemIndex, optional): an index built beforehand over the same
            items and mask; built here when not given.

    Other arguments as :func:`~socialrec.topk.iter_top_k`.
    """
    k = min(k, item_emb.shape[0])
    index = index or ItemIndex(item_emb, item_mask)
    vectors = user_emb.detach().float().cpu().numpy()
    items_emb = item_emb.detach().float().cpu().numpy()
    for start in range(0, len(users), chunk):
        batch = np.asarray(users[start : start + chunk], dtype=np.int64)
        seen = exclude.degree(batch) if exclude is not None else np.zeros(len(batch), np.int64)
        # enough to survive dropping the user's own items; the rare heavy user of
        # a chunk should not widen everyone's search, so cap it and fall back
        wanted = k + int(min(seen.max(initial=0), 4 * k))
        _, items = index.search(vectors[batch], min(wanted, max(index.size, 1)), probes)
        # exact inner products of the items found (the distances carry rounding of M^2)
        scores = np.einsum("rd,rkd->rk", vectors[batch], items_emb[np.maximum(items, 0)])
        if exclude is not None:
            rows, cols = exclude.gather(batch)
            n = item_emb.shape[0]
            found = np.arange(len(batch))[:, None] * n + items  # (row, item) as one key
            items = np.where((items >= 0) & np.isin(found, rows * n + cols), -1, items)
        valid = items >= 0
        # best score first among each row's survivors, the dropped ones last
        order = np.argsort(np.where(valid, -scores, np.inf), axis=1, kind="stable")[:, :k]
        top_items = np.take_along_axis(items, order, axis=1)
        top_scores = np.take_along_axis(scores, order, axis=1).astype(np.float32)
        top_scores[top_items < 0] = -np.inf
        if top_items.shape[1] < k:  # fewer indexed items than k
            pad = k - top_items.shape[1]
            top_items = np.pad(top_items, ((0, 0), (0, pad)), constant_values=-1)
            top_scores = np.pad(top_scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        # rows short of k that exact scoring could fill: score those exactly
        eligible = index.size - seen  # an upper bound on what the user can get
        short = np.flatnonzero((top_items >= 0).sum(axis=1) < np.minimum(k, eligible))
        if len(short):
            exact = next(
                iter_top_k(
                    user_emb, item_emb, batch[short], k, exclude, item_mask, chunk=len(short)
                )
            )
            top_items[short], top_scores[short] = exact.items, exact.scores
        yield TopK(batch, top_items, top_scores)


def recall_against_exact(approximate: TopK, exact: TopK) -> float:
    """Share of the exact top-K items the approximate top-K also returned."""
    hits = total = 0
    for a, e in zip(approximate.items, exact.items, strict=True):
        want = set(e[e >= 0].tolist())
        hits += len(want & set(a[a >= 0].tolist()))
        total += len(want)
    return hits / total if total else 1.0
