"""Top-K against brute force: exclusions, candidate masks, padding."""

from __future__ import annotations

import numpy as np
import torch

from socialrec.topk import CSR, top_k


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
