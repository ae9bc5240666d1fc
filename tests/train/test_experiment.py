import json
from pathlib import Path

import torch

from socialrec.train import experiment
from socialrec.train.trainer import TrainConfig
from tests.helpers import synthetic_snapshot


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

    path = experiment.save_checkpoint(tmp_path / "ck.pt", runs[1], snap)
    torch.load(path, weights_only=True)
    ck = experiment.load_checkpoint(path)
    assert ck["model"] == "lightgcn" and ck["schema_hash"] == snap.schema_hash
    assert torch.equal(ck["user_embedding"], runs[1].result.user_embedding)
    assert ck["config"]["embedding_dim"] == 16
    assert ck["ids"]["user"].tolist() == snap.ids["user"].tolist()
