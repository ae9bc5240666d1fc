"""Approximate top-K (FAISS inverted file) against exact scoring."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from socialrec.errors import ConfigError
from socialrec.score.ann import ItemIndex, iter_top_k_approximate, recall_against_exact
from socialrec.topk import CSR, TopK, top_k
from socialrec.writeback import WritebackConfig


def clustered(n_users: int = 300, n_items: int = 2000, d: int = 16, seed: int = 0):
    """Users and items around 20 shared centres: what a trained model's space looks like."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(20, d, generator=g) * 3
    items = centres[torch.randint(0, 20, (n_items,), generator=g)] + torch.randn(
        n_items, d, generator=g
    )
    users = centres[torch.randint(0, 20, (n_users,), generator=g)] + torch.randn(
        n_users, d, generator=g
    )
    rng = np.random.default_rng(seed)
    edges = np.stack([rng.integers(0, n_users, 6000), rng.integers(0, n_items, 6000)])
    return users, items, CSR.from_edges(edges, n_users)


def approximate(users, items, exclude, probes, mask=None, k=10) -> TopK:
    parts = list(
        iter_top_k_approximate(
            users, items, np.arange(len(users)), k, probes, exclude, mask, chunk=64
        )
    )
    return TopK(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("users", "items", "scores"))
    )


def test_searching_every_list_is_exact() -> None:
    users, items, exclude = clustered()
    lists = ItemIndex(items).index.nlist
    got = approximate(users, items, exclude, probes=lists)
    want = top_k(users, items, np.arange(len(users)), 10, exclude)
    assert np.allclose(got.scores, want.scores, atol=1e-4)
    assert recall_against_exact(got, want) > 0.999


def test_few_lists_find_most_of_the_exact_top_k_and_never_a_seen_item() -> None:
    users, items, exclude = clustered()
    want = top_k(users, items, np.arange(len(users)), 10, exclude)
    got = approximate(users, items, exclude, probes=4)
    assert recall_against_exact(got, want) > 0.9
    for r in range(len(users)):
        row = got.items[r]
        assert (row >= 0).all()  # everyone gets k
        assert not set(row.tolist()) & set(
            exclude.cols[exclude.indptr[r] : exclude.indptr[r + 1]].tolist()
        )
        # the scores are the exact inner products, best first
        assert np.allclose(got.scores[r], (users[r] @ items[row].T).numpy(), atol=1e-4)
        assert (np.diff(got.scores[r]) <= 1e-6).all()


def test_only_candidate_items_are_returned_and_short_rows_fall_back_to_exact() -> None:
    users, items, exclude = clustered()
    mask = np.zeros(len(items), dtype=bool)
    mask[:40] = True  # a narrow filter: the index has 40 items, one list
    got = approximate(users, items, exclude, probes=1, mask=mask)
    want = top_k(users, items, np.arange(len(users)), 10, exclude, item_mask=mask)
    assert mask[got.items[got.items >= 0]].all()
    assert np.array_equal(got.items >= 0, want.items >= 0)
    assert recall_against_exact(got, want) > 0.999


def test_tail_penalty_and_approximate_scoring_do_not_combine() -> None:
    with pytest.raises(ConfigError, match="one or the other"):
        WritebackConfig(ann_probes=8, tail_penalty=1.0)
    with pytest.raises(ConfigError, match="ann_probes"):
        WritebackConfig(ann_probes=-1)


def test_a_user_whose_history_fills_the_search_is_scored_exactly() -> None:
    users, items, _ = clustered()
    # user 0 has interacted with their 60 best items: the search's k + 40 finds only those
    best = torch.topk(users[0] @ items.T, 60).indices.numpy()
    edges = np.stack(
        [np.concatenate([np.zeros(60, np.int64), np.arange(1, 300).repeat(3)]),
         np.concatenate([best, np.arange(299 * 3) % 2000])]
    )  # fmt: skip
    heavy = CSR.from_edges(edges, len(users))
    got = approximate(users, items, heavy, probes=2)
    want = top_k(users, items, np.arange(len(users)), 10, heavy)
    assert (got.items[0] >= 0).all() and not set(got.items[0].tolist()) & set(best.tolist())
    assert np.array_equal(got.items[0], want.items[0])


def test_popular_items_with_larger_norms_are_found_in_few_lists() -> None:
    """Norms that grow with popularity, as in trained models: items along one axis
    at log(1 + popularity), users near that axis. k-means with inner-product
    assignment puts the few far-out popular items where no probe looks."""
    g = torch.Generator().manual_seed(1)
    n_users, n_items = 300, 4000
    popularity = torch.rand(n_items, generator=g) ** (-1 / 1.2)  # Pareto(1, 1.2)
    items = 0.1 * torch.randn(n_items, 16, generator=g)
    items[:, 0] = torch.log1p(popularity)
    users = 0.1 * torch.randn(n_users, 16, generator=g)
    users[:, 0] = 1.0
    want = top_k(users, items, np.arange(n_users), 10, None)
    got = approximate(users, items, None, probes=4)
    assert recall_against_exact(got, want) > 0.9
