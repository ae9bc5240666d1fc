"""Scorer: checkpoint alignment, inductive embeddings for new nodes, explanations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.export import GraphSnapshot
from socialrec.ids import canonical_ids
from socialrec.score import Recommendations, Scorer, ScoringError
from tests.helpers import checkpoint_for, snapshot_from_arrays


def small_snapshot():
    # users 0..3, items 0..4; friends 0-1, 0-2, 2-3; attribute unused
    inter = np.array([[0, 1, 1, 2, 2, 3], [0, 1, 2, 2, 3, 4]])
    friends = np.array([[0, 0, 2], [1, 2, 3]])
    has = np.array([[0], [0]])
    return snapshot_from_arrays(4, 5, 1, inter, friends, has)


def test_checkpoint_is_aligned_by_id_not_position() -> None:
    snap = small_snapshot()
    user_emb, item_emb = torch.randn(4, 3), torch.randn(5, 3)
    # the checkpoint lists the same ids in reverse order
    ckpt = checkpoint_for(snap, user_emb.flip(0), item_emb.flip(0), reverse=True)
    scorer = Scorer.from_checkpoint(ckpt, snap)
    assert torch.allclose(scorer.user_embedding, user_emb)
    assert torch.allclose(scorer.item_embedding, item_emb)


def test_new_user_gets_mean_of_friends_and_items() -> None:
    snap = small_snapshot()
    user_emb, item_emb = torch.randn(4, 3), torch.randn(5, 3)
    ckpt = checkpoint_for(snap, user_emb, item_emb)
    # user 0 is unknown to the checkpoint: friends 1 and 2, item 0
    ckpt.ids["user"] = ckpt.ids["user"][1:]
    ckpt.user_embedding = user_emb[1:]
    scorer = Scorer.from_checkpoint(ckpt, snap)
    expected = (user_emb[1] + user_emb[2] + item_emb[0]) / 3
    assert torch.allclose(scorer.user_embedding[0], expected, atol=1e-6)
    assert scorer.user_known.all()
    no_inductive = Scorer.from_checkpoint(ckpt, snap, inductive=False)
    assert not no_inductive.user_known[0]


def test_recommendations_exclude_history_and_name_friends() -> None:
    snap = small_snapshot()
    # every user prefers items in id order 4 > 3 > 2 > 1 > 0
    user_emb = torch.ones(4, 1)
    item_emb = torch.arange(5, dtype=torch.float32)[:, None]
    scorer = Scorer(snap, user_emb, item_emb)
    batch = next(scorer.recommendations(k=2, users=np.array([0, 2])))
    assert batch.users == [0, 2]
    assert batch.items == [[4, 3], [4, 1]]  # user 2 has items 2 and 3
    # user 0's friends: 1 (items 1, 2) and 2 (items 2, 3); item 3 <- friend 2
    assert batch.because is not None
    assert batch.because[0] == [[], [2]]
    # user 2's friends: 0 (item 0) and 3 (item 4); item 4 <- friend 3, item 1 <- nobody
    assert batch.because[1] == [[3], []]
    assert batch.scores[0] == [4.0, 3.0]


def test_recommendations_without_friends_match_those_with_them() -> None:
    snap = small_snapshot()
    scorer = Scorer(snap, torch.ones(4, 1), torch.arange(5, dtype=torch.float32)[:, None])
    # k = 2: every user has two candidates (no pads); k = 4: user 2 has three (a pad)
    for k in (2, 4):
        top = next(scorer.top_k(k, np.array([0, 2])))
        assert (top.items < 0).any() == (k == 4)
        plain, named = scorer.to_recommendations(top, 0), scorer.to_recommendations(top, 2)
        assert plain.because is None and named.because is not None
        assert (plain.users, plain.items, plain.scores) == (named.users, named.items, named.scores)
        assert all(-1 not in row for row in plain.items)
        assert [len(r) for r in named.because] == [len(r) for r in named.items]


def test_mismatched_checkpoint_is_refused() -> None:
    snap = small_snapshot()
    ckpt = checkpoint_for(snap, torch.randn(4, 3), torch.randn(5, 3))
    ckpt.mapping = {"labels": {"user": "Person"}}
    with pytest.raises(ScoringError, match="another mapping"):
        Scorer.from_checkpoint(ckpt, snap)


def test_string_ids_line_up_after_a_save_and_load(tmp_path: Path) -> None:
    """A checkpoint of string ids scores a snapshot of string ids (was: '<U4 vs object')."""
    snap = small_snapshot()
    for nt in ("user", "item"):
        snap.ids[nt] = canonical_ids([f"p-{i}" for i in range(snap.num_nodes(nt))])
    user_emb, item_emb = torch.randn(4, 3), torch.randn(5, 3)
    path = checkpoint_for(snap, user_emb, item_emb, reverse=True).save(tmp_path / "c.pt")
    loaded = Checkpoint.load(path)
    assert loaded.ids["user"].dtype == object and loaded.ids["user"][0] == "p-3"
    scorer = Scorer.from_checkpoint(loaded, GraphSnapshot.load(snap.save(tmp_path / "s.pt")))
    assert torch.equal(scorer.user_embedding, user_emb.flip(0))
    batch = next(scorer.recommendations(2, because=0))
    assert all(isinstance(u, str) for u in batch.users)


def test_ids_of_another_type_are_refused_by_name() -> None:
    snap = small_snapshot()
    ckpt = checkpoint_for(snap, torch.randn(4, 3), torch.randn(5, 3))
    ckpt.ids["user"] = canonical_ids([str(i) for i in range(4)])
    with pytest.raises(ScoringError, match="user ids are strings in the checkpoint but integers"):
        Scorer.from_checkpoint(ckpt, snap)


def test_a_time_aware_refresh_weighs_new_interactions_as_the_newest() -> None:
    day = 86_400
    # user 0: items 0 and 1 long ago, item 2 fresh; user 1: item 0 only, nothing fresh
    inter = np.array([[0, 0, 0, 1], [0, 1, 2, 0]])
    times = np.array([0, 0, 400 * day, 0])
    snap = snapshot_from_arrays(2, 3, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), times)
    user = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    item = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    fresh = np.array([False, False, True, False])

    def refreshed(tau: float) -> torch.Tensor:
        scorer = Scorer(snap, user.clone(), item.clone())
        assert scorer.refresh_recent(fresh, tau) == 1
        assert torch.equal(scorer.user_embedding[1], user[1])  # nothing new: as trained
        return scorer.user_embedding[0]

    # a short decay: the fresh item is nearly all of the user's weight
    w_old = np.exp(-400 / 10)
    share = 1 / (1 + 2 * w_old)
    assert torch.allclose(
        refreshed(10.0), torch.tensor([1 - share, share], dtype=torch.float32), atol=1e-6
    )
    # a long decay: it weighs about as one interaction of three
    share = 1 / (1 + 2 * np.exp(-400 / 1e6))
    assert torch.allclose(
        refreshed(1e6), torch.tensor([1 - share, share], dtype=torch.float32), atol=1e-4
    )


def test_the_tail_penalty_moves_recommendations_to_unpopular_items() -> None:
    # 200 users, 50 items: items 0..9 are popular (every user has some), and the
    # embeddings prefer them, as popularity-biased training does
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(200), 4)
    items = np.where(rng.random(800) < 0.8, rng.integers(0, 10, 800), rng.integers(10, 50, 800))
    inter = np.unique(np.stack([users, items]), axis=1)
    snap = snapshot_from_arrays(200, 50, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]))
    popularity = np.bincount(inter[1], minlength=50)
    user_emb = torch.as_tensor(rng.normal(size=(200, 8)), dtype=torch.float32)
    item_emb = torch.as_tensor(rng.normal(size=(50, 8)), dtype=torch.float32)
    item_emb[:, 0] += torch.as_tensor(np.log1p(popularity), dtype=torch.float32)
    user_emb[:, 0] = user_emb[:, 0].abs() + 1
    scorer = Scorer(snap, user_emb, item_emb)
    tail = popularity < np.quantile(popularity, 0.8)

    def tail_share(strength: float) -> float:
        top = next(scorer.top_k(10, chunk=200, tail=strength))
        return float(tail[top.items].mean())

    shares = [tail_share(s) for s in (0.0, 1.0, 4.0)]
    assert shares[0] < shares[1] < shares[2]
    # history is still excluded under the penalty
    top = next(scorer.top_k(10, chunk=200, tail=4.0))
    seen = {(u, i) for u, i in inter.T.tolist()}
    assert not any((u, i) in seen for u, row in zip(top.users, top.items, strict=True) for i in row)
    # the penalty is computed once and reused: a call at another strength gives
    # what a fresh scorer gives at that strength
    fresh = next(Scorer(snap, user_emb, item_emb).top_k(10, chunk=200, tail=1.0))
    again = next(scorer.top_k(10, chunk=200, tail=1.0))
    np.testing.assert_array_equal(again.items, fresh.items)
    np.testing.assert_allclose(again.scores, fresh.scores)


def test_recommendations_split_into_pieces_in_order() -> None:
    recs = Recommendations(
        [1, 2, 3], [[4], [5, 6], []], [[0.5], [0.4, 0.3], []], [[[]], [[], [1]], []]
    )
    parts = list(recs.split(2))
    assert [p.users for p in parts] == [[1, 2], [3]]
    assert [p.items for p in parts] == [[[4], [5, 6]], [[]]]
    assert [p.because for p in parts] == [[[[]], [[], [1]]], [[]]]
    assert sum(len(p) for p in parts) == len(recs) == 3
    unnamed = Recommendations([1, 2], [[4], [5]], [[0.5], [0.4]], None)
    assert [p.because for p in unnamed.split(1)] == [None, None]


def test_few_users_are_scored_exactly_even_with_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index costs more to build than scoring a handful of users exactly: below
    ``MIN_USERS_PER_LIST`` users a list, ``probes`` falls back to exact scoring."""
    import socialrec.score.scorer as scorer_module
    from socialrec.score.ann import MIN_USERS_PER_LIST, index_pays_off, lists_for

    searched: list[int] = []
    search = scorer_module.iter_top_k_approximate

    def recording(*args: object, **kwargs: object) -> object:
        searched.append(len(args[2]))  # type: ignore[arg-type]
        return search(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scorer_module, "iter_top_k_approximate", recording)
    n_users, n_items = 400, 200  # lists_for(200) = 5: the index pays from 40 users on
    lists = lists_for(n_items)
    assert lists == 5 and not index_pays_off(MIN_USERS_PER_LIST * lists - 1, n_items)
    rng = np.random.default_rng(0)
    inter = np.stack([rng.integers(0, n_users, 800), rng.integers(0, n_items, 800)])
    no_friends = np.zeros((2, 0), dtype=np.int64)
    snap = snapshot_from_arrays(n_users, n_items, 1, inter, no_friends, np.array([[0], [0]]))
    scorer = Scorer(snap, torch.randn(n_users, 8), torch.randn(n_items, 8))
    few = np.arange(MIN_USERS_PER_LIST * lists - 1)
    exact = np.concatenate([t.items for t in scorer.top_k(10, few)])
    got = np.concatenate([t.items for t in scorer.top_k(10, few, probes=1)])
    assert searched == [] and (got == exact).all()
    many = np.arange(MIN_USERS_PER_LIST * lists)
    list(scorer.top_k(10, many, probes=1))
    assert searched == [len(many)]
