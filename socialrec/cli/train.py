"""``socialrec train`` and ``evaluate``: models on a snapshot, with reports."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app
from socialrec.cli.export import echo_warnings
from socialrec.cli.options import config_from, options_from
from socialrec.models.registry import MODELS, NEURAL_MODELS
from socialrec.train.config import SPLIT_KINDS, TrainConfig, TuneConfig


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
            type=click.Choice(SPLIT_KINDS),
            default="random",
            show_default=True,
            help="random (per user), temporal (each user's newest to test), loo "
            "(each user's last to test, the one before to validation) or time_cut "
            "(one global cut in time).",
        ),
        click.option(
            "--ratios",
            default="0.8,0.1,0.1",
            show_default=True,
            help="Train,valid,test shares: per user (random, temporal) or of all "
            "interactions (time_cut).",
        ),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            required=True,
            help="Folder for the checkpoint(s) and the report.",
        ),
        click.option(
            "--recipe",
            type=click.Path(exists=True, dir_okay=False),
            help="A recipe.toml from `socialrec tune`: its [train] settings, except "
            "options given here.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    # every TrainConfig field is an option, named, typed and documented there
    return options_from(TrainConfig, exclude=("model", "seed"))(f)


def _config(params: dict[str, Any]) -> TrainConfig:
    """TrainConfig from the options; a --recipe fills the options left at their default."""
    recipe_path = params.pop("recipe", None)
    if recipe_path:
        from click.core import ParameterSource

        from socialrec.train.tune import read_recipe

        ctx = click.get_current_context()
        for key, value in read_recipe(recipe_path).items():
            if key in params and ctx.get_parameter_source(key) is ParameterSource.DEFAULT:
                params[key] = value
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


def report_settings(
    snap: Any, split_kind: str, ratios: tuple[float, float, float], config: TrainConfig
) -> dict[str, Any]:
    """What a report was made with: it heads report.md, and a rerun compares it."""
    from dataclasses import asdict

    from socialrec.export.snapshot import INTERACTS
    from socialrec.train.report import source_version

    train = {k: v for k, v in asdict(config).items() if k not in ("model", "seed")}
    return {
        "graph": (
            f"{snap.num_nodes('user')} users, {snap.num_nodes('item')} items, "
            f"{snap.data[INTERACTS].edge_index.shape[1]} interactions "
            f"(schema {snap.schema_hash[:12]})"
        ),
        "split": f"{split_kind}, ratios {','.join(str(r) for r in ratios)} (train,valid,test)",
        "training": train,
        "socialrec": source_version(),
    }


#: Settings that must match for a rerun to keep a report's finished trials.
_RESUME_KEYS = ("graph", "split", "training")


@cli.command("train")
@click.option(
    "--model",
    type=click.Choice(list(MODELS)),
    default=TrainConfig.model,
    show_default=True,
)
@click.option("--seed", type=int, default=TrainConfig.seed, show_default=True)
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
    from socialrec.train import experiment, report
    from socialrec.train.distributed import init_from_env

    rank, _ = init_from_env()
    if params["epochs"] == 0:
        click.echo(
            "warning: --epochs 0 trains nothing: the checkpoint holds the initial, random "
            "embeddings",
            err=True,
        )
    config = _config(params)  # bad options fail before a long export
    split_ratios = _ratios(ratios)
    snap = snapshot_for(app, snapshot)
    trials = experiment.run(
        snap,
        [model],
        [seed],
        config,
        split_kind,
        split_ratios,
        log=click.echo,
        gds=_gds_if_needed(app, [model]),
    )
    if rank != 0:
        return
    path = experiment.save_checkpoint(Path(out) / "checkpoint.pt", trials[0], snap)
    settings = report_settings(snap, split_kind, split_ratios, replace(config, model=model))
    written = report.write_report(out, trials, title=f"socialrec train: {model}", settings=settings)
    click.echo(f"checkpoint: {path}\nreport: {written / 'report.md'}")
    click.echo(report.markdown_table(trials))


@cli.command("evaluate")
@click.option(
    "--models",
    default="popularity,mf,lightgcn,social,attention,hybrid",
    show_default=True,
    help=f"Comma-separated models to compare, of {', '.join(MODELS)}.",
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
    """Compare models over seeds on the same splits; write a report table and plots.

    The report is rewritten as each (model, seed) finishes; run the same command
    again after a stop and the finished ones are kept, not retrained.
    """
    from socialrec.train import experiment, report

    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        raise click.BadParameter(
            f"unknown models {unknown}; choose from {', '.join(MODELS)}", param_hint="--models"
        )
    seed_list = [int(s) for s in seeds.split(",")]
    config = _config(params)  # bad options fail before a long export
    split_ratios = _ratios(ratios)
    snap = snapshot_for(app, snapshot)
    settings = {
        "models": ",".join(names),
        "seeds": ",".join(map(str, seed_list)),
        **report_settings(snap, split_kind, split_ratios, config),
    }
    done = _finished_trials(out, settings)
    requested = {(m, s) for m in names for s in seed_list}
    others = [t for t in done if (t.model, t.seed) not in requested]
    finished = [t for t in done if (t.model, t.seed) in requested]
    if finished:
        click.echo(f"{out}: keeping {len(finished)} finished trial(s) of the same settings")

    def save(trial: Any) -> None:
        finished.append(trial)
        report.write_report(out, others + finished, "socialrec evaluate", settings)

    trials = experiment.run(
        snap,
        names,
        seed_list,
        config,
        split_kind,
        split_ratios,
        log=click.echo,
        gds=_gds_if_needed(app, names),
        done=finished,
        on_trial=save,
    )
    written = report.write_report(out, others + trials, "socialrec evaluate", settings)
    click.echo(report.markdown_table(trials))
    click.echo(f"report: {written / 'report.md'}")


def _finished_trials(out: str, settings: dict[str, Any]) -> list[Any]:
    """The trials of a report already in ``out``, if it was made with these settings."""
    from socialrec.train import report

    previous = report.read_settings(out)
    if previous is None:
        return []
    changed = [k for k in _RESUME_KEYS if previous.get(k) != settings[k]]
    if changed:
        raise click.UsageError(
            f"{out} holds a report made with other settings ({', '.join(changed)} differ); "
            "give another --out, or remove that folder to start over"
        )
    return report.read_report(out)


@cli.command("tune")
@click.option(
    "--model",
    type=click.Choice(list(NEURAL_MODELS)),
    default=TrainConfig.model,
    show_default=True,
)
@options_from(TuneConfig)
@training_options
@pass_app
def tune_cmd(
    app: App,
    model: str,
    snapshot: str | None,
    split_kind: str,
    ratios: str,
    out: str,
    **params: Any,
) -> None:
    """Search the training recipe for this graph on validation only; write OUT/recipe.toml.

    Each trial trains MODEL with early stopping and is scored on the split's
    validation part (the test part is never read). The study is kept in
    OUT/study.journal: run the command again to resume it.
    """
    from socialrec.train.splits import split
    from socialrec.train.tune import tune

    tune_config = config_from(TuneConfig, params)
    base = _config(params)
    split_ratios = _ratios(ratios)
    snap = snapshot_for(app, snapshot)
    sp = split(snap, split_kind, split_ratios, tune_config.seed)
    result = tune(snap, model, out, tune_config, base, sp, log=click.echo)
    click.echo(
        f"\n{result.trials} trials ({result.pruned} pruned); top trials by validation "
        "(mean of Recall@20 and NDCG@20):"
    )
    for t in result.top:
        click.echo(
            f"  #{t['number']:<4} recall@20 {t['recall@20']:.4f}  ndcg@20 {t['ndcg@20']:.4f}  "
            f"epoch {t['best_epoch']:<4} {t['params']}"
        )
    click.echo(f"recipe: {Path(out) / 'recipe.toml'}")
