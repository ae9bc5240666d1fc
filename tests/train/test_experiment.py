from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.errors import ConfigError
from socialrec.export.snapshot import GraphSnapshot
from socialrec.train import experiment
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, TrainResult
from tests.helpers import small_config, snapshot_from_arrays, synthetic_snapshot


def test_run_trains_every_pair_and_its_checkpoint_round_trips(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=300, items=120)
    config = TrainConfig(
        epochs=6, eval_every=3, batch_size=1024, embedding_dim=16, num_layers=2, device="cpu"
    )
    runs = experiment.run(snap, ["popularity", "lightgcn"], [0, 1], config, ratios=(0.7, 0.1, 0.2))
    assert [(r.model, r.seed) for r in runs] == [
        ("popularity", 0),
        ("lightgcn", 0),
        ("popularity", 1),
        ("lightgcn", 1),
    ]
    assert all(r.eval_seconds > 0 for r in runs)  # the test ranking is timed too
    assert runs[1].result.seconds > 0 and len(runs[1].result.history) == 6

    path = experiment.save_checkpoint(tmp_path / "ck.pt", runs[1], snap)
    torch.load(path, weights_only=True)
    ck = Checkpoint.load(path)
    assert ck.model == "lightgcn" and ck.schema_hash == snap.schema_hash
    assert torch.equal(ck.user_embedding, runs[1].result.user_embedding)
    assert ck.config["embedding_dim"] == 16
    assert ck.ids["user"].tolist() == snap.ids["user"].tolist()


def test_refit_trains_on_validation_too_for_the_selected_epochs() -> None:
    import numpy as np

    from socialrec.train.splits import split

    snap = synthetic_snapshot(users=300, items=120)
    sp = split(snap, "random", (0.6, 0.2, 0.2), seed=0)
    config = small_config("lightgcn", epochs=12, eval_every=3, lr=0.02)
    plain = experiment.fit(snap, sp, config)
    refit = experiment.fit(snap, sp, replace(config, refit=True))
    assert refit.best_epoch == plain.best_epoch and refit.best_valid == plain.best_valid

    def valid_curve(result: TrainResult) -> list[float]:
        return [h["valid_recall"] for h in result.history if "valid_recall" in h]

    # The selection run's curve is kept (the same seed, so the same curve).
    assert valid_curve(refit) == valid_curve(plain) and refit.config.refit

    def mean_score(result: TrainResult, edges: np.ndarray) -> float:
        u, i = result.user_embedding, result.item_embedding
        return float((u[edges[0]] * i[edges[1]]).sum(-1).mean())

    # The validation pairs were training positives of the refit model only.
    gain_valid = mean_score(refit, sp.valid) - mean_score(plain, sp.valid)
    gain_test = mean_score(refit, sp.test) - mean_score(plain, sp.test)
    assert gain_valid > gain_test


def test_an_ensemble_scores_the_mean_of_its_members() -> None:
    snap = synthetic_snapshot(users=200, items=80)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    config = small_config("lightgcn", embedding_dim=8, refit=True)
    members = [
        experiment.fit(snap, sp, replace(config, seed=s))
        for s in (0, experiment.ENSEMBLE_SEED_STRIDE)
    ]
    ensemble = experiment.fit(snap, sp, replace(config, ensemble=2))
    assert ensemble.user_embedding.shape == (sp.num_users, 16)
    first, second = (m.user_embedding @ m.item_embedding.T for m in members)
    expected = (first + second) / 2
    scores = ensemble.user_embedding @ ensemble.item_embedding.T
    assert torch.allclose(scores, expected, atol=1e-5)
    assert ensemble.best_epoch == members[0].best_epoch
    assert ensemble.config.ensemble == 2 and ensemble.config.seed == 0
    assert set(ensemble.state_dict) == {
        f"member{i}.{k}" for i in (0, 1) for k in members[0].state_dict
    }


def test_an_ensemble_of_none_is_a_config_error() -> None:
    from socialrec.errors import ConfigError

    with pytest.raises(ConfigError, match="ensemble must be at least 1"):
        TrainConfig(ensemble=0)


def _drifting_snapshot(users: int = 800) -> GraphSnapshot:
    """Tastes that move over the year, nothing else: the planted recent preference."""
    return synthetic_snapshot(
        users,
        3 * users // 2,
        seed=0,
        drift=1.0,
        interactions_per_user=30.0,
        communities=10,
        attributes=30,
        popularity_exponent=0.5,
        friend_influence=0.0,
        community_taste=1.0,
    )


_FAST = TrainConfig(
    embedding_dim=32,
    lr=0.01,
    negatives=4,
    epochs=40,
    eval_every=5,
    patience=2,
    device="cpu",
    sequence_length=10,
)


_LIGHTGCN = replace(_FAST, model="lightgcn")


def _lightgcn_without_and_with(
    snap: GraphSnapshot, split_kind: str, config: TrainConfig
) -> tuple[experiment.Trial, experiment.Trial]:
    """Fast LightGCN trials on ``snap``: :data:`_LIGHTGCN`, then ``config``."""
    return (
        experiment.run(snap, ["lightgcn"], [0], _LIGHTGCN, split_kind)[0],
        experiment.run(snap, ["lightgcn"], [0], config, split_kind)[0],
    )


def test_recency_recovers_the_planted_recent_taste() -> None:
    snap = _drifting_snapshot()
    static, timed = (
        experiment.run(snap, ["lightgcn"], [0], replace(_FAST, recency_days=days), "time_cut")[0]
        for days in (0.0, 60.0)
    )
    # the post-drift test window: the newest tenth of all interactions
    assert timed.test["recall@20"] > 1.2 * static.test["recall@20"]
    assert timed.test["ndcg@20"] > 1.2 * static.test["ndcg@20"]


def test_the_sequence_model_finds_the_planted_recent_taste() -> None:
    snap = _drifting_snapshot()
    static, sequence = (
        experiment.run(snap, [model], [0], _FAST, "loo")[0] for model in ("lightgcn", "sequence")
    )
    assert sequence.test["recall@20"] > 1.2 * static.test["recall@20"]


@pytest.mark.parametrize(
    ("attribute", "missing", "option", "said"),
    [
        # LastFM: no listen times
        ("edge_time", -1, {"recency_days": 30.0}, "no interaction times: recency_days and"),
        # a database without a weight property
        ("edge_weight", float("nan"), {"confidence": 2.0}, "no interaction weights: confidence"),
    ],
)
def test_weighting_options_without_their_data(
    attribute: str, missing: float, option: dict[str, float], said: str
) -> None:
    snap = synthetic_snapshot(200, 100)
    edges = snap.data["user", "interacts", "item"]
    edges[attribute] = torch.full_like(edges[attribute], missing)
    sp = split(snap, "random", seed=0)
    lines: list[str] = []
    cfg = small_config(model="lightgcn", epochs=3)
    plain = experiment.fit(snap, sp, cfg)
    weighted = experiment.fit(snap, sp, TrainConfig.from_dict(asdict(cfg) | option), lines.append)
    # a no-op, exactly, and said so
    assert torch.equal(plain.user_embedding, weighted.user_embedding)
    assert any(said in line for line in lines)


def test_the_sequence_model_needs_times() -> None:
    snap = synthetic_snapshot(200, 100)
    edges = snap.data["user", "interacts", "item"]
    edges.edge_time = torch.full_like(edges.edge_time, -1)
    with pytest.raises(ConfigError, match="sequence model orders each user's interactions"):
        experiment.fit(snap, split(snap, "random", seed=0), small_config(model="sequence"))


def test_popularity_debiasing_lifts_the_long_tail() -> None:
    snap = synthetic_snapshot(800, 600, seed=1, popularity_exponent=1.2)
    plain, debiased = _lightgcn_without_and_with(
        snap, "random", replace(_LIGHTGCN, popularity_debias=0.8)
    )
    assert debiased.test["tail_share@20"] > 1.5 * plain.test["tail_share@20"]
    assert debiased.result.config.popularity_debias == 0.8  # kept for the checkpoint


def _noisy_snapshot(users: int = 400, items: int = 300, seed: int = 0) -> GraphSnapshot:
    """The synthetic graph's interactions, each played 30 times, plus as many
    random ones per user played once: the weights say which carry the taste."""
    base = synthetic_snapshot(users, items, seed=seed)
    edges = base.data["user", "interacts", "item"].edge_index.numpy()
    rng = np.random.default_rng(seed)
    noise_u = np.repeat(np.arange(users), 12)
    u = np.concatenate([edges[0], noise_u])
    i = np.concatenate([edges[1], rng.integers(0, items, len(noise_u))])
    plays = np.concatenate([np.full(edges.shape[1], 30.0), np.ones(len(noise_u))])
    _, first = np.unique(u * items + i, return_index=True)
    friends = base.data["user", "friends", "user"].edge_index.numpy()
    snap = snapshot_from_arrays(
        users,
        items,
        base.data["attribute"].num_nodes,
        np.stack([u[first], i[first]]),
        friends[:, friends[0] < friends[1]],
        base.data["item", "has", "attribute"].edge_index.numpy(),
    )
    snap.data["user", "interacts", "item"].edge_weight = torch.from_numpy(
        plays[first].astype(np.float32)
    )
    return snap


def test_confidence_follows_the_planted_play_counts() -> None:
    snap = _noisy_snapshot()
    plain, weighted = _lightgcn_without_and_with(snap, "random", replace(_LIGHTGCN, confidence=1.0))
    assert weighted.test["recall@20"] > 1.1 * plain.test["recall@20"]
    assert weighted.result.config.confidence == 1.0  # kept for the checkpoint


def _trending_snapshot(users: int = 400, items: int = 2000, seed: int = 0) -> GraphSnapshot:
    """What everyone picks changes halfway through the year: the first half's picks
    come from the first half of the items, the second half's from the second
    (popularity falling with the item's rank in its half)."""
    rng = np.random.default_rng(seed)
    year = 365 * 86_400
    u = np.repeat(np.arange(users), 20)
    t = rng.integers(0, year, len(u))
    half = items // 2
    rank = (half * rng.random(len(u)) ** 2).astype(np.int64)
    i = np.where(t < year // 2, rank, half + rank)
    keys, first = np.unique(u * items + i, return_index=True)
    inter = np.stack([keys // items, keys % items])
    return snapshot_from_arrays(
        users, items, 1, inter, np.empty((2, 0), int), np.array([[0], [0]]), t[first]
    )


def test_periods_find_what_is_popular_lately() -> None:
    snap = _trending_snapshot()
    static, periods = _lightgcn_without_and_with(snap, "loo", replace(_LIGHTGCN, period_days=60.0))
    assert periods.test["recall@20"] > 1.2 * static.test["recall@20"]
