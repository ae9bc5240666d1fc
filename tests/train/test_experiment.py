import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.train import experiment
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, TrainResult
from tests.helpers import small_config, synthetic_snapshot


def test_run_report_and_checkpoint_round_trip(tmp_path: Path) -> None:
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
    out = experiment.write_report(tmp_path / "rep", runs)
    for name in ("report.json", "report.md", "training.png", "recall_at_k.png"):
        assert (out / name).stat().st_size > 0
    table = (out / "report.md").read_text()
    assert "| lightgcn | 2 |" in table and "±" in table
    report = json.loads((out / "report.json").read_text())
    assert len(report) == 4 and 0 <= report[1]["test"]["recall@20"] <= 1
    assert len(report[1]["recall_curve"]) == 50
    assert report[1]["tail_curve"][0]["penalty"] == 0.0

    # read back: the same table, so a report's rows can be reused in a later one
    again = experiment.read_report(out)
    assert [(r.model, r.seed) for r in again] == [(r.model, r.seed) for r in runs]
    assert again[1].test.values == runs[1].test.values
    assert again[1].result.best_epoch == runs[1].result.best_epoch
    assert again[1].result.config == runs[1].result.config
    assert experiment.markdown_table(again) == experiment.markdown_table(runs)

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


def _scored_run(model: str, seed: int, recall: float, ensemble: int = 1) -> experiment.Trial:
    from socialrec.train.metrics import RankingMetrics

    values = {k: recall for k in experiment.TABLE_METRICS}
    slices = {
        "cold users": {"recall@20": recall, "ndcg@20": recall, "users": 3.0},
        "users without friends": {"recall@20": float("nan"), "ndcg@20": float("nan"), "users": 0},
    }
    config = TrainConfig(model=model, seed=seed, ensemble=ensemble)
    result = TrainResult(config, torch.empty(0), torch.empty(0), [], 10, recall, 1.0)
    return experiment.Trial(model, seed, result, RankingMetrics(values, [recall] * 50, 1, slices))


def test_a_table_keeps_ensembles_in_rows_of_their_own() -> None:
    runs = [
        _scored_run("hybrid", 0, 0.30),
        _scored_run("hybrid", 1, 0.32),
        _scored_run("hybrid", 0, 0.40, ensemble=2),
        _scored_run("hybrid", 1, 0.42, ensemble=2),
    ]
    assert [r.label for r in runs] == ["hybrid"] * 2 + ["hybrid (ensemble of 2)"] * 2
    rows = experiment.markdown_table(runs).splitlines()
    single = next(row for row in rows if row.startswith("| hybrid | 2 |"))
    pair = next(row for row in rows if row.startswith("| hybrid (ensemble of 2) | 2 |"))
    assert "0.3100 ± 0.0141" in single and "0.4100 ± 0.0141" in pair
    # a slice with no users is shown as such, not as nan
    assert "| hybrid (ensemble of 2) | 0.4100 / 0.4100 (3 users) | - (0 users) |" in rows
    assert not any("nan" in row for row in rows)
