"""A trained model's embeddings lined up with a snapshot, ready to recommend.

A checkpoint knows the Neo4j ids it was trained on; the snapshot says what the
graph holds now (interactions to exclude, friends to name, nodes added or
deleted since). :class:`Scorer` puts both in the snapshot's index space:

* users and items the checkpoint knows keep their trained embeddings;
* nodes added since training get an **inductive** embedding, the mean of their
  known neighbours' embeddings (a new user: friends and interacted items; a new
  item: the users who interacted with it). This is the rule
  ``cypher/recommend_cold_start.cypher`` applies inside Neo4j, so a user gets
  the same kind of answer from both paths;
* deleted nodes and nodes with no known neighbour get none: they are neither
  scored nor recommended;
* with a time-aware model, known users with interactions added since training
  have them folded in, weighted as their most recent (:meth:`Scorer.refresh_recent`).

``because`` names, for each recommendation, the user's friends who interacted
with the item, heaviest interaction first: the stored explanation on every
``RECOMMENDED`` relationship.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from socialrec.checkpoint import Checkpoint
from socialrec.errors import ConfigError, SocialrecError
from socialrec.export.snapshot import FRIENDS, INTERACTS, GraphSnapshot
from socialrec.ids import is_integer
from socialrec.mapping import GraphMapping
from socialrec.pairs import lookup_sorted, pair_keys, positions
from socialrec.score.ann import index_pays_off, iter_top_k_approximate
from socialrec.topk import CSR, TailPenalty, TopK, iter_top_k


class ScoringError(SocialrecError):
    """Embeddings and snapshot do not fit together."""


@dataclass
class Recommendations:
    """One batch of recommendations in Neo4j ids (what writeback sends).

    ``items[r][j]`` is the ``j+1``-th recommendation of ``users[r]``, with
    ``scores[r][j]`` and ``because[r][j]`` (friend ids, possibly empty);
    ``because`` is None when no friends were asked for (``because=0``: the
    writeback, whose queries read them at query time).
    """

    users: list[Any]
    items: list[list[Any]]
    scores: list[list[float]]
    because: list[list[list[Any]]] | None

    def __len__(self) -> int:
        return sum(len(row) for row in self.items)

    def split(self, users: int) -> Iterator[Recommendations]:
        """This batch in pieces of at most ``users`` users, in order."""
        for s in range(0, len(self.users), users):
            e = s + users
            because = None if self.because is None else self.because[s:e]
            yield Recommendations(self.users[s:e], self.items[s:e], self.scores[s:e], because)


def _mean_of_neighbours(
    target_rows: np.ndarray, csr: CSR, source_emb: Tensor, source_known: np.ndarray
) -> tuple[Tensor, np.ndarray]:
    """Mean embedding of each target row's known neighbours; and which rows had any."""
    which, cols = csr.gather(target_rows)
    keep = source_known[cols]
    which, cols = which[keep], cols[keep]
    sums = torch.zeros(len(target_rows), source_emb.shape[1], dtype=source_emb.dtype)
    sums.index_add_(0, torch.as_tensor(which), source_emb[torch.as_tensor(cols)])
    counts = np.bincount(which, minlength=len(target_rows))
    has = counts > 0
    means = sums / torch.as_tensor(np.maximum(counts, 1), dtype=source_emb.dtype)[:, None]
    return means, has


class Scorer:
    """Recommend from user/item embeddings aligned to ``snapshot``'s indices.

    Args:
        snapshot (GraphSnapshot): the current graph.
        user_embedding (Tensor): ``[num_users, d]`` in the snapshot's user order.
        item_embedding (Tensor): ``[num_items, d]`` in the snapshot's item order.
        user_known (np.ndarray): which users have an embedding.
        item_known (np.ndarray): which items have an embedding.
    """

    def __init__(
        self,
        snapshot: GraphSnapshot,
        user_embedding: Tensor,
        item_embedding: Tensor,
        user_known: np.ndarray | None = None,
        item_known: np.ndarray | None = None,
    ) -> None:
        n_users, n_items = snapshot.num_nodes("user"), snapshot.num_nodes("item")
        if user_embedding.shape[0] != n_users or item_embedding.shape[0] != n_items:
            raise ScoringError(
                f"embeddings for {user_embedding.shape[0]} users / {item_embedding.shape[0]} "
                f"items do not match the snapshot's {n_users} / {n_items}"
            )
        self.snapshot = snapshot
        self.user_embedding = user_embedding.detach().float().cpu()
        self.item_embedding = item_embedding.detach().float().cpu()
        self.user_known = np.ones(n_users, bool) if user_known is None else user_known.copy()
        self.item_known = np.ones(n_items, bool) if item_known is None else item_known.copy()
        for node_type, known in (("user", self.user_known), ("item", self.item_known)):
            removed = snapshot.removed.get(node_type)
            if removed is not None:
                known &= ~removed
        inter = snapshot.data[INTERACTS].edge_index.numpy()
        weight = getattr(snapshot.data[INTERACTS], "edge_weight", None)
        self.interactions = CSR.from_edges(
            inter, n_users, None if weight is None else weight.numpy()
        )
        self.friends = CSR.from_edges(snapshot.data[FRIENDS].edge_index.numpy(), n_users)
        self._keys: tuple[np.ndarray, np.ndarray] | None = None
        # the tail penalty at strength 1, computed on first use: one pass over
        # every interaction, which never change after construction
        self._tail_unit: TailPenalty | None = None
        #: Indices of the nodes :meth:`embed_new_nodes` gave an embedding.
        self.inductive: dict[str, np.ndarray] = {
            "user": np.empty(0, np.int64),
            "item": np.empty(0, np.int64),
        }

    @classmethod
    def from_checkpoint(
        cls, checkpoint: Checkpoint, snapshot: GraphSnapshot, inductive: bool = True
    ) -> Scorer:
        """Line up a :class:`~socialrec.checkpoint.Checkpoint` with ``snapshot``.

        Ids of both are canonical (:mod:`socialrec.ids`), so a checkpoint trained
        on string ids lines up with a snapshot of string ids, whichever file or
        export they came from. With ``inductive``, nodes the checkpoint has never
        seen get the mean of their known neighbours' embeddings.
        """
        if (
            GraphMapping.from_dict(checkpoint.mapping).fingerprint()
            != snapshot.mapping.fingerprint()
        ):
            raise ScoringError(
                "the checkpoint was trained with another mapping than the snapshot's"
            )
        d = checkpoint.user_embedding.shape[1]
        out: dict[str, tuple[Tensor, np.ndarray]] = {}
        trained_emb = {"user": checkpoint.user_embedding, "item": checkpoint.item_embedding}
        for node_type in ("user", "item"):
            trained = checkpoint.ids[node_type]
            current = snapshot.ids[node_type]
            if trained.dtype != current.dtype and len(trained) and len(current):
                kinds = {True: "integers", False: "strings"}
                raise ScoringError(
                    f"{node_type} ids are {kinds[is_integer(trained)]} in the checkpoint but "
                    f"{kinds[is_integer(current)]} in the snapshot: the database's "
                    f"{node_type} id property changed type since training; train again"
                )
            where = positions(trained, current) if len(trained) else np.full(len(current), -1)
            known = where >= 0
            emb = torch.zeros(len(current), d)
            emb[torch.as_tensor(known)] = trained_emb[node_type].float()[
                torch.as_tensor(where[known])
            ]
            out[node_type] = (emb, known)
        scorer = cls(snapshot, out["user"][0], out["item"][0], out["user"][1], out["item"][1])
        if inductive:
            scorer.embed_new_nodes()
        return scorer

    # -- inductive embeddings --------------------------------------------------

    def embed_new_nodes(self) -> dict[str, int]:
        """Give unknown items, then unknown users, the mean of their known neighbours.

        Returns how many nodes of each type got an embedding this way.
        """
        counts = {}
        new_items = np.flatnonzero(~self.item_known & ~self._removed("item"))
        if len(new_items):
            means, has = _mean_of_neighbours(
                new_items, self._item_users(), self.user_embedding, self.user_known
            )
            self.item_embedding[torch.as_tensor(new_items[has])] = means[torch.as_tensor(has)]
            self.item_known[new_items[has]] = True
            self.inductive["item"] = new_items[has]
        counts["item"] = int(len(new_items) and has.sum())
        new_users = np.flatnonzero(~self.user_known & ~self._removed("user"))
        if len(new_users):
            # A new user is the mean of friends' and interacted items' embeddings.
            f_means, f_has = _mean_of_neighbours(
                new_users, self.friends, self.user_embedding, self.user_known
            )
            i_means, i_has = _mean_of_neighbours(
                new_users, self.interactions, self.item_embedding, self.item_known
            )
            f_n = torch.as_tensor(self.friends.degree(new_users) * f_has, dtype=torch.float32)
            i_n = torch.as_tensor(self.interactions.degree(new_users) * i_has, dtype=torch.float32)
            total = (f_n + i_n).clamp(min=1)[:, None]
            means = (f_means * f_n[:, None] + i_means * i_n[:, None]) / total
            has = f_has | i_has
            self.user_embedding[torch.as_tensor(new_users[has])] = means[torch.as_tensor(has)]
            self.user_known[new_users[has]] = True
            self.inductive["user"] = new_users[has]
        counts["user"] = int(len(new_users) and has.sum())
        return counts

    def refresh_recent(self, fresh: np.ndarray, tau_days: float) -> int:
        r"""Fold each known user's ``fresh`` interactions (a mask over the snapshot's
        interactions: those added since training) into their embedding, as the
        time-aware model weighs them: the newest.

        .. math::
            \mathbf{e}_u \leftarrow (1 - a_u)\, \mathbf{e}_u + a_u\, \bar{\mathbf{e}}_{F(u)},
            \qquad a_u = \frac{\sum_{i \in F(u)} w_{ui}}{\sum_{i \in N(u)} w_{ui}}

        with :math:`F(u)` the user's fresh items, :math:`\bar{\mathbf{e}}_{F(u)}`
        their recency-weighted mean and :math:`w` the training's recency weights
        (:func:`~socialrec.models.train_graph.recency_weights`, counted back from
        the user's newest interaction, so the fresh ones weigh about 1 and a
        user's years-old history little). Users embedded inductively this run
        already include everything. Returns how many users were refreshed.
        """
        from socialrec.models.train_graph import recency_weights

        store = self.snapshot.data[INTERACTS]
        users, items = store.edge_index.numpy()
        n_users = self.snapshot.num_nodes("user")
        w = recency_weights(users, store.edge_time.numpy(), tau_days, n_users)
        w = np.ones(len(users)) if w is None else w
        usable = self.user_known[users] & self.item_known[items]
        usable[np.isin(users, self.inductive["user"])] = False
        take = fresh & usable
        if not take.any():
            return 0
        total = np.bincount(users[usable], weights=w[usable], minlength=n_users)
        fresh_w = np.bincount(users[take], weights=w[take], minlength=n_users)
        sums = torch.zeros_like(self.user_embedding).index_add_(
            0,
            torch.as_tensor(users[take]),
            self.item_embedding[torch.as_tensor(items[take])]
            * torch.as_tensor(w[take], dtype=torch.float32)[:, None],
        )
        refreshed = np.unique(users[take])
        idx = torch.as_tensor(refreshed)
        share = torch.as_tensor(fresh_w[refreshed] / total[refreshed], dtype=torch.float32)[:, None]
        mean = sums[idx] / torch.as_tensor(fresh_w[refreshed], dtype=torch.float32)[:, None]
        self.user_embedding[idx] = (1 - share) * self.user_embedding[idx] + share * mean
        return len(refreshed)

    def _item_users(self) -> CSR:
        """Each item's users; built only when there are new items to embed."""
        inter = self.snapshot.data[INTERACTS].edge_index.numpy()
        return CSR.from_edges(inter[::-1].copy(), self.snapshot.num_nodes("item"))

    def _removed(self, node_type: str) -> np.ndarray:
        removed = self.snapshot.removed.get(node_type)
        n = self.snapshot.num_nodes(node_type)
        return np.zeros(n, bool) if removed is None else removed

    # -- recommending ----------------------------------------------------------

    def user_indices(self, user_ids: Sequence[Any] | None = None) -> np.ndarray:
        """Indices of the given users (all scorable users when ``None``)."""
        if user_ids is None:
            return np.flatnonzero(self.user_known)
        idx = self.snapshot.index_of("user", list(user_ids))
        missing = [u for u, i in zip(user_ids, idx, strict=True) if i < 0]
        if missing:
            raise ScoringError(f"unknown user ids {missing[:5]} (not in the snapshot)")
        return idx[self.user_known[idx]]

    def top_k(
        self,
        k: int,
        users: np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
        chunk: int = 1024,
        device: str | torch.device = "cpu",
        tail: float = 0.0,
        probes: int = 0,
    ) -> Iterator[TopK]:
        """Top-``k`` per user index, excluding items each user interacted with.

        ``tail`` > 0 re-ranks towards the long tail, calibrated to each user's
        interactions (:class:`socialrec.topk.TailPenalty`, the tail taken from
        the popularity among all interactions); the scores returned are the
        re-ranked ones. ``probes`` > 0 searches a FAISS index of the items
        instead of scoring every one (:mod:`socialrec.score.ann`).
        """
        users = self.user_indices() if users is None else users
        mask = self.item_known if item_mask is None else (self.item_known & item_mask)
        if probes and tail:
            raise ConfigError(
                "the tail penalty re-ranks by every item's score, approximate scoring "
                "looks at few: use one or the other"
            )
        # a few thousand users (an incremental run) score faster exactly than the
        # index builds, and exactly
        if probes and index_pays_off(len(users), int(mask.sum())):
            yield from iter_top_k_approximate(
                self.user_embedding, self.item_embedding, users, k, probes,
                exclude=self.interactions, item_mask=mask, chunk=chunk,
            )  # fmt: skip
            return
        yield from iter_top_k(
            self.user_embedding.to(device),
            self.item_embedding.to(device),
            users,
            k,
            exclude=self.interactions,
            item_mask=mask,
            tail_penalty=self._tail_penalty(tail),
            chunk=chunk,
        )

    def _tail_penalty(self, strength: float) -> TailPenalty | None:
        """The calibrated tail penalty of ``strength`` (``None`` at 0), the tail
        taken from the popularity among all interactions."""
        if not strength:
            return None
        if self._tail_unit is None:
            popularity = np.bincount(self.interactions.cols, minlength=len(self.item_known))
            unit = TailPenalty.calibrated(popularity, self.interactions, 1.0)
            assert unit is not None  # only strength 0 gives none
            self._tail_unit = unit
        return replace(self._tail_unit, strength=float(strength))

    def recommendations(
        self,
        k: int,
        users: np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
        because: int = 3,
        chunk: int = 1024,
        device: str | torch.device = "cpu",
        tail: float = 0.0,
        probes: int = 0,
    ) -> Iterator[Recommendations]:
        """:meth:`top_k` in Neo4j ids with explanations, one chunk of users at a time."""
        for top in self.top_k(k, users, item_mask, chunk, device, tail, probes):
            yield self.to_recommendations(top, because)

    def to_recommendations(self, top: TopK, because: int = 3) -> Recommendations:
        """``top`` (indices) in Neo4j ids, pads dropped, with up to ``because`` friends.

        ``because=0`` leaves ``because`` None. Building a million empty friend
        lists and converting row by row took 2 s of the writer's client for
        1 M relationships ("Writeback after a restart, what it says").
        """
        user_ids, item_ids = self.snapshot.ids["user"], self.snapshot.ids["item"]
        users = user_ids[top.users].tolist()
        valid = top.items >= 0
        if because <= 0 and valid.all():  # the writer's case: whole arrays at once
            items = item_ids[top.items].tolist()
            return Recommendations(users, items, top.scores.astype(float).tolist(), None)
        friends = self.friends_who_interacted(top, because) if because > 0 else None
        items, scores, reasons = [], [], []
        for r in range(len(top.users)):
            keep = valid[r]
            items.append(item_ids[top.items[r][keep]].tolist())
            scores.append(top.scores[r][keep].astype(float).tolist())
            if friends is not None:
                reasons.append([friends[r][j] for j in np.flatnonzero(keep)])
        return Recommendations(users, items, scores, reasons if friends is not None else None)

    def _interaction_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ``user * n_items + item`` keys of all interactions, with their weights."""
        if self._keys is None:
            inter = self.interactions
            owner = np.repeat(np.arange(len(inter.indptr) - 1), np.diff(inter.indptr))
            keys = pair_keys(owner, inter.cols, self.snapshot.num_nodes("item"))
            order = np.argsort(keys, kind="stable")
            weights = inter.values if inter.values is not None else np.ones(len(keys))
            self._keys = (keys[order], np.asarray(weights, dtype=np.float64)[order])
        return self._keys

    def friends_who_interacted(self, top: TopK, limit: int) -> list[list[list[Any]]]:
        """For each recommendation in ``top``: up to ``limit`` friend ids, heaviest first."""
        n_rows, k = top.items.shape
        out: list[list[list[Any]]] = [[[] for _ in range(k)] for _ in range(n_rows)]
        if limit <= 0 or n_rows == 0:
            return out
        row, friend = self.friends.gather(top.users)
        if not len(row) or not len(self._interaction_keys()[0]):
            return out
        # Every (recommendation, friend of its user) pair, as a key into the
        # sorted interaction keys friend * n_items + item.
        n_items = self.snapshot.num_nodes("item")
        pair_row = np.repeat(row, k)
        pair_rank = np.tile(np.arange(k), len(row))
        pair_friend = np.repeat(friend, k)
        pair_item = top.items[pair_row, pair_rank]
        keys = pair_keys(pair_friend, pair_item, n_items)
        sorted_keys, sorted_weights = self._interaction_keys()
        at, found = lookup_sorted(sorted_keys, keys)
        hit = found & (pair_item >= 0)
        weights = sorted_weights[at][hit]
        slot = (pair_row * k + pair_rank)[hit]
        who = pair_friend[hit]
        # Heaviest interaction first within each recommendation, then keep `limit`.
        order2 = np.lexsort((-np.nan_to_num(weights, nan=0.0), slot))
        slot, who = slot[order2], who[order2]
        first = np.searchsorted(slot, slot, side="left")
        keep = (np.arange(len(slot)) - first) < limit
        user_ids = self.snapshot.ids["user"]
        for s, f in zip(slot[keep].tolist(), user_ids[who[keep]].tolist(), strict=True):
            out[s // k][s % k].append(f)
        return out
