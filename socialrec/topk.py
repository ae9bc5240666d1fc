"""Top-K items per user from embeddings, in bounded memory.

Scores are inner products :math:`s_{ui} = \\mathbf{e}_u^\\top \\mathbf{e}_i`,
computed for a chunk of users at a time on the embeddings' device, so a users x
items matrix never exists whole: a chunk of 1,024 users over 1 M items is 4 GB
of float32 at most, and callers choose smaller chunks for larger catalogues.
Items in the user's ``exclude`` row (what they already interacted with) and
items outside ``item_mask`` are never returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class CSR:
    """Per-row neighbour lists: row ``r``'s columns are ``cols[indptr[r]:indptr[r + 1]]``."""

    indptr: np.ndarray
    cols: np.ndarray
    values: np.ndarray | None = None

    @classmethod
    def from_edges(cls, edges: np.ndarray, n_rows: int, values: np.ndarray | None = None) -> CSR:
        """Rows from ``edges[0]``, columns from ``edges[1]`` (order within a row kept)."""
        order = np.argsort(edges[0], kind="stable")
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(edges[0], minlength=n_rows), out=indptr[1:])
        return cls(indptr, edges[1][order], None if values is None else values[order])

    def degree(self, rows: np.ndarray) -> np.ndarray:
        return self.indptr[rows + 1] - self.indptr[rows]

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(position of the row in rows, column)`` for every entry of ``rows``."""
        lengths = self.degree(rows)
        which = np.repeat(np.arange(len(rows)), lengths)
        if not len(which):
            return which, np.empty(0, dtype=np.int64)
        starts = np.repeat(self.indptr[rows], lengths)
        offsets = np.arange(len(which)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return which, self.cols[starts + offsets]


def tail_items(popularity: np.ndarray, head_share: float = 0.2) -> np.ndarray:
    """Boolean mask of long-tail items: all but the ``head_share`` most popular."""
    n_head = int(np.ceil(len(popularity) * head_share))
    head = np.argsort(-popularity, kind="stable")[:n_head]
    mask = np.ones(len(popularity), dtype=bool)
    mask[head] = False
    return mask


@dataclass(frozen=True)
class TailPenalty:
    r"""Calibrated long-tail re-ranking: for user :math:`u` every head item (the
    20 % most popular) loses

    .. math::
        \beta \, \sigma_u \, \frac{h_u}{\bar h}

    where :math:`\sigma_u` is the spread (std) of the user's scores,
    :math:`h_u` the share of long-tail items among the user's interactions and
    :math:`\bar h` its mean over users. A user who listens to niche items gets
    more of them, a mainstream user keeps a mainstream list: the list follows
    the user's own popularity profile, as calibrated recommendation does
    (`Steck, RecSys 2018 <https://dl.acm.org/doi/10.1145/3240323.3240372>`_;
    user-centred popularity calibration, `Abdollahpouri et al., UMAP 2021
    <https://arxiv.org/abs/2103.06364>`_). A penalty the same for every user
    moves mainstream users' lists too, where tail items are rarely hits, and
    loses more recall for the same tail share ("LastFM long-tail curve" in
    ``benchmarks/RESULTS.md``). Users with no interactions get :math:`h_u = \bar h`.

    Build it with :meth:`calibrated`; :func:`iter_top_k` applies it.
    """

    head: Tensor  #: float ``[num_items]``, 1 for head items, 0 for the tail
    affinity: Tensor  #: float ``[num_users]``, :math:`h_u / \bar h`
    strength: float

    @classmethod
    def calibrated(
        cls, popularity: np.ndarray, interactions: CSR, strength: float
    ) -> TailPenalty | None:
        """The penalty of ``strength`` (``None`` when it is 0), the tail taken from
        ``popularity`` (interactions per item), each user's affinity from their
        row of ``interactions``."""
        if not strength:
            return None
        tail = tail_items(np.asarray(popularity))
        n_users = len(interactions.indptr) - 1
        degree = np.diff(interactions.indptr)
        rows = np.repeat(np.arange(n_users), degree)
        in_tail = np.bincount(rows, tail[interactions.cols], minlength=n_users)
        has = degree > 0
        share = np.divide(in_tail, degree, out=np.zeros(n_users), where=has)
        mean = share[has].mean() if has.any() else 0.0
        affinity = np.ones(n_users)
        affinity[has] = share[has] / mean if mean > 0 else 0.0
        return cls(
            torch.as_tensor(~tail, dtype=torch.float32),
            torch.as_tensor(affinity, dtype=torch.float32),
            float(strength),
        )


@dataclass
class TopK:
    """``items[r]`` / ``scores[r]``: the ranked recommendations of ``users[r]``.

    Rows hold ``k`` entries; where fewer than ``k`` items were eligible the tail
    is padded with item ``-1`` and score ``-inf``.
    """

    users: np.ndarray
    items: np.ndarray
    scores: np.ndarray


def iter_top_k(
    user_emb: Tensor,
    item_emb: Tensor,
    users: np.ndarray,
    k: int,
    exclude: CSR | None = None,
    item_mask: np.ndarray | None = None,
    tail_penalty: TailPenalty | None = None,
    chunk: int = 1024,
) -> Iterator[TopK]:
    """Yield the top-``k`` of each chunk of ``users``.

    Args:
        user_emb (Tensor): ``[num_users, d]``.
        item_emb (Tensor): ``[num_items, d]``, on the same device.
        users (np.ndarray): user indices to score.
        k (int): recommendations per user (capped at the number of items).
        exclude (CSR, optional): per user, items never to return.
        item_mask (np.ndarray, optional): boolean ``[num_items]``; only
            ``True`` items are candidates (candidate filters).
        tail_penalty (TailPenalty, optional): long-tail re-ranking; the
            scores returned are the re-ranked ones.
        chunk (int): users per matrix product. (default: ``1024``)
    """
    n_items = item_emb.shape[0]
    k = min(k, n_items)
    device = item_emb.device
    # (head mask, strength x affinity per user) of the tail penalty, on the device
    tail = None
    if tail_penalty is not None:
        tail = (
            tail_penalty.head.to(device, item_emb.dtype),
            tail_penalty.affinity.to(device, item_emb.dtype) * tail_penalty.strength,
        )
    blocked = None
    if item_mask is not None:
        blocked = torch.as_tensor(
            np.flatnonzero(~np.asarray(item_mask, dtype=bool)), dtype=torch.int64, device=device
        )
    # Pad the catalogue to whole blocks of BLOCK items (zero vectors, their
    # scores set to -inf) so that the score rows reshape into blocks for
    # block_top_k.
    padded = -(-n_items // BLOCK) * BLOCK if n_items >= BLOCK * k else n_items
    if padded > n_items:
        item_emb = torch.cat([item_emb, item_emb.new_zeros(padded - n_items, item_emb.shape[1])])
    # One score buffer for every chunk: a fresh chunk x items matrix each time
    # costs more in page faults than the matrix product itself (0.4 s vs 1.1 s
    # for 1,000 x 200,000 on 2 cores).
    buffer = torch.empty(min(chunk, len(users)), padded, dtype=item_emb.dtype, device=device)
    for start in range(0, len(users), chunk):
        # no_grad per chunk, not around the loop: a generator suspended inside
        # it would leave gradients off in its caller (and in a long-lived sync
        # process, for the next training) until it is closed
        with torch.no_grad():
            batch = np.asarray(users[start : start + chunk], dtype=np.int64)
            index = torch.as_tensor(batch, device=user_emb.device)
            scores = torch.mm(user_emb[index], item_emb.T, out=buffer[: len(batch)])
            if tail is not None:
                head, affinity = tail
                real = scores[:, :n_items]
                weight = real.std(dim=1) * affinity[index.to(device)]
                real.addr_(weight, head, alpha=-1.0)  # in place: no users x items temporary
            if padded > n_items:
                scores[:, n_items:] = -torch.inf
            if blocked is not None:
                scores.index_fill_(1, blocked, -torch.inf)
            if exclude is not None:
                rows, cols = exclude.gather(batch)
                at = (torch.as_tensor(rows, device=device), torch.as_tensor(cols, device=device))
                scores[at] = -torch.inf
            top_values, top_items = block_top_k(scores, k)
            values = top_values.cpu().numpy()
            items = top_items.cpu().numpy()
            items[np.isneginf(values)] = -1
        yield TopK(batch, items, values)


#: Items a block of :func:`block_top_k`: small enough that the ``k`` blocks it
#: re-reads are few, large enough that the block maxima are few.
BLOCK = 512


def block_top_k(scores: Tensor, k: int, block: int = BLOCK) -> tuple[Tensor, Tensor]:
    """Row-wise ``torch.topk(scores, k)``, exact, reading most scores only once.

    A full ``topk`` over 200,000 columns costs more than the matrix product that
    made them. Instead: the maximum of each block of ``block`` columns (one
    streaming pass), the ``k`` blocks with the largest maxima, and ``topk`` over
    those ``k * block`` scores alone. Exact, because every row's top-``k`` lies
    in its ``k`` best blocks: a score in any other block is below ``k`` block
    maxima, so ``k`` scores beat it. Among equal scores the items returned may
    differ from ``torch.topk``'s, the scores never do.

    Args:
        scores (Tensor): ``[rows, n]``; ``n`` a multiple of ``block`` (else, or
            when there are fewer than ``k`` blocks, plain ``torch.topk`` runs).
        k (int): how many per row.
        block (int): columns per block. (default: :data:`BLOCK`)

    Returns:
        ``(values, indices)``, each ``[rows, k]``, best first.
    """
    rows, n = scores.shape
    n_blocks = n // block
    if n % block or n_blocks < k:
        top = torch.topk(scores, k, dim=1)
        return top.values, top.indices
    blocks = scores.view(rows, n_blocks, block)
    best_blocks = torch.topk(blocks.amax(dim=2), k, dim=1).indices  # [rows, k]
    candidates = torch.gather(blocks, 1, best_blocks.unsqueeze(2).expand(rows, k, block))
    values, at = torch.topk(candidates.reshape(rows, k * block), k, dim=1)
    indices = best_blocks.gather(1, at // block) * block + at % block
    return values, indices


def top_k(
    user_emb: Tensor,
    item_emb: Tensor,
    users: np.ndarray,
    k: int,
    exclude: CSR | None = None,
    item_mask: np.ndarray | None = None,
    tail_penalty: TailPenalty | None = None,
    chunk: int = 1024,
) -> TopK:
    """All of :func:`iter_top_k` in one :class:`TopK`."""
    parts = list(iter_top_k(user_emb, item_emb, users, k, exclude, item_mask, tail_penalty, chunk))
    if not parts:
        width = min(k, item_emb.shape[0])
        return TopK(
            np.empty(0, np.int64), np.empty((0, width), np.int64), np.empty((0, width), np.float32)
        )
    return TopK(
        np.concatenate([p.users for p in parts]),
        np.concatenate([p.items for p in parts]),
        np.concatenate([p.scores for p in parts]),
    )
