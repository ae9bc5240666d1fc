"""CLI options come from the config dataclasses: every field once, same name and default."""

from __future__ import annotations

import dataclasses

import click
import pytest

from socialrec.cli import cli
from socialrec.cli.options import config_from, field_help
from socialrec.train.config import TrainConfig
from socialrec.writeback.config import WritebackConfig


def _params(command: str) -> dict[str, click.Parameter]:
    cmd = cli.commands[command]
    return {p.name: p for p in cmd.params if p.name}


@pytest.mark.parametrize(
    ("command", "cls", "skip"),
    [
        ("train", TrainConfig, {"model", "seed"}),
        ("evaluate", TrainConfig, {"model", "seed"}),
        ("writeback", WritebackConfig, {"diff"}),  # only a sync keeps served lists
    ],
)
def test_every_field_is_an_option_with_the_dataclass_default(
    command: str, cls: type, skip: set[str]
) -> None:
    params = _params(command)
    for field in dataclasses.fields(cls):
        if field.name in skip:
            continue
        assert field.name in params, f"{command}: no option for {cls.__name__}.{field.name}"
        assert params[field.name].default == field.default, field.name
        flag = "--" + field.name.replace("_", "-")
        assert flag in params[field.name].opts, (field.name, params[field.name].opts)


def test_help_comes_from_the_docstring_and_config_from_round_trips() -> None:
    helps = field_help(TrainConfig)
    assert helps["lr"] == "Adam learning rate."
    assert "default" not in helps["negatives"] and "``" not in helps["refit"]
    params = {"lr": 0.01, "embedding_dim": 8, "out": "x"}
    config = config_from(TrainConfig, params, model="mf")
    assert config.lr == 0.01 and config.embedding_dim == 8 and config.model == "mf"
    assert params == {"out": "x"}  # the config's own values were taken out


def test_help_shows_greek_letters_not_tex() -> None:
    helps = field_help(TrainConfig)
    assert "λ" in helps["weight_decay"] and "τ" in helps["softmax_temperature"]
    assert "β" in helps["weight_average"]
    for name, text in helps.items():
        assert "\\" not in text and ":math:" not in text, (name, text)
