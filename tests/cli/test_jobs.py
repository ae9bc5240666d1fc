"""socialrec sync against the real server: a full sync, then an auto one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from socialrec.graph.runner import Neo4jRunner
from socialrec.load.synthetic import SyntheticConfig, load_synthetic
from socialrec.load.writer import GraphWriter

CLI = Callable[..., tuple[int, str, str]]


def test_sync_full_then_auto_publishes_and_reports_its_stages(
    db: Neo4jRunner, socialrec_cli: CLI, tmp_path: Path
) -> None:
    load_synthetic(GraphWriter(db), SyntheticConfig(users=150, items=60, seed=3), progress=False)
    config = tmp_path / "socialrec.toml"
    config.write_text(
        '[sync]\nmodel = "lightgcn"\n[sync.train]\nepochs = 2\neval_every = 1\n'
        'embedding_dim = 8\nnum_layers = 1\ndevice = "cpu"\n[sync.writeback]\nk = 5\n'
    )
    state = tmp_path / "state"
    code, out, err = socialrec_cli(
        "--config", str(config), "sync", "--kind", "full", "--state-dir", str(state)
    )
    assert code == 0, err
    for stage in ("[export]", "[train]", "[writeback]"):
        assert stage in out, out
    served = db.read("MATCH (:User)-[r:RECOMMENDED]->(:Item) RETURN count(r) AS n")[0]["n"]
    assert served == 150 * 5
    assert (state / "model.pt").exists() and (state / "snapshot.pt").exists()

    code, out, err = socialrec_cli("--config", str(config), "sync", "--state-dir", str(state))
    assert code == 0, err
    assert "incremental sync" in out  # a recent model and a snapshot: no retraining
    code, out, err = socialrec_cli("--config", str(config), "runs")
    assert code == 0 and "lightgcn" in out
