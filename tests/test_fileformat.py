"""Snapshot and checkpoint files: named errors for every way a file can be wrong."""

from pathlib import Path

import pytest
import torch

from socialrec.checkpoint import Checkpoint, CheckpointError
from socialrec.export import GraphSnapshot
from socialrec.export.snapshot import SnapshotMismatchError
from socialrec.fileformat import digest
from tests.helpers import checkpoint_for, synthetic_snapshot


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    snap = synthetic_snapshot(users=60, items=30)
    ckpt = checkpoint_for(snap, torch.randn(60, 4), torch.randn(30, 4))
    return snap.save(tmp_path / "snapshot.pt"), ckpt.save(tmp_path / "model.pt")


def _flip_a_byte_in_the_tensor_data(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    # the biggest record is tensor data: flip a byte in the middle of the file
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_flipped_bytes_are_caught_by_the_digest(files: tuple[Path, Path]) -> None:
    snapshot, model = files
    for path, load, error in (
        (snapshot, GraphSnapshot.load, SnapshotMismatchError),
        (model, Checkpoint.load, CheckpointError),
    ):
        load(path)  # intact: loads
        _flip_a_byte_in_the_tensor_data(path)
        with pytest.raises(error, match=r"digest|corrupt"):
            load(path)


def test_a_checkpoint_passed_as_snapshot_and_the_reverse(files: tuple[Path, Path]) -> None:
    snapshot, model = files
    with pytest.raises(SnapshotMismatchError, match="socialrec checkpoint, not a snapshot"):
        GraphSnapshot.load(model)
    with pytest.raises(CheckpointError, match="socialrec snapshot, not a checkpoint"):
        Checkpoint.load(snapshot)


def test_truncated_missing_and_code_holding_files(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, model = files
    cut = tmp_path / "cut.pt"
    cut.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        Checkpoint.load(cut)
    with pytest.raises(CheckpointError, match="no such file"):
        Checkpoint.load(tmp_path / "nope.pt")

    evil = tmp_path / "evil.pt"
    # a pickled object (here a Path): weights_only refuses it
    torch.save({"kind": "socialrec-checkpoint", "x": Path("/")}, evil)
    with pytest.raises(CheckpointError, match="could run code"):
        Checkpoint.load(evil)


def test_digest_sees_every_part() -> None:
    base = {"a": torch.zeros(3), "b": [1, "x"], "c": {"d": 1.5}}
    changed = [
        {"a": torch.tensor([0.0, 0.0, 1e-9]), "b": [1, "x"], "c": {"d": 1.5}},
        {"a": torch.zeros(3), "b": [1, "y"], "c": {"d": 1.5}},
        {"a": torch.zeros(3), "b": [1, "x"], "c": {"d": 1.25}},
        {"a": torch.zeros(3, dtype=torch.float64), "b": [1, "x"], "c": {"d": 1.5}},
    ]
    assert digest(base) == digest(dict(base))
    assert len({digest(base), *(digest(c) for c in changed)}) == 5
