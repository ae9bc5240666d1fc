"""Small in-memory snapshots for unit tests (no Neo4j needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.config import ConnectionSettings
from socialrec.export.snapshot import GraphSnapshot
from socialrec.export.tables import EdgeList, NodeTable, build_hetero_data
from socialrec.load.synthetic import SyntheticConfig, SyntheticGraph
from socialrec.mapping import GraphMapping
from socialrec.models.train_graph import TrainGraph
from socialrec.train.trainer import TrainConfig

#: Connection settings for CLI tests that must fail before any query is sent.
NOWHERE = ConnectionSettings("bolt://127.0.0.1:1", "neo4j", "x")


def snapshot_from_arrays(
    n_users: int,
    n_items: int,
    n_attrs: int,
    inter: np.ndarray,
    friends: np.ndarray,
    has: np.ndarray,
    times: np.ndarray | None = None,
) -> GraphSnapshot:
    """A snapshot whose ids equal the indices; ``friends`` pairs in one direction."""
    users = NodeTable("user", np.arange(n_users), np.arange(n_users))
    items = NodeTable("item", np.arange(n_items), np.arange(n_items))
    attrs = NodeTable("attribute", np.arange(n_attrs), np.arange(n_attrs))
    t = times if times is not None else np.full(inter.shape[1], -1)
    both = np.concatenate([friends, friends[::-1]], axis=1) if friends.size else friends
    data = build_hetero_data(
        users,
        items,
        attrs,
        EdgeList(inter[0], inter[1], np.ones(inter.shape[1]), t),
        EdgeList(both[0], both[1]) if both.size else EdgeList(np.empty(0, int), np.empty(0, int)),
        EdgeList(has[0], has[1], np.ones(has.shape[1])),
    )
    return GraphSnapshot(
        data=data,
        ids={"user": users.ids, "item": items.ids, "attribute": attrs.ids},
        mapping=GraphMapping(),
    )


def tiny_graph() -> TrainGraph:
    """The models' test graph (see the comment)."""
    # 4 users, 5 items, 3 attributes. User 3 has friends but no interactions;
    # item 4 has attributes but no interactions.
    inter = np.array([[0, 0, 1, 1, 2], [0, 1, 1, 2, 3]])
    friends = np.array([[0, 1, 2], [1, 3, 3]])
    has = np.array([[0, 1, 2, 3, 4, 4], [0, 0, 1, 2, 2, 1]])
    snap = snapshot_from_arrays(4, 5, 3, inter, friends, has)
    return TrainGraph.build(snap, inter)


def synthetic_snapshot(
    users: int = 600, items: int = 300, seed: int = 0, **options: Any
) -> GraphSnapshot:
    """The seeded synthetic generator, straight into a snapshot (``options``:
    more :class:`SyntheticConfig` fields)."""
    settings: dict[str, Any] = {"attributes": 15, "communities": 6, "interactions_per_user": 12}
    config = SyntheticConfig(users=users, items=items, seed=seed, **(settings | options))
    g = SyntheticGraph(config)
    chunks = list(g.user_chunks())
    inter = np.stack(
        [np.concatenate([c.users for c in chunks]), np.concatenate([c.items for c in chunks])]
    )
    times = np.concatenate([c.times for c in chunks])
    friends = np.stack(
        [np.concatenate([c.friend_a for c in chunks]), np.concatenate([c.friend_b for c in chunks])]
    )
    friends = np.unique(friends, axis=1)
    ia = [np.stack(p) for p in g.item_attributes()]
    n_attrs = config.attributes
    has = np.concatenate(ia, axis=1)
    return snapshot_from_arrays(users, items, n_attrs, inter, friends, has, times)


def checkpoint_for(
    snapshot: GraphSnapshot, user_emb: torch.Tensor, item_emb: torch.Tensor, reverse: bool = False
) -> Checkpoint:
    """A checkpoint of hand-made embeddings for ``snapshot`` (ids reversed when ``reverse``)."""
    ids = {nt: snapshot.ids[nt][::-1] if reverse else snapshot.ids[nt] for nt in ("user", "item")}
    return Checkpoint(
        model="handmade",
        user_embedding=user_emb,
        item_embedding=item_emb,
        ids={nt: np.ascontiguousarray(v) for nt, v in ids.items()},
        mapping=snapshot.mapping.to_dict(),
        schema_hash=snapshot.schema_hash,
    )


def small_config(model: str, **overrides: Any) -> TrainConfig:
    """A CPU TrainConfig sized for the small synthetic graphs of the unit tests."""
    base: dict[str, Any] = {
        "model": model,
        "epochs": 10,
        "eval_every": 5,
        "batch_size": 512,
        "lr": 0.01,
        "embedding_dim": 16,
        "num_layers": 2,
        "device": "cpu",
    }
    return TrainConfig(**(base | overrides))


def run_cli(
    args: list[str],
    settings: ConnectionSettings | None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    """Run ``socialrec ARGS`` in-process against ``settings``; (exit code, stdout, stderr)."""
    from socialrec.cli import main

    if settings is not None:
        monkeypatch.setenv("NEO4J_URI", settings.uri)
        monkeypatch.setenv("NEO4J_USER", settings.user)
        monkeypatch.setenv("NEO4J_PASSWORD", settings.password)
    monkeypatch.setattr("sys.argv", ["socialrec", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def load_tsv_args(tmp_path: Path, interactions: str, friendships: str) -> list[str]:
    """``load tsv`` arguments for two small files written from the given text:
    ``user item weight [time]`` rows and ``user friend`` rows (times read when present)."""
    inter, friends = tmp_path / "i.tsv", tmp_path / "f.tsv"
    inter.write_text(interactions)
    friends.write_text(friendships)
    timed = len(interactions.splitlines()[0].split("\t")) > 3
    args = ["load", "tsv", "--interactions", str(inter), "--weight-col", "3"]
    return [*args, *(["--time-col", "4"] if timed else []), "--friendships", str(friends)]
