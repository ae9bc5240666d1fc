"""socialrec tune (socialrec/train/tune.py): validation only, resumable, within budget."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from socialrec.errors import ConfigError
from socialrec.train.config import TrainConfig, TuneConfig
from socialrec.train.splits import split
from socialrec.train.tune import (
    PERIOD_DAYS,
    RECENCY_DAYS,
    STUDY,
    base_point,
    read_recipe,
    study_storage,
    suggest,
    tune,
)
from tests.helpers import synthetic_snapshot

BASE = TrainConfig(eval_every=1, batch_size=1024, device="cpu")
QUICK = TuneConfig(trials=3, budget="", max_epochs=3, prune=False)


@pytest.fixture(scope="module")
def snap():  # type: ignore[no-untyped-def]
    return synthetic_snapshot(users=250, items=100)


def test_the_test_part_has_no_say_in_the_recipe(snap, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sp = split(snap, "random", (0.8, 0.1, 0.1), seed=0)
    clean = tune(snap, "lightgcn", tmp_path / "a", QUICK, BASE, sp)
    # the test part replaced by garbage: the same trials, the same winner
    rng = np.random.default_rng(1)
    poisoned = replace(
        sp,
        test=np.stack([rng.integers(0, sp.num_users, 500), rng.integers(0, sp.num_items, 500)]),
    )
    again = tune(snap, "lightgcn", tmp_path / "b", QUICK, BASE, poisoned)
    assert again.recipe == clean.recipe
    assert again.valid == clean.valid
    recipe = read_recipe(tmp_path / "a" / "recipe.toml")
    assert recipe["model"] == "lightgcn"
    assert {k: recipe[k] for k in clean.recipe} == clean.recipe
    assert TrainConfig(**recipe).embedding_dim in (64, 128, 256)


def test_a_stopped_study_resumes_and_counts_its_trials(snap, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = tune(snap, "mf", tmp_path, replace(QUICK, trials=2), BASE)
    assert first.trials == 2
    more = tune(snap, "mf", tmp_path, replace(QUICK, trials=3), BASE)
    assert more.trials == 3  # one more trial, not three
    numbers = sorted(t["number"] for t in more.top)
    assert numbers == [0, 1, 2]
    with pytest.raises(ConfigError, match="holds a study of model 'mf'"):
        tune(snap, "lightgcn", tmp_path, QUICK, BASE)


def _study_trials(folder: Path) -> list:  # type: ignore[type-arg]
    import optuna

    return optuna.load_study(study_name=STUDY, storage=study_storage(folder)).trials


def test_a_new_study_starts_from_the_base_recipe(snap, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = replace(BASE, embedding_dim=64, lr=3e-3, negatives=4, num_layers=2)
    one = tune(snap, "lightgcn", tmp_path, replace(QUICK, trials=1), base)
    # the one trial is the base recipe, so the "tuned" recipe is the defaults
    for key, value in one.recipe.items():
        assert value == getattr(base, key), key
    assert {"embedding_dim", "lr", "negatives", "num_layers"} <= set(one.recipe)
    # resumed: the next trial is the sampler's, not the defaults again
    tune(snap, "lightgcn", tmp_path, replace(QUICK, trials=2), base)
    first, second = (t.params for t in _study_trials(tmp_path))
    assert first == one.recipe
    assert second != first


def test_base_values_outside_the_space_are_left_to_the_sampler() -> None:
    point = base_point(TrainConfig(embedding_dim=512, lr=0.5, negatives=16), "social")
    assert "embedding_dim" not in point and "lr" not in point  # 512 and 0.5 are outside
    assert point["negatives"] == 16 and point["num_layers"] == TrainConfig().num_layers
    assert "attention_rate" not in point  # social has no attention rate
    assert base_point(TrainConfig(), "attention")["attention_rate"] == TrainConfig().attention_rate


def test_the_budget_ends_the_search(snap, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    t = time.monotonic()
    result = tune(snap, "mf", tmp_path, TuneConfig(trials=500, budget="2s", max_epochs=2), BASE)
    assert 1 <= result.trials < 500
    assert time.monotonic() - t < 60


def test_budgets_and_recipes_that_cannot_work_are_named(tmp_path: Path) -> None:
    assert TuneConfig(budget="90s").budget_seconds() == 90
    assert TuneConfig(budget="1.5h").budget_seconds() == 5400
    assert TuneConfig(budget="").budget_seconds() is None
    with pytest.raises(ConfigError, match="budget 'soon'"):
        TuneConfig(budget="soon")
    bad = tmp_path / "r.toml"
    bad.write_text("[train]\nembeding_dim = 64\n")
    with pytest.raises(ConfigError, match=r"unknown settings \['embeding_dim'\]"):
        read_recipe(bad)
    bad.write_text("[train]\nlr = -1.0\n")
    with pytest.raises(ConfigError, match="lr must be > 0"):
        read_recipe(bad)


def test_dated_interactions_add_the_recency_to_the_search(tmp_path: Path) -> None:
    timed = synthetic_snapshot(users=250, items=100)  # the generator dates every interaction
    tune(timed, "lightgcn", tmp_path, replace(QUICK, trials=2), BASE)
    for trial in _study_trials(tmp_path):
        assert trial.params["recency_days"] in RECENCY_DAYS
        assert trial.params["recency_reference"] in ("user", "global")
        assert trial.params["period_days"] in PERIOD_DAYS
    recipe = read_recipe(tmp_path / "recipe.toml")
    assert "recency_days" in recipe and "recency_reference" in recipe
    # undated interactions (LastFM): nothing to search
    undated = synthetic_snapshot(users=250, items=100)
    store = undated.data["user", "interacts", "item"]
    store.edge_time = store.edge_time * 0 - 1
    tune(undated, "lightgcn", tmp_path / "undated", replace(QUICK, trials=1), BASE)
    assert "recency_days" not in read_recipe(tmp_path / "undated" / "recipe.toml")


def test_a_models_own_knobs_are_searched_for_it_alone() -> None:
    import optuna

    fixed = {
        "embedding_dim": 64,
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "negatives": 4,
        "weight_average": 0.999,
    }
    trial = optuna.trial.FixedTrial(
        {**fixed, "num_layers": 2, "attention_rate": 0.05, "bottleneck_weight": 5}
    )
    assert suggest(trial, "attention")["attention_rate"] == 0.05
    assert suggest(trial, "gbsr")["bottleneck_weight"] == 5
    social = suggest(trial, "social")
    assert "attention_rate" not in social and "bottleneck_weight" not in social
    TrainConfig.from_dict({**suggest(trial, "attention"), "model": "attention"})  # a valid recipe
