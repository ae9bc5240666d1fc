"""The one-class Python API: fit, recommend, save/load, write_back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialrec import Recommender
from socialrec.export.snapshot import INTERACTS
from socialrec.graph.runner import Neo4jRunner
from tests.helpers import synthetic_snapshot

OPTIONS: dict[str, Any] = {
    "epochs": 4,
    "eval_every": 2,
    "embedding_dim": 16,
    "num_layers": 2,
    "device": "cpu",
}


def test_fit_recommend_save_load(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=300, items=100)
    rec = Recommender("lightgcn", **OPTIONS).fit(snap)
    assert rec.metrics["valid_recall@20"] > 0
    # the model that serves was refit on every interaction: nothing held out
    assert rec.trial is not None and rec.trial.held_out == 0.0 and rec.trial.result.config.refit
    users = [0, 5, 7]
    got = rec.recommend(users, k=5)
    edges = snap.data[INTERACTS].edge_index.numpy()
    for user in users:
        items = [item for item, _ in got[user]]
        assert len(items) == 5
        assert not set(items) & set(edges[1][edges[0] == user].tolist())
        scores = [score for _, score in got[user]]
        assert scores == sorted(scores, reverse=True)
    again = Recommender.load(rec.save(tmp_path / "m.pt"), snap)
    assert again.recommend(users, k=5) == got
    assert again.config.embedding_dim == 16 and again.metrics["valid_recall@20"] > 0
    # load -> save -> load gives the same model
    third = Recommender.load(again.save(tmp_path / "m2.pt"), snap)
    assert third.recommend(users, k=5) == got


def test_recommend_names_the_users_it_could_not_score() -> None:
    snap = synthetic_snapshot(users=120, items=60)
    rec = Recommender("mf", **OPTIONS).fit(snap)
    assert rec.scorer is not None
    rec.scorer.user_known[3] = False  # as for a user with no embedding and no known friends
    result = rec.recommend([1, 3, "nobody", 2], k=3)
    assert result.users == [1, 2] and len(result.items[0]) == 3
    assert result.unscorable == [3] and result.unknown == ["nobody"]


def test_evaluate_is_the_test_protocol_and_leaves_the_fitted_model() -> None:
    snap = synthetic_snapshot(users=200, items=80)
    rec = Recommender("mf", **OPTIONS).fit(snap)
    before = rec.recommend([0, 1], k=5)
    runs = rec.evaluate(snap, seeds=[0, 1])
    assert [r.seed for r in runs] == [0, 1]
    assert all(0 < r.test["recall@20"] <= 1 and r.held_out > 0 for r in runs)
    assert rec.recommend([0, 1], k=5) == before


def test_recommend_before_fit_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="call fit"):
        Recommender().recommend([1])


@pytest.mark.integration
def test_write_back_publishes_a_run(db: Neo4jRunner) -> None:
    from socialrec.export import Exporter
    from socialrec.load.synthetic import SyntheticConfig, load_synthetic
    from socialrec.load.writer import GraphWriter

    load_synthetic(GraphWriter(db), SyntheticConfig(users=150, items=60, seed=4), progress=False)
    snap = Exporter(db, progress=False).full()
    rec = Recommender("mf", **OPTIONS).fit(snap)
    report = rec.write_back(db)
    assert report.relationships == 150 * 20
    stored = db.read(
        "MATCH (u:User)-[r:RECOMMENDED {run_id: $id}]->(i:Item) "
        "RETURN u.id AS u, i.id AS i ORDER BY u, r.rank",
        {"id": report.run_id},
    )
    first = [r["i"] for r in stored if r["u"] == stored[0]["u"]]
    assert first == [item for item, _ in rec.recommend([stored[0]["u"]], k=20)[stored[0]["u"]]]
    assert np.isfinite(rec.metrics["valid_recall@20"])
