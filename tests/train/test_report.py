"""Reports (socialrec/train/report.py): tables, settings, plots, and reading them back."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from socialrec.train import experiment, report
from socialrec.train.trainer import TrainConfig, TrainResult
from tests.helpers import synthetic_snapshot

SETTINGS = {"split": "random, ratios 0.7,0.1,0.2", "training": {"lr": 0.01, "epochs": 6}}


def _scored_run(model: str, seed: int, recall: float, ensemble: int = 1) -> experiment.Trial:
    from socialrec.train.metrics import RankingMetrics

    values = {k: recall for k in report.TABLE_METRICS}
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
    rows = report.markdown_table(runs).splitlines()
    single = next(row for row in rows if row.startswith("| hybrid | 2 |"))
    pair = next(row for row in rows if row.startswith("| hybrid (ensemble of 2) | 2 |"))
    assert "0.3100 ± 0.0141" in single and "0.4100 ± 0.0141" in pair
    # a slice with no users is shown as such, not as nan
    assert "| hybrid (ensemble of 2) | 0.4100 / 0.4100 (3 users) | - (0 users) |" in rows
    assert not any("nan" in row for row in rows)


def _trained(model: str, seed: int, epochs: int) -> experiment.Trial:
    trial = _scored_run(model, seed, 0.2)
    trial.result.history = [
        {"epoch": e, "loss": 1.0 / e, "seconds": 0.5 * e, "valid_recall": 0.1}
        for e in range(1, epochs + 1)
    ]
    trial.eval_seconds = 2.5
    return trial


def test_the_report_heads_with_its_settings_and_times_honestly(tmp_path: Path) -> None:
    trials = [_trained("lightgcn", 0, 4), _scored_run("popularity", 0, 0.1)]
    out = report.write_report(tmp_path / "rep", trials, "t", SETTINGS)
    md = (out / "report.md").read_text()
    assert md.index("Settings:") < md.index("| model |")
    assert "- training: lr=0.01, epochs=6" in md and "- split: random, ratios 0.7,0.1,0.2" in md
    row = next(line for line in md.splitlines() if line.startswith("| lightgcn |"))
    # s/epoch is the mean of every epoch (0.5, 1, 1.5, 2), not the last one; test s is its own
    assert row.endswith("| 1.25 | 1.0 | 2.5 |"), row
    pop = next(line for line in md.splitlines() if line.startswith("| popularity |"))
    assert pop.endswith("| - | 1.0 | 0.0 |"), pop  # no epochs trained: no s/epoch
    assert report.read_settings(out) == SETTINGS
    assert report.read_settings(tmp_path / "nothing") is None


def test_baselines_only_draw_no_training_plot(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    report.write_report(out, [_trained("mf", 0, 3)], settings=SETTINGS)
    assert (out / "training.png").exists()
    report.write_report(out, [_scored_run("popularity", 0, 0.1)], settings=SETTINGS)
    assert not (out / "training.png").exists()  # nor a stale one from before
    md = (out / "report.md").read_text()
    assert "training.png" not in md and "recall_at_k.png" in md


def test_each_model_keeps_its_colour_whatever_else_is_in_the_report() -> None:
    alone = report.model_style("social")
    assert report.model_style("social") == alone
    assert report.model_style("lightgcn")["color"] != alone["color"]
    pair = report.model_style("social (ensemble of 2)")
    assert pair["color"] == alone["color"] and pair["linestyle"] == "--"


def test_a_report_reads_back_into_the_same_table(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=200, items=80)
    config = TrainConfig(epochs=2, eval_every=1, embedding_dim=8, num_layers=1, device="cpu")
    trials = experiment.run(snap, ["popularity", "mf"], [0], config, ratios=(0.7, 0.1, 0.2))
    out = report.write_report(tmp_path / "rep", trials, settings=SETTINGS)
    saved = json.loads((out / "report.json").read_text())
    assert saved["settings"] == SETTINGS and len(saved["trials"]) == 2
    again = report.read_report(out)
    assert [(t.model, t.seed) for t in again] == [("popularity", 0), ("mf", 0)]
    assert again[1].result.config == trials[1].result.config
    assert again[1].eval_seconds == trials[1].eval_seconds
    assert report.markdown_table(again) == report.markdown_table(trials)


def test_a_stopped_run_resumes_without_retraining_what_finished(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=200, items=80)
    config = TrainConfig(epochs=2, eval_every=1, embedding_dim=8, num_layers=1, device="cpu")
    seen: list[str] = []
    first = experiment.run(
        snap, ["mf"], [0], config, ratios=(0.7, 0.1, 0.2), on_trial=lambda t: seen.append(t.model)
    )
    assert seen == ["mf"]
    log: list[str] = []
    both = experiment.run(
        snap,
        ["mf", "popularity"],
        [0],
        config,
        ratios=(0.7, 0.1, 0.2),
        log=log.append,
        done=first,
        on_trial=lambda t: seen.append(t.model),
    )
    assert seen == ["mf", "popularity"]  # mf was not trained again
    assert both[0] is first[0] and any("done before, kept" in line for line in log)
