import numpy as np
import pytest

from socialrec.load.synthetic import SyntheticConfig, SyntheticGraph, _ranks_within


def collect(config: SyntheticConfig):
    chunks = list(SyntheticGraph(config).user_chunks())
    cat = lambda name: np.concatenate([getattr(c, name) for c in chunks])  # noqa: E731
    return cat("users"), cat("items"), cat("friend_a"), cat("friend_b")


def test_same_seed_same_graph_other_seed_other_graph() -> None:
    c = SyntheticConfig(users=2000, items=500, seed=7, chunk_users=700)
    a, b = collect(c), collect(c)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    other = collect(SyntheticConfig(users=2000, items=500, seed=8, chunk_users=700))
    assert not np.array_equal(a[1], other[1])


def test_sizes_ids_and_no_duplicates() -> None:
    c = SyntheticConfig(
        users=3000,
        items=800,
        attributes=20,
        interactions_per_user=8,
        friends_per_user=2,
        chunk_users=1000,
    )
    users, items, fa, fb = collect(c)
    assert users.min() >= 0 and users.max() < c.users
    assert items.min() >= 0 and items.max() < c.items
    assert len(np.unique(users * c.items + items)) == len(users)
    assert np.all(fa < fb)  # ordered pairs, no self loops
    assert 6 * c.users < len(users) < 9 * c.users
    assert 1.5 * c.users < len(fa) < 2.5 * c.users
    assert len(np.unique(users)) == c.users  # every user interacts


def test_homophily_friends_share_communities_and_tastes() -> None:
    c = SyntheticConfig(users=4000, items=1000, communities=10, homophily=0.8)
    users, items, fa, fb = collect(c)
    same = np.mean(c.community_of(fa) == c.community_of(fb))
    assert same > 0.75  # 0.8 + 0.2 * (1/10) expected
    sets: dict[int, set[int]] = {}
    for u, i in zip(users.tolist(), items.tolist(), strict=True):
        sets.setdefault(u, set()).add(i)

    def jaccard(a: np.ndarray, b: np.ndarray) -> float:
        return float(
            np.mean(
                [
                    len(sets[x] & sets[y]) / len(sets[x] | sets[y])
                    for x, y in zip(a.tolist(), b.tolist(), strict=True)
                ]
            )
        )

    rng = np.random.default_rng(0)
    ra, rb = rng.integers(0, c.users, len(fa)), rng.integers(0, c.users, len(fa))
    assert jaccard(fa, fb) > 3 * jaccard(ra, rb)


def test_popularity_is_skewed() -> None:
    _, items, _, _ = collect(SyntheticConfig(users=3000, items=1000))
    counts = np.sort(np.bincount(items, minlength=1000))[::-1]
    assert counts[:100].sum() > 0.4 * counts.sum()  # top 10% of items, well over 10% of use


def test_item_attributes_primary_and_extra() -> None:
    c = SyntheticConfig(users=10, items=300, attributes=7, communities=2, attributes_per_item=3)
    pairs = list(SyntheticGraph(c).item_attributes(chunk_items=100))
    items = np.concatenate([p[0] for p in pairs])
    attrs = np.concatenate([p[1] for p in pairs])
    assert set(items.tolist()) == set(range(300))
    primary = {(i, i % 7) for i in range(300)}
    assert primary <= set(zip(items.tolist(), attrs.tolist(), strict=True))
    assert attrs.max() < 7


def test_invalid_configs() -> None:
    with pytest.raises(ValueError):
        SyntheticConfig(homophily=1.5)
    with pytest.raises(ValueError):
        SyntheticConfig(users=10, communities=11)


def test_ranks_within() -> None:
    assert _ranks_within(np.array([2, 0, 3])).tolist() == [0, 1, 0, 1, 2]


def _year_fraction(config: SyntheticConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, each interaction's time as a fraction of the year)."""
    chunks = list(SyntheticGraph(config).user_chunks())
    times = np.concatenate([c.times for c in chunks])
    start = 1_704_067_200  # the generator's year starts 2024-01-01
    fraction = (times - start) / (365 * 24 * 3600)
    assert (fraction >= 0).all() and (fraction < 1).all()
    return (
        np.concatenate([c.users for c in chunks]),
        np.concatenate([c.items for c in chunks]),
        fraction,
    )


def test_drift_moves_tastes_to_another_community_over_the_year() -> None:
    def own_taste_share(drift: float) -> tuple[float, float]:
        c = SyntheticConfig(
            users=3000,
            items=3000,
            attributes=30,
            communities=10,
            friend_influence=0.0,
            community_taste=1.0,
            interactions_per_user=20,
            drift=drift,
        )
        graph = SyntheticGraph(c)
        users, items, t = _year_fraction(c)
        preferred = graph._preferred[c.community_of(users)]  # the user's own community's
        own = (preferred == (items % c.attributes)[:, None]).any(1)
        return float(own[t < 0.2].mean()), float(own[t > 0.8].mean())

    early, late = own_taste_share(1.0)
    assert early > 0.75 and late < 0.35  # the year's last picks come from elsewhere
    early, late = own_taste_share(0.0)
    assert early > 0.9 and late > 0.9  # no drift: the own community all year


def test_friends_recent_picks_are_copied_more() -> None:
    def config(influence: float) -> SyntheticConfig:
        return SyntheticConfig(
            users=3000, items=1000, friends_per_user=3.0, drift=0.5, friend_influence=influence
        )

    _, _, own = _year_fraction(config(0.0))
    _, _, copied = _year_fraction(config(1.0))
    # own picks spread evenly over the year; copies take the later of two of a
    # friend's picks (mean 2/3 of the year) and follow it by days
    assert abs(own.mean() - 0.5) < 0.02
    assert copied.mean() > 0.6
