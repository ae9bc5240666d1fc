"""Top-K against brute force: exclusions, candidate masks, padding, blocked selection,
the calibrated long-tail penalty."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from socialrec.topk import CSR, TailPenalty, block_top_k, iter_top_k, tail_items, top_k


def brute_force(u, i, users, exclude, k, mask=None):
    scores = (u[users] @ i.T).numpy()
    for r, user in enumerate(users):
        scores[r, exclude.get(user, [])] = -np.inf
        if mask is not None:
            scores[r, ~mask] = -np.inf
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def test_top_k_matches_brute_force_with_exclusions_and_mask() -> None:
    g = torch.Generator().manual_seed(0)
    u, i = torch.randn(40, 8, generator=g), torch.randn(25, 8, generator=g)
    rng = np.random.default_rng(0)
    edges = np.stack([rng.integers(0, 40, 200), rng.integers(0, 25, 200)])
    exclude: dict[int, list[int]] = {}
    for a, b in edges.T:
        exclude.setdefault(int(a), []).append(int(b))
    mask = rng.random(25) > 0.3
    users = np.arange(40)
    got = top_k(u, i, users, 5, CSR.from_edges(edges, 40), item_mask=mask, chunk=7)
    want = brute_force(u, i, users, exclude, 5, mask)
    assert np.array_equal(got.users, users)
    for r in range(40):
        valid = got.items[r] >= 0
        assert np.array_equal(got.items[r][valid], want[r][: valid.sum()])
        assert not set(got.items[r][valid]) & set(exclude.get(r, []))
        assert mask[got.items[r][valid]].all()
        expected = (u[r] @ i[got.items[r][valid]].T).numpy()
        assert np.allclose(got.scores[r][valid], expected, atol=1e-5)


def test_rows_with_few_eligible_items_are_padded() -> None:
    u, i = torch.ones(2, 2), torch.eye(3, 2)
    exclude = CSR.from_edges(np.array([[0, 0], [0, 1]]), 2)
    got = top_k(u, i, np.array([0, 1]), 3, exclude)
    assert got.items[0].tolist() == [2, -1, -1]
    assert np.isneginf(got.scores[0][1:]).all()
    assert sorted(got.items[1].tolist()) == [0, 1, 2]


def test_csr_gather_returns_each_rows_columns() -> None:
    csr = CSR.from_edges(np.array([[2, 0, 2, 1], [5, 6, 7, 8]]), 3)
    which, cols = csr.gather(np.array([2, 0]))
    assert which.tolist() == [0, 0, 1]
    assert cols.tolist() == [5, 7, 6]


@pytest.mark.parametrize("k", [1, 5, 20])
def test_block_top_k_equals_torch_topk(k: int) -> None:
    g = torch.Generator().manual_seed(k)
    scores = torch.randn(50, 64 * 30, generator=g)
    # rows whose best items crowd into one block, and rows mostly excluded
    scores[0, 64:128] += 10.0
    scores[1, :-3] = -torch.inf
    values, indices = block_top_k(scores, k, block=64)
    want = torch.topk(scores, k, dim=1)
    assert torch.equal(values, want.values)
    finite = torch.isfinite(values)
    assert torch.equal(indices[finite], want.indices[finite])
    assert torch.equal(scores.gather(1, indices), values)  # indices point at their values


def test_block_top_k_falls_back_when_blocks_do_not_fit() -> None:
    scores = torch.randn(3, 100)
    for block, k in ((64, 2), (10, 20)):  # 100 not a multiple of 64; fewer than k blocks
        values, indices = block_top_k(scores, k, block=block)
        assert torch.equal(values, torch.topk(scores, k, dim=1).values)
        assert torch.equal(scores.gather(1, indices), values)


def test_top_k_over_a_padded_catalogue_matches_brute_force() -> None:
    """A catalogue large enough for blocked selection, not a multiple of the block."""
    g = torch.Generator().manual_seed(1)
    n_items = 20 * 512 + 37
    u, i = torch.randn(30, 8, generator=g), torch.randn(n_items, 8, generator=g)
    rng = np.random.default_rng(1)
    edges = np.stack([rng.integers(0, 30, 600), rng.integers(0, n_items, 600)])
    mask = rng.random(n_items) > 0.5
    mask[-37:] = True  # the items past the last whole block stay candidates
    exclude: dict[int, list[int]] = {}
    for a, b in edges.T:
        exclude.setdefault(int(a), []).append(int(b))
    users = np.arange(30)
    got = top_k(u, i, users, 20, CSR.from_edges(edges, 30), item_mask=mask, chunk=8)
    want = brute_force(u, i, users, exclude, 20, mask)
    assert np.array_equal(got.items, want)
    assert (got.items < n_items).all()


def test_tail_items_are_all_but_the_most_popular_fifth() -> None:
    assert tail_items(np.array([5, 1, 9, 3, 2])).tolist() == [True, True, False, True, True]


def test_tail_affinity_is_each_users_tail_share_over_the_mean() -> None:
    popularity = np.array([9, 8, 1, 1, 1, 1, 1, 1, 1, 1])  # items 0 and 1 are the head
    # user 0: head only; user 1: half tail; user 2: all tail; user 3: nothing
    edges = np.array([[0, 0, 1, 1, 2, 2], [0, 1, 0, 5, 6, 7]])
    penalty = TailPenalty.calibrated(popularity, CSR.from_edges(edges, 4), 0.5)
    assert penalty is not None and penalty.strength == 0.5
    assert penalty.head.tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    mean = (0 + 0.5 + 1) / 3
    assert np.allclose(penalty.affinity.numpy(), [0, 0.5 / mean, 1 / mean, 1])
    assert TailPenalty.calibrated(popularity, CSR.from_edges(edges, 4), 0.0) is None


def test_tail_penalty_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    u, i = torch.randn(30, 6), torch.randn(1100, 6)  # padded into blocks of 512
    edges = np.stack([rng.integers(0, 30, 400), rng.integers(0, 1100, 400)])
    edges = np.unique(edges, axis=1)
    popularity = rng.zipf(1.5, 1100).astype(float)
    csr = CSR.from_edges(edges, 30)
    penalty = TailPenalty.calibrated(popularity, csr, 0.8)
    assert penalty is not None
    scores = (u @ i.T).numpy().astype(np.float64)
    scores -= (
        0.8 * scores.std(1, ddof=1, keepdims=True) * penalty.affinity.numpy()[:, None]
        * penalty.head.numpy()[None]
    )  # fmt: skip
    scores[edges[0], edges[1]] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :20]
    got = top_k(u, i, np.arange(30), 20, csr, tail_penalty=penalty)
    assert (got.items == expected).all()


def test_the_calibrated_penalty_moves_tail_lovers_to_the_tail_and_leaves_mainstream_users() -> None:
    # a popularity-skewed catalogue: scores grow with popularity for everyone;
    # users 0..49 interacted with head items only, users 50..99 half with tail items
    rng = np.random.default_rng(0)
    n_items = 200
    popularity = np.sort(rng.zipf(1.3, n_items).astype(float))[::-1]
    tail = tail_items(popularity)
    u = torch.ones(100, 2)
    u[:, 1] = torch.as_tensor(rng.normal(scale=0.3, size=100), dtype=torch.float32)
    i = torch.stack(
        [torch.as_tensor(np.log1p(popularity), dtype=torch.float32), torch.randn(n_items)], 1
    )
    head_items, tail_pool = np.flatnonzero(~tail), np.flatnonzero(tail)
    rows = np.repeat(np.arange(100), 4)
    cols = np.where(
        (rows >= 50) & (np.arange(400) % 2 == 0),
        rng.choice(tail_pool, 400),
        rng.choice(head_items, 400),
    )
    csr = CSR.from_edges(np.unique(np.stack([rows, cols]), axis=1), 100)

    def tail_share(strength: float) -> tuple[float, float, np.ndarray]:
        penalty = TailPenalty.calibrated(popularity, csr, strength)
        items = top_k(u, i, np.arange(100), 10, csr, tail_penalty=penalty).items
        return float(tail[items[:50]].mean()), float(tail[items[50:]].mean()), items

    plain_main, plain_lovers, plain = tail_share(0.0)
    strong_main, strong_lovers, strong = tail_share(2.0)
    assert strong_lovers > plain_lovers + 0.2  # the tail-lovers' lists move to the tail
    assert strong_main == plain_main and (strong[:50] == plain[:50]).all()  # the rest do not


def test_a_suspended_or_abandoned_scoring_generator_leaves_gradients_on() -> None:
    """Was: the chunks were yielded inside no_grad, so a sync that stopped
    mid-writeback left the next training without gradients."""
    g = torch.Generator().manual_seed(0)
    chunks = iter_top_k(
        torch.randn(10, 4, generator=g),
        torch.randn(30, 4, generator=g),
        np.arange(10),
        k=3,
        chunk=2,
    )
    first = next(chunks)
    assert first.items.shape == (2, 3)
    assert torch.is_grad_enabled()  # while it is suspended
    del chunks
    assert torch.is_grad_enabled()
