"""Checkpoint (socialrec/checkpoint.py): one file type, save / load / peek."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from socialrec.checkpoint import Checkpoint, CheckpointError


def _checkpoint(user_ids: list, item_ids: list) -> Checkpoint:
    torch.manual_seed(0)
    return Checkpoint(
        model="lightgcn",
        user_embedding=torch.randn(len(user_ids), 4),
        item_embedding=torch.randn(len(item_ids), 4),
        ids={"user": np.asarray(user_ids), "item": np.asarray(item_ids)},
        mapping={"labels": {"user": "Person"}},
        schema_hash="abc123",
        config={"embedding_dim": 4, "lr": 0.001},
        state_dict={"user.weight": torch.ones(2, 4)},
        metrics={"test": {"recall@20": 0.25}},
        trained_at=1_700_000_000.0,
    )


@pytest.mark.parametrize(
    ("users", "items"), [([7, 9], [1, 2, 3]), (["u-7", "u9"], ["a", "b", "c"])]
)
def test_save_then_load_gives_back_every_field(tmp_path: Path, users: list, items: list) -> None:
    ck = _checkpoint(users, items)
    back = Checkpoint.load(ck.save(tmp_path / "m.pt"))
    assert back.model == "lightgcn"
    assert torch.equal(back.user_embedding, ck.user_embedding)
    assert torch.equal(back.item_embedding, ck.item_embedding)
    assert back.ids["user"].tolist() == users and back.ids["item"].tolist() == items
    assert back.ids["user"].dtype == (np.int64 if isinstance(users[0], int) else object)
    assert back.mapping == ck.mapping and back.schema_hash == "abc123"
    assert back.config == ck.config and back.metrics == ck.metrics
    assert back.test_metrics == {"recall@20": 0.25}
    assert torch.equal(back.state_dict["user.weight"], torch.ones(2, 4))
    assert back.trained_at == 1_700_000_000.0


def test_peek_reads_the_small_fields(tmp_path: Path) -> None:
    path = _checkpoint([1, 2], [3]).save(tmp_path / "m.pt")
    meta = Checkpoint.peek(path)
    assert meta == {
        "model": "lightgcn",
        "trained_at": 1_700_000_000.0,
        "schema_hash": "abc123",
        "mapping": {"labels": {"user": "Person"}},
    }


def test_embeddings_and_ids_of_different_lengths_are_refused() -> None:
    with pytest.raises(CheckpointError, match="3 user embeddings for 2 user ids"):
        Checkpoint("mf", torch.zeros(3, 2), torch.zeros(1, 2), {"user": np.arange(2)}, {})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope\.pt"):
        Checkpoint.load(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match=r"nope\.pt"):
        Checkpoint.peek(tmp_path / "nope.pt")
