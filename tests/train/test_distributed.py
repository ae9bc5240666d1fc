"""DDP under torchrun on CPU: 2 processes, gloo, identical weights, a real model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import torch

from socialrec.checkpoint import Checkpoint
from tests.helpers import synthetic_snapshot

WORKER = textwrap.dedent(
    """
    import sys
    import torch
    from socialrec.export import GraphSnapshot
    from socialrec.models import TrainGraph
    from socialrec.train.distributed import init_from_env
    from socialrec.train.splits import split
    from socialrec.train.trainer import TrainConfig, train

    rank, world = init_from_env()
    assert world == 2, world
    snapshot = GraphSnapshot.load(sys.argv[1])
    sp = split(snapshot, "random", (0.8, 0.1, 0.1), seed=0)
    config = TrainConfig(model="social", epochs=6, eval_every=2, embedding_dim=16,
                         num_layers=2, batch_size=512, device="cpu", lr=0.01)
    result = train(TrainGraph.build(snapshot, sp.train), sp, config)
    out = {"state": result.state_dict, "valid": result.best_valid}
    torch.save(out, f"{sys.argv[2]}/rank{rank}.pt")
    """
)


def torchrun(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29531", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def test_two_gloo_processes_train_identical_weights(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=300, items=120).save(tmp_path / "s.pt")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    done = torchrun(str(script), str(snap), str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for name, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][name]), name
    # it learned something: validation recall well above a random ranking's
    assert ranks[0]["valid"] > 2 * 20 / 120


def test_cli_train_under_torchrun_writes_one_checkpoint(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=200, items=80).save(tmp_path / "s.pt")
    out = tmp_path / "run"
    done = torchrun(
        "-m", "socialrec.cli", "train", "--snapshot", str(snap), "--model", "lightgcn",
        "--epochs", "2", "--eval-every", "1", "--embedding-dim", "8", "--device", "cpu",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert Checkpoint.load(out / "checkpoint.pt").model == "lightgcn"
    assert done.stdout.count("checkpoint:") == 1  # rank 0 only
