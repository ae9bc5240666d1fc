"""``socialrec train`` and ``evaluate``: models on a snapshot, with reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app
from socialrec.cli.export import echo_warnings
from socialrec.cli.options import config_from, options_from
from socialrec.train.config import TrainConfig


def snapshot_for(app: App, snapshot_path: str | None) -> Any:
    """A saved snapshot, or a fresh full export from the database."""
    from socialrec.export import Exporter, GraphSnapshot

    if snapshot_path:
        return GraphSnapshot.load(snapshot_path, mapping=app.mapping())
    click.echo(f"exporting from {app.connection().describe()}...")
    snapshot = Exporter(app.runner(), app.mapping()).full()
    echo_warnings(snapshot.report)
    return snapshot


def training_options(f: Any) -> Any:
    options = [
        click.option(
            "--snapshot",
            type=click.Path(exists=True, dir_okay=False),
            help="Train on a saved snapshot instead of exporting from Neo4j.",
        ),
        click.option(
            "--split",
            "split_kind",
            type=click.Choice(["random", "temporal", "loo"]),
            default="random",
            show_default=True,
        ),
        click.option(
            "--ratios",
            default="0.8,0.1,0.1",
            show_default=True,
            help="Train,valid,test shares per user (random/temporal).",
        ),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            required=True,
            help="Folder for the checkpoint(s) and the report.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    # every TrainConfig field is an option, named, typed and documented there
    return options_from(TrainConfig, exclude=("model", "seed"))(f)


def _config(params: dict[str, Any]) -> TrainConfig:
    return config_from(TrainConfig, params)


def _gds_if_needed(app: App, models: list[str]) -> Any:
    """A GDS client when a model runs in Neo4j (``gds_similarity``), else ``None``."""
    if "gds_similarity" not in models:
        return None
    from socialrec.graph.gds import open_gds

    return open_gds(app.connection())


def _ratios(text: str) -> tuple[float, float, float]:
    try:
        a, b, c = (float(x) for x in text.split(","))
    except ValueError as e:
        raise click.BadParameter(
            "give three numbers, e.g. 0.8,0.1,0.1", param_hint="--ratios"
        ) from e
    return a, b, c


@cli.command("train")
@click.option(
    "--model",
    type=click.Choice(
        ["mf", "lightgcn", "social", "attention", "hybrid", "popularity", "gds_similarity"]
    ),
    default="social",
    show_default=True,
)
@click.option("--seed", type=int, default=0, show_default=True)
@training_options
@pass_app
def train_cmd(
    app: App,
    model: str,
    seed: int,
    snapshot: str | None,
    split_kind: str,
    ratios: str,
    out: str,
    **params: Any,
) -> None:
    """Train one model; write OUT/checkpoint.pt and a report (test metrics, plots).

    Under torchrun it trains data-parallel (DDP); rank 0 writes the outputs.
    """
    from socialrec.train import experiment
    from socialrec.train.distributed import init_from_env

    rank, _ = init_from_env()
    if params["epochs"] == 0:
        click.echo(
            "warning: --epochs 0 trains nothing: the checkpoint holds the initial, random "
            "embeddings",
            err=True,
        )
    config = _config(params)  # bad options fail before a long export
    snap = snapshot_for(app, snapshot)
    runs = experiment.run(
        snap,
        [model],
        [seed],
        config,
        split_kind,
        _ratios(ratios),
        log=click.echo,
        gds=_gds_if_needed(app, [model]),
    )
    if rank != 0:
        return
    path = experiment.save_checkpoint(Path(out) / "checkpoint.pt", runs[0], snap)
    report = experiment.write_report(out, runs, title=f"socialrec train: {model}")
    click.echo(f"checkpoint: {path}\nreport: {report / 'report.md'}")
    click.echo(experiment.markdown_table(runs))


@cli.command("evaluate")
@click.option(
    "--models",
    default="popularity,mf,lightgcn,social,attention,hybrid",
    show_default=True,
    help="Comma-separated models to compare.",
)
@click.option("--seeds", default="0", show_default=True, help="Comma-separated seeds.")
@training_options
@pass_app
def evaluate_cmd(
    app: App,
    models: str,
    seeds: str,
    snapshot: str | None,
    split_kind: str,
    ratios: str,
    out: str,
    **params: Any,
) -> None:
    """Compare models over seeds on the same splits; write a report table and plots."""
    from socialrec.models import MODELS
    from socialrec.train import experiment

    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        raise click.BadParameter(
            f"unknown models {unknown}; choose from {MODELS}", param_hint="--models"
        )
    seed_list = [int(s) for s in seeds.split(",")]
    config = _config(params)  # bad options fail before a long export
    snap = snapshot_for(app, snapshot)
    runs = experiment.run(
        snap,
        names,
        seed_list,
        config,
        split_kind,
        _ratios(ratios),
        log=click.echo,
        gds=_gds_if_needed(app, names),
    )
    report = experiment.write_report(out, runs, title="socialrec evaluate")
    click.echo(experiment.markdown_table(runs))
    click.echo(f"report: {report / 'report.md'}")
