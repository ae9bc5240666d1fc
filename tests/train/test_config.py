"""TrainConfig (socialrec/train/config.py): validated where it is made."""

from __future__ import annotations

import dataclasses

import pytest

from socialrec.errors import ConfigError
from socialrec.train.config import TrainConfig


def test_unknown_loss_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="loss must be one of bpr, softmax"):
        TrainConfig(loss="hinge")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("embedding_dim", 0, "embedding_dim must be a whole number >= 1"),
        ("num_layers", -1, "num_layers must be a whole number >= 0"),
        ("batch_size", 2.5, "batch_size must be a whole number"),
        ("negatives", True, "negatives must be a whole number"),
        ("epochs", -1, "epochs must be >= 0"),
        ("lr", 0.0, "lr must be > 0"),
        ("ensemble", 0, "ensemble must be at least 1"),
        ("recency_days", -1.0, "recency_days must be >= 0"),
        ("recency_reference", "now", "recency_reference must be one of user, global"),
        ("sequence_length", 0, "sequence_length must be at least 1"),
        ("weight_average", 1.0, r"weight_average must be in \[0, 1\)"),
    ],
)
def test_settings_that_cannot_train_are_refused_by_name(
    field: str, value: object, says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        TrainConfig(**{field: value})  # type: ignore[arg-type]


def test_every_field_has_a_default_and_a_documented_help_line() -> None:
    doc = TrainConfig.__doc__ or ""
    for f in dataclasses.fields(TrainConfig):
        assert f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        assert f"{f.name} (" in doc, f"TrainConfig's docstring does not document {f.name}"


def test_a_config_saved_by_an_older_or_newer_version_still_reads() -> None:
    old = {"model": "mf", "k": 10, "lr": 0.01, "a_setting_from_the_future": 1}
    config = TrainConfig.from_dict(old)
    assert (config.model, config.valid_k, config.lr) == ("mf", 10, 0.01)
    assert TrainConfig.from_dict(dataclasses.asdict(config)) == config


def test_the_documented_defaults_are_the_defaults() -> None:
    import ast
    import re

    doc = TrainConfig.__doc__ or ""
    for f in dataclasses.fields(TrainConfig):
        start = doc.index(f"{f.name} (")
        found = re.search(r"\(default: ``(.+?)``\)", doc[start:], re.S)
        assert found, f"no documented default for {f.name}"
        assert ast.literal_eval(found.group(1)) == f.default, f.name


def test_the_weighted_options_refuse_sampled_training() -> None:
    with pytest.raises(
        ConfigError, match="recency_days, period_days, confidence and the sequence model train on"
    ):
        TrainConfig(fanout=10, recency_days=30.0)
    for options in ({"model": "sequence"}, {"confidence": 1.0}):
        with pytest.raises(ConfigError, match="leave fanout at 0"):
            TrainConfig(fanout=10, **options)
    with pytest.raises(ConfigError, match="confidence must be >= 0"):
        TrainConfig(confidence=-1.0)
