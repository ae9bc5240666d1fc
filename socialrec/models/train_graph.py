r"""The training graph: the fixed sparse operators a model propagates over.

Built once from a snapshot and a set of *training* interactions (validation and
test interactions never enter propagation), then moved to the training device.
Neighbour-sampled training builds one per mini-batch from the sampled subgraph
(:mod:`socialrec.train.sampled`); its nodes then carry their global indices.

Given the training interactions' times, the graph is time-aware:

* with a recency decay :math:`\tau`, each interaction edge is weighted by
  :math:`w = \exp(-(T - t) / \tau)` in the normalised operators and in the
  loss (:func:`recency_weights`), so that what a user did lately shapes their
  embedding most;
* each user's interactions in time order (:class:`UserHistory`), what the
  sequence model reads;
* each interaction's period (:class:`Periods`), for a learned "what is popular
  then" vector per period.

Without times (LastFM has none) both are absent and the models are the static
ones, exactly.

Given the interactions' weights (play counts, ratings), a confidence exponent
weighs each interaction edge by how strongly its user engaged, relative to that
user's typical interaction (:func:`confidence_weights`), in the operators and
in the loss alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from socialrec.export.snapshot import FRIENDS, HAS, GraphSnapshot
from socialrec.models.propagation import (
    SparseOperator,
    bipartite_operators,
    degree,
    square_operator,
)

SECONDS_PER_DAY = 86_400


def recency_weights(
    users: np.ndarray,
    times: np.ndarray,
    tau_days: float,
    num_users: int,
    reference: str = "user",
) -> np.ndarray | None:
    r"""Each interaction's weight :math:`\exp(-(T - t) / \tau)`, :math:`\tau` in
    days; ``None`` when there is nothing to weigh (``tau_days <= 0`` or no known
    time). Interactions without a time (``-1``) get weight 1.

    The age is counted back from ``reference``:

    * ``"user"``: :math:`T = T_u`, the user's own newest interaction. Every
      user's latest weighs 1, so a user last active long ago still trains; what
      predicts a user's *next* step (leave-last-out).
    * ``"global"``: :math:`T` the newest interaction of anyone. Old activity
      fades for everyone alike, so what is popular lately rises; what predicts
      the *future* of the whole graph (a time cut), at the cost of users last
      active long ago.

    On CiaoDVD each won on its own split (``benchmarks/RESULTS.md``, issue 17).
    """
    known = times >= 0
    if tau_days <= 0 or not known.any():
        return None
    if reference == "global":
        newest_of = np.full(len(times), times[known].max(), dtype=np.int64)
    else:
        newest = np.full(num_users, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(newest, users[known], times[known])
        newest_of = newest[users]
    age_days = (newest_of - times) / SECONDS_PER_DAY
    return np.where(known, np.exp(-age_days / tau_days), 1.0)


#: Confidence weights are clipped to this range: a user's one 50,000-play artist
#: must not drown their other interactions, nor a single play vanish.
CONFIDENCE_RANGE = (0.05, 20.0)


def usable_weights(weights: np.ndarray) -> np.ndarray:
    """Which interaction weights can carry confidence: finite and not negative."""
    return np.isfinite(weights) & (weights >= 0)


def confidence_weights(
    users: np.ndarray, weights: np.ndarray, exponent: float, num_users: int
) -> np.ndarray | None:
    r"""Each interaction's confidence :math:`c_{ui} = (\log(1 + r_{ui}) /
    \overline{\log(1 + r_u)})^{\gamma}`, clipped to :data:`CONFIDENCE_RANGE`,
    with :math:`r_{ui}` the interaction's weight, :math:`\overline{\log(1 +
    r_u)}` its user's mean and :math:`\gamma` the ``exponent``; ``None`` when
    there is nothing to weigh (``exponent <= 0`` or no usable weight).
    Interactions without a usable weight (``NaN``, negative) weigh 1.

    Implicit feedback's strength is confidence in a preference, not a rating
    of it (`Hu, Koren and Volinsky, "Collaborative Filtering for Implicit
    Feedback Datasets", ICDM 2008 <https://doi.org/10.1109/ICDM.2008.22>`_,
    whose :math:`c = 1 + \alpha \log(1 + r/\epsilon)` this follows). The
    logarithm tames heavy-tailed counts, and dividing by the user's own mean
    compares each interaction with what that user usually does, so a heavy
    listener does not outweigh everyone else and every user's interactions keep
    mean weight about 1.
    """
    weights = np.asarray(weights, dtype=np.float64)
    usable = usable_weights(weights)
    if exponent <= 0 or not usable.any():
        return None
    strength = np.log1p(np.where(usable, weights, 0.0))
    total = np.bincount(users, weights=strength, minlength=num_users)
    count = np.bincount(users, weights=usable.astype(np.float64), minlength=num_users)
    mean = np.divide(total, count, out=np.zeros(num_users), where=count > 0)[users]
    # a user whose every weight is 0 (or unusable) has nothing to compare with
    ratio = np.divide(strength, mean, out=np.ones(len(users)), where=mean > 0)
    low, high = CONFIDENCE_RANGE
    return np.where(usable, np.clip(ratio**exponent, low, high), 1.0)


@dataclass(frozen=True)
class Weighting:
    """How a training graph weighs and orders its interactions (all off by default).

    Attributes:
        recency_days / recency_reference: :func:`recency_weights`' decay and
            reference, for the operators and the loss.
        history: keep each user's interactions in time order (:class:`UserHistory`).
        popularity_debias: :func:`popularity_weights`' exponent, for the loss only.
        period_days: the length of a :class:`Periods` bin (0: none).
        confidence: :func:`confidence_weights`' exponent, for the operators and
            the loss (0: none).
    """

    recency_days: float = 0.0
    recency_reference: str = "user"
    history: bool = False
    popularity_debias: float = 0.0
    period_days: float = 0.0
    confidence: float = 0.0


@dataclass
class Periods:
    """Interaction times cut into periods of equal length (day ``0`` is the oldest).

    Attributes:
        edge: each training interaction's period, in the order given
            (interactions without a time: the oldest period).
        user_latest: each user's newest interaction's period (users without
            one: the newest period), the period a user is served in.
        count: the number of periods.
    """

    edge: Tensor
    user_latest: Tensor
    count: int

    @classmethod
    def build(
        cls, users: np.ndarray, times: np.ndarray, days: float, num_users: int
    ) -> Periods | None:
        known = times >= 0
        if days <= 0 or not known.any():
            return None
        start = times[known].min()
        period = np.where(known, (times - start) // int(days * SECONDS_PER_DAY), 0).astype(np.int64)
        count = int(period.max()) + 1
        latest = np.full(num_users, -1, dtype=np.int64)
        np.maximum.at(latest, users[known], period[known])
        latest[latest < 0] = count - 1
        return cls(torch.from_numpy(period), torch.from_numpy(latest), count)

    def to(self, device: torch.device | str) -> Periods:
        return Periods(self.edge.to(device), self.user_latest.to(device), self.count)


#: The most a positive of a rare item may weigh against one of the most popular
#: (inverse-propensity weights are clipped, or a few rare items dominate the loss).
POPULARITY_WEIGHT_CAP = 100.0


def popularity_weights(items: np.ndarray, num_items: int, exponent: float) -> np.ndarray | None:
    r"""Inverse-propensity weights of training positives: :math:`w_i = (n_i /
    n_{max})^{-\gamma}`, clipped at :data:`POPULARITY_WEIGHT_CAP`, with :math:`n_i` the
    item's training interactions and :math:`\gamma` the ``exponent`` (``None`` when
    ``exponent`` is 0).

    Popular items are observed more because they are shown more, not only
    because they are liked more; weighting each observed positive by the inverse
    of its (popularity-modelled) propensity makes BPR estimate the loss of an
    exposure-unbiased ranking (`Saito et al., "Unbiased Recommender Learning from
    Missing-Not-At-Random Implicit Feedback", WSDM 2020
    <https://arxiv.org/abs/1909.03601>`_, with the power-law propensity of
    `Yang et al., RecSys 2018 <https://doi.org/10.1145/3240323.3240355>`_), which
    lifts long-tail items at a measured cost in accuracy.
    """
    if exponent <= 0 or len(items) == 0:
        return None
    counts = np.bincount(items, minlength=num_items).astype(np.float64)
    w = (counts[items] / counts.max()) ** (-exponent)
    return np.minimum(w, POPULARITY_WEIGHT_CAP)


@dataclass
class UserHistory:
    """Each user's training interactions in time order (oldest first), as CSR.

    Attributes:
        ptr: ``[U + 1]`` offsets: user ``u``'s items are ``item[ptr[u]:ptr[u + 1]]``.
        item: the items, grouped by user, oldest first (ties in the given order).
        position: for each training interaction, in the order given, its index
            in its user's list: what the user had done before it is
            ``item[ptr[u]:ptr[u] + position]``.
    """

    ptr: Tensor
    item: Tensor
    position: Tensor

    @classmethod
    def build(
        cls, users: np.ndarray, items: np.ndarray, times: np.ndarray, num_users: int
    ) -> UserHistory:
        order = np.lexsort((times, users))  # by user, then oldest first (stable)
        counts = np.bincount(users, minlength=num_users)
        ptr = np.concatenate([[0], np.cumsum(counts)])
        position = np.empty(len(users), dtype=np.int64)
        position[order] = np.arange(len(users)) - ptr[users[order]]
        return cls(
            torch.from_numpy(ptr).long(),
            torch.from_numpy(items[order]).long(),
            torch.from_numpy(position),
        )

    def before(self, users: Tensor, position: Tensor, length: int) -> tuple[Tensor, Tensor]:
        """The ``length`` items each user had interacted with before ``position``,
        newest first: ``([B, length]`` items, ``[B, length]`` mask of the real ones)."""
        back = torch.arange(1, length + 1, device=users.device)
        index = position.unsqueeze(1) - back  # position - 1, position - 2, ...
        mask = index >= 0
        flat = (self.ptr[users].unsqueeze(1) + index.clamp(min=0)).clamp(max=len(self.item) - 1)
        return self.item[flat] * mask, mask

    def latest(self, users: Tensor, length: int) -> tuple[Tensor, Tensor]:
        """Each user's ``length`` newest items (what serving and evaluation attend over)."""
        return self.before(users, self.ptr[users + 1] - self.ptr[users], length)

    def to(self, device: torch.device | str) -> UserHistory:
        return UserHistory(self.ptr.to(device), self.item.to(device), self.position.to(device))


@dataclass
class TrainGraph:
    """Operators and degrees of one training graph.

    Attributes:
        item_to_user / user_to_item: LightGCN's normalised bipartite halves.
        friends: symmetric-normalised friendship operator (``None`` without friends).
        friend_index: ``[2, F]`` friendship edges, both directions (for attention).
        item_attributes: row-normalised item -> attribute operator (``None`` without).
        user_degree / item_degree: training interactions per user / item.
        user_friends: friends per user.
        user_ids / item_ids / attribute_ids: for a sampled subgraph, the global
            index of each local node (``None``: the graph is the whole graph).
        interaction_weight: each training interaction's weight in the loss
            (recency times confidence times popularity debiasing), in the order
            given, with mean 1 (``None``: unweighted).
        history: each user's interactions in time order (``None`` without times,
            or when no model asked for them).
        periods: each interaction's period (``None`` without times or periods).
    """

    num_users: int
    num_items: int
    num_attributes: int
    item_to_user: SparseOperator
    user_to_item: SparseOperator
    friends: SparseOperator | None
    friend_index: Tensor
    item_attributes: SparseOperator | None
    user_degree: Tensor
    item_degree: Tensor
    user_friends: Tensor
    user_ids: Tensor | None = None
    item_ids: Tensor | None = None
    attribute_ids: Tensor | None = None
    interaction_weight: Tensor | None = None
    history: UserHistory | None = None
    periods: Periods | None = None

    @classmethod
    def build(
        cls,
        snapshot: GraphSnapshot,
        train: np.ndarray,
        times: np.ndarray | None = None,
        weighting: Weighting | None = None,
        weights: np.ndarray | None = None,
    ) -> TrainGraph:
        """``train`` is a ``[2, E]`` array of (user, item) training interactions;
        see :meth:`from_data` for the rest."""
        return cls.from_data(snapshot.data, train, times, weighting, weights)

    @classmethod
    def from_data(
        cls,
        data: HeteroData,
        train: np.ndarray,
        times: np.ndarray | None = None,
        weighting: Weighting | None = None,
        weights: np.ndarray | None = None,
    ) -> TrainGraph:
        """Operators of ``data``'s friendships and item attributes and of the
        ``train`` (user, item) interactions (``[2, E]``, indices into ``data``).

        ``times`` are the interactions' times (``-1`` unknown), which the
        ``weighting``'s recency and history need; ``weights`` their weights
        (``NaN`` unknown), which its confidence needs.
        """
        weighting = weighting or Weighting()
        n_u, n_i = data["user"].num_nodes, data["item"].num_nodes
        n_a = data["attribute"].num_nodes
        users = torch.from_numpy(np.ascontiguousarray(train[0])).long()
        items = torch.from_numpy(np.ascontiguousarray(train[1])).long()
        weight = None
        if times is not None:
            weight = recency_weights(
                train[0], times, weighting.recency_days, n_u, weighting.recency_reference
            )
        if weights is not None:
            confidence = confidence_weights(train[0], weights, weighting.confidence, n_u)
            if confidence is not None:
                weight = confidence if weight is None else weight * confidence
        weight_t = None if weight is None else torch.from_numpy(weight)
        to_user, to_item = bipartite_operators(users, items, n_u, n_i, weight_t)
        loss_weight = popularity_weights(train[1], n_i, weighting.popularity_debias)
        if weight is not None:
            loss_weight = weight if loss_weight is None else weight * loss_weight
        user_history = None
        if times is not None and weighting.history and (times >= 0).any():
            user_history = UserHistory.build(train[0], train[1], times, n_u)
        friend_index = data[FRIENDS].edge_index if FRIENDS in data.edge_types else None
        if friend_index is None or friend_index.numel() == 0:
            friend_index = torch.empty(2, 0, dtype=torch.long)
        friends = (
            square_operator(friend_index[0], friend_index[1], n_u) if friend_index.numel() else None
        )
        item_attributes = None
        if HAS in data.edge_types and data[HAS].edge_index.numel() and n_a:
            ia = data[HAS].edge_index
            w = data[HAS].edge_weight.clone()
            w = torch.where(torch.isfinite(w) & (w > 0), w, torch.ones_like(w))
            w = torch.log1p(w)  # dampen "tagged by 500 users" against "by 1"
            row_sum = torch.zeros(n_i).index_add_(0, ia[0], w)
            item_attributes = SparseOperator.from_edges(
                ia[0], ia[1], w / row_sum[ia[0]], (n_i, n_a)
            )
        return cls(
            num_users=n_u,
            num_items=n_i,
            num_attributes=n_a,
            item_to_user=to_user,
            user_to_item=to_item,
            friends=friends,
            friend_index=friend_index,
            item_attributes=item_attributes,
            user_degree=degree(users, n_u),
            item_degree=degree(items, n_i),
            user_friends=degree(friend_index[0], n_u),
            interaction_weight=(
                None
                if loss_weight is None
                else torch.from_numpy(loss_weight / loss_weight.mean()).to(torch.float32)
            ),
            history=user_history,
            periods=(
                None
                if times is None
                else Periods.build(train[0], times, weighting.period_days, n_u)
            ),
        )

    def to(self, device: torch.device | str) -> TrainGraph:
        return replace(
            self,
            item_to_user=self.item_to_user.to(device),
            user_to_item=self.user_to_item.to(device),
            friends=self.friends.to(device) if self.friends else None,
            friend_index=self.friend_index.to(device),
            item_attributes=self.item_attributes.to(device) if self.item_attributes else None,
            user_degree=self.user_degree.to(device),
            item_degree=self.item_degree.to(device),
            user_friends=self.user_friends.to(device),
            user_ids=None if self.user_ids is None else self.user_ids.to(device),
            item_ids=None if self.item_ids is None else self.item_ids.to(device),
            attribute_ids=None if self.attribute_ids is None else self.attribute_ids.to(device),
            interaction_weight=(
                None if self.interaction_weight is None else self.interaction_weight.to(device)
            ),
            history=None if self.history is None else self.history.to(device),
            periods=None if self.periods is None else self.periods.to(device),
        )
