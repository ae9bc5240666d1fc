"""socialrec train / evaluate from snapshot files."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from socialrec.checkpoint import Checkpoint
from tests.helpers import NOWHERE, run_cli, synthetic_snapshot


def test_train_and_evaluate_from_a_snapshot_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snap_path = synthetic_snapshot(users=200, items=80).save(tmp_path / "s.pt")
    common = [
        "--snapshot",
        str(snap_path),
        "--epochs",
        "3",
        "--eval-every",
        "1",
        "--embedding-dim",
        "8",
        "--num-layers",
        "1",
        "--device",
        "cpu",
    ]
    code, out, err = run_cli(
        [
            "train",
            *("--model", "lightgcn", "--loss", "softmax", "--softmax-temperature", "0.2"),
            *("--out", str(tmp_path / "run"), *common),
        ],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    checkpoint = Checkpoint.load(tmp_path / "run" / "checkpoint.pt")
    assert checkpoint.model == "lightgcn"
    assert checkpoint.config["loss"] == "softmax"
    assert checkpoint.config["softmax_temperature"] == 0.2
    assert "| lightgcn | 1 |" in out
    code, out, err = run_cli(
        [
            "evaluate",
            "--models",
            "popularity,mf",
            "--seeds",
            "0,1",
            "--ensemble",
            "2",
            "--out",
            str(tmp_path / "cmp"),
            *common,
        ],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "| mf (ensemble of 2) | 2 |" in (tmp_path / "cmp" / "report.md").read_text()
    report = json.loads((tmp_path / "cmp" / "report.json").read_text())
    assert [r["train"]["config"]["ensemble"] for r in report["trials"]] == [2, 2, 2, 2]
    assert report["settings"]["training"]["embedding_dim"] == 8
    assert (tmp_path / "cmp" / "report.md").read_text().index("Settings:") < 40

    # run again with one more model: the four finished trials are kept, not retrained
    evaluate = ["evaluate", "--seeds", "0,1", "--ensemble", "2", "--out", str(tmp_path / "cmp")]
    code, out, err = run_cli(
        [*evaluate, "--models", "popularity,mf,lightgcn", *common], None, monkeypatch, capsys
    )
    assert code == 0, err
    assert "keeping 4 finished trial(s)" in out and out.count("done before, kept") == 4
    report = json.loads((tmp_path / "cmp" / "report.json").read_text())
    assert [t["model"] for t in report["trials"]].count("lightgcn") == 2
    # other training settings: refused, not mixed into the same table
    changed = [a if a != "8" else "16" for a in common]
    code, _, err = run_cli([*evaluate, "--models", "mf", *changed], None, monkeypatch, capsys)
    assert code == 2 and "other settings (training differ)" in err
    code, _, err = run_cli(
        ["evaluate", "--models", "nope", "--out", str(tmp_path / "x"), *common],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 2 and "unknown models" in err


def test_train_with_zero_epochs_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = synthetic_snapshot(users=60, items=30).save(tmp_path / "s.pt")
    args = ["train", "--snapshot", str(snap), "--out", str(tmp_path / "o"), "--epochs", "0"]
    code, _, err = run_cli(
        [*args, "--model", "mf", "--device", "cpu"], NOWHERE, monkeypatch, capsys
    )
    assert "warning: --epochs 0 trains nothing" in err
    assert code == 0, err


def test_tune_writes_a_recipe_that_train_reads_under_explicit_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snap_path = tmp_path / "snap.pt"
    synthetic_snapshot(users=200, items=80).save(snap_path)
    common = ["--snapshot", str(snap_path), "--eval-every", "1", "--device", "cpu"]
    tune = ["tune", "--model", "mf", "--trials", "2", "--budget", "", "--max-epochs", "2"]
    code, out, err = run_cli(
        [*tune, "--out", str(tmp_path / "t"), *common], None, monkeypatch, capsys
    )
    assert code == 0, err
    assert "2 trials (0 pruned)" in out and "recipe:" in out
    recipe = tmp_path / "t" / "recipe.toml"
    tuned = tomllib.loads(recipe.read_text())["train"]
    train = ["train", "--model", "mf", "--epochs", "1", "--recipe", str(recipe), *common]
    code, _, err = run_cli(
        [*train, "--lr", "0.0123", "--out", str(tmp_path / "m")], None, monkeypatch, capsys
    )
    assert code == 0, err
    config = Checkpoint.load(tmp_path / "m" / "checkpoint.pt").config
    assert config["embedding_dim"] == tuned["embedding_dim"]  # from the recipe
    assert config["lr"] == 0.0123  # given on the command line: it wins
