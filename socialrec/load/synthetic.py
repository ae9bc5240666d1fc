"""A seeded synthetic social-recommendation graph, generated in bounded memory.

The generator plants the signals a social recommender should find:

* **communities**: user ``u`` belongs to community ``u % communities``; each
  community prefers a few attributes (genres), and most of a user's
  interactions come from those;
* **homophily**: a friend is drawn from the user's own community with
  probability ``homophily``;
* **social influence**: a share ``friend_influence`` of a user's interactions
  copy a friend's personal favourites;
* **popularity skew**: within an attribute, item popularity follows a Zipf law;
* **item attributes**: each item has a primary attribute (``item % attributes``)
  plus random extra ones, so attribute-aware models can score cold items;
* **time and taste drift**: every interaction has a time within one year; with
  ``drift > 0`` a user's own picks move towards a second community's taste as
  the year goes on (a pick at year fraction :math:`t` comes from it with
  probability ``drift * t``), and a friend's *recent* picks are copied more
  than their old ones (the later of two candidates), shortly after the friend
  made them. A time-aware model has a planted recent preference to find.

Users are produced in chunks; nothing is kept across chunks, so 1 M users and
10 M interactions need only a chunk's memory. A user's *personal favourites*
are a pure function of ``(seed, user, j)`` (a counter-based hash), which is what
lets a chunk copy the favourites of friends in other chunks without storing
them. The same config and seed always give the same graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from socialrec.load.writer import GraphWriter, LoadReport
from socialrec.progress import Stage

_EPOCH_2024 = 1_704_067_200  # 2024-01-01T00:00:00Z
_YEAR = 365 * 24 * 3600
_FAVOURITES_SHARED = 8  # a friend's favourites that can be copied: picks j < 8
_COPY_LAG = 7 / 365  # mean delay (year fraction) between a friend's pick and its copy


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and shape of the synthetic graph.

    Args:
        users (int): number of users. (default: ``10000``)
        items (int): number of items. (default: ``5000``)
        attributes (int): number of item attributes (genres). (default: ``50``)
        communities (int): number of user communities. (default: ``20``)
        interactions_per_user (float): mean interactions per user, at least 1
            each. (default: ``10.0``)
        friends_per_user (float): mean friendships each user starts; the graph
            has about ``users * friends_per_user`` friendships. (default: ``2.0``)
        homophily (float): probability a friend is from the same community.
            (default: ``0.8``)
        community_taste (float): probability an own pick comes from the
            community's preferred attributes. (default: ``0.8``)
        friend_influence (float): share of interactions copied from friends.
            (default: ``0.3``)
        popularity_exponent (float): Zipf exponent of item popularity.
            (default: ``1.0``)
        attributes_per_item (int): attributes per item, the primary included.
            (default: ``3``)
        drift (float): how far a user's own taste moves, over the year, to a
            second community's preferred attributes (0: not at all; 1: the
            year's last picks come from it). (default: ``0.0``)
        seed (int): random seed. (default: ``0``)
        chunk_users (int): users generated at a time (memory bound).
            (default: ``50000``)
    """

    users: int = 10_000
    items: int = 5_000
    attributes: int = 50
    communities: int = 20
    interactions_per_user: float = 10.0
    friends_per_user: float = 2.0
    homophily: float = 0.8
    community_taste: float = 0.8
    friend_influence: float = 0.3
    popularity_exponent: float = 1.0
    attributes_per_item: int = 3
    drift: float = 0.0
    seed: int = 0
    chunk_users: int = 50_000

    def __post_init__(self) -> None:
        if self.users < 2 or self.items < 1 or self.attributes < 1:
            raise ValueError("need at least 2 users, 1 item and 1 attribute")
        if not 1 <= self.communities <= self.users:
            raise ValueError("communities must be between 1 and the number of users")
        if self.interactions_per_user < 1:
            raise ValueError("interactions_per_user must be at least 1")
        for name in ("homophily", "community_taste", "friend_influence", "drift"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")

    def community_of(self, users: np.ndarray) -> np.ndarray:
        return users % self.communities


@dataclass
class UserChunk:
    """The friendships and interactions started by users ``[start, stop)``."""

    start: int
    stop: int
    friend_a: np.ndarray
    friend_b: np.ndarray
    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray
    times: np.ndarray


# ----------------------------------------------------------------- hashing


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fast, well-mixed hash of uint64 arrays."""
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _uniform(seed: int, stream: int, *keys: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, stream, keys)."""
    base = np.asarray(keys[0], dtype=np.uint64)
    h = _splitmix(np.full(base.shape, (seed * 1_000_003 + stream) & (2**63 - 1), np.uint64))
    for key in keys:
        h = _splitmix(h ^ np.asarray(key, dtype=np.uint64))
    return (h >> np.uint64(11)).astype(np.float64) / float(2**53)


class SyntheticGraph:
    """Generates a :class:`SyntheticConfig`'s graph, chunk by chunk.

    Args:
        config (SyntheticConfig): sizes, signal strengths and seed.
    """

    def __init__(self, config: SyntheticConfig) -> None:
        self.config = config
        c = config
        per_attribute = -(-c.items // c.attributes)  # items per attribute, rounded up
        ranks = np.arange(1, per_attribute + 1, dtype=np.float64)
        pop = ranks ** (-c.popularity_exponent)
        self._rank_cdf = np.cumsum(pop) / pop.sum()
        communities = np.arange(c.communities, dtype=np.uint64)
        n_pref = min(3, c.attributes)
        self._preferred = np.stack(
            [
                (
                    _uniform(c.seed, 1, communities, np.full_like(communities, k)) * c.attributes
                ).astype(np.int64)
                for k in range(n_pref)
            ],
            axis=1,
        )

    # -- items -------------------------------------------------------------

    def _item_in(self, attribute: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A Zipf-popular item whose primary attribute is ``attribute``."""
        c = self.config
        rank = np.searchsorted(self._rank_cdf, u, side="right")
        count = (c.items - attribute + c.attributes - 1) // c.attributes  # items in attribute
        rank = np.minimum(rank, count - 1)
        return attribute + rank * c.attributes

    def pick_time(self, users: np.ndarray, j: np.ndarray) -> np.ndarray:
        """When (as a fraction of the year) each user made their ``j``-th pick."""
        return _uniform(self.config.seed, 6, users.astype(np.uint64), j.astype(np.uint64))

    def late_community(self, users: np.ndarray) -> np.ndarray:
        """The community whose taste each user drifts towards (another one than theirs)."""
        c = self.config
        shift = 1 + (_uniform(c.seed, 8, users.astype(np.uint64)) * (c.communities - 1)).astype(
            np.int64
        )
        return (users.astype(np.int64) + shift) % c.communities

    def favourites(self, users: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The ``j``-th personal pick of each user: a pure function of (seed, user, j)."""
        c = self.config
        users = users.astype(np.uint64)
        j = j.astype(np.uint64)
        taste = _uniform(c.seed, 2, users, j)
        which = _uniform(c.seed, 3, users, j)
        popularity = _uniform(c.seed, 4, users, j)
        community = (users % np.uint64(c.communities)).astype(np.int64)
        if c.drift > 0:
            drifted = _uniform(c.seed, 7, users, j) < c.drift * self.pick_time(users, j)
            community = np.where(drifted, self.late_community(users), community)
        preferred = self._preferred[community, (which * self._preferred.shape[1]).astype(np.int64)]
        anywhere = (which * c.attributes).astype(np.int64)
        attribute = np.where(taste < c.community_taste, preferred, anywhere)
        return self._item_in(attribute, popularity)

    def item_attributes(
        self, chunk_items: int = 200_000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(items, attributes)`` pairs: each item's primary and extra attributes."""
        c = self.config
        for start in range(0, c.items, chunk_items):
            items = np.arange(start, min(start + chunk_items, c.items), dtype=np.int64)
            cols = [items % c.attributes]
            for k in range(1, c.attributes_per_item):
                u = _uniform(c.seed, 5, items, np.full_like(items, k))
                cols.append((u * c.attributes).astype(np.int64))
            attrs = np.stack(cols, axis=1)
            pairs = np.unique(np.stack([np.repeat(items, attrs.shape[1]), attrs.ravel()]), axis=1)
            yield pairs[0], pairs[1]

    # -- users -------------------------------------------------------------

    def user_chunks(self) -> Iterator[UserChunk]:
        c = self.config
        for start in range(0, c.users, c.chunk_users):
            stop = min(start + c.chunk_users, c.users)
            yield self._chunk(start, stop)

    def _chunk(self, start: int, stop: int) -> UserChunk:
        c = self.config
        rng = np.random.default_rng([c.seed, start])
        users = np.arange(start, stop, dtype=np.int64)
        n = len(users)

        # Friendships this chunk's users start.
        n_friends = rng.poisson(c.friends_per_user, n)
        src = np.repeat(users, n_friends)
        same = rng.random(len(src)) < c.homophily
        community = src % c.communities
        in_community = (c.users - community + c.communities - 1) // c.communities
        dst = np.where(
            same,
            community + c.communities * (rng.random(len(src)) * in_community).astype(np.int64),
            (rng.random(len(src)) * c.users).astype(np.int64),
        )
        keep = src != dst
        src, dst = src[keep], dst[keep]
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        pairs = np.unique(np.stack([lo, hi]), axis=1)

        # Interactions: own favourites, plus copies of friends' favourites.
        n_inter = 1 + rng.poisson(c.interactions_per_user - 1, n)
        has_friend = np.bincount(src - start, minlength=n) > 0
        n_copy = np.where(has_friend, rng.binomial(n_inter, c.friend_influence), 0)
        n_own = n_inter - n_copy
        own_users = np.repeat(users, n_own)
        own_j = _ranks_within(n_own)
        own_items = self.favourites(own_users, own_j)

        copy_users = np.repeat(users, n_copy)
        # Pick one of the user's friends uniformly: friends are sorted by src.
        friend_start = np.searchsorted(src, copy_users, side="left")
        friend_count = np.searchsorted(src, copy_users, side="right") - friend_start
        pick = friend_start + (rng.random(len(copy_users)) * np.maximum(friend_count, 1)).astype(
            np.int64
        )
        friends = dst[np.minimum(pick, max(len(dst) - 1, 0))] if len(dst) else copy_users
        # Of two of the friend's shareable picks, the later one: recent picks
        # spread more. The copy follows the friend's pick within days.
        j_a, j_b = (rng.integers(0, _FAVOURITES_SHARED, len(copy_users)) for _ in range(2))
        t_a, t_b = self.pick_time(friends, j_a), self.pick_time(friends, j_b)
        copy_j = np.where(t_a >= t_b, j_a, j_b)
        copy_items = self.favourites(friends, copy_j)
        lag = rng.exponential(_COPY_LAG, len(copy_users))
        copy_times = np.minimum(np.maximum(t_a, t_b) + lag, 1.0 - 1e-9)

        all_users = np.concatenate([own_users, copy_users])
        all_items = np.concatenate([own_items, copy_items])
        all_times = np.concatenate([self.pick_time(own_users, own_j), copy_times])
        key, first = np.unique(all_users * np.int64(c.items) + all_items, return_index=True)
        u, i = key // c.items, key % c.items
        weights = np.floor(np.exp(rng.normal(1.0, 1.2, len(u)))) + 1.0
        times = _EPOCH_2024 + (all_times[first] * _YEAR).astype(np.int64)
        return UserChunk(start, stop, pairs[0], pairs[1], u, i, weights, times)


def _ranks_within(counts: np.ndarray) -> np.ndarray:
    """For counts [2, 3] -> [0, 1, 0, 1, 2]: each row's position in its group."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - offsets


def load_synthetic(
    writer: GraphWriter, config: SyntheticConfig, progress: bool = True
) -> LoadReport:
    """Write the synthetic graph: items and attributes first, then user chunks."""
    graph = SyntheticGraph(config)
    writer.apply_schema()
    for items, attrs in graph.item_attributes():
        writer.item_attributes(items, attrs, kind="genre")
    with Stage("load synthetic users", config.users, unit="users", enabled=progress) as bar:
        for chunk in graph.user_chunks():
            writer.friendships(chunk.friend_a, chunk.friend_b)
            writer.interactions(chunk.users, chunk.items, chunk.weights, chunk.times)
            bar.update(chunk.stop - chunk.start)
    return writer.report
