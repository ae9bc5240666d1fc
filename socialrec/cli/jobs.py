"""``socialrec sync`` and ``schedule``: the production loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app


def _sync_config(app: App, **overrides: Any) -> Any:
    """[sync] of the config file, with command-line overrides on top."""
    import re
    from dataclasses import replace

    from socialrec.jobs import SyncConfig
    from socialrec.server.local import socialrec_home

    conn = app.connection()
    # one state folder per server, database and namespace: two mappings never share one
    where = f"{conn.uri}-{conn.database}-{app.mapping().output_namespace}"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", where).strip("-")
    config = SyncConfig.from_table(app.config.get("sync", {}), socialrec_home() / "sync" / slug)
    if overrides.get("state_dir"):
        config = replace(config, state_dir=Path(overrides["state_dir"]))
    if overrides.get("model"):
        config = replace(config, model=overrides["model"])
    if overrides.get("epochs"):
        config = replace(config, train=replace(config.train, epochs=overrides["epochs"]))
    return config


@cli.command("sync")
@click.option(
    "--kind",
    type=click.Choice(["auto", "full", "incremental"]),
    default="auto",
    show_default=True,
    help="auto: incremental unless there is no state yet or the retrain policy says retrain.",
)
@click.option("--model", help="Model a full sync trains [config: sync.model; default: social].")
@click.option("--epochs", type=int, help="Training epochs at most [config: sync.train.epochs].")
@click.option("--state-dir", type=click.Path(file_okay=False), help="Snapshot + model folder.")
@click.option(
    "--wait-lock",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait while another process holds the writer lock.",
)
@pass_app
def sync_cmd(app: App, kind: str, wait_lock: float, **overrides: Any) -> None:
    """Export -> train or reuse the model -> score -> atomic writeback, as one job."""
    from socialrec.jobs import Sync
    from socialrec.writeback import WriterLock

    runner, mapping = app.runner(), app.mapping()
    sync = Sync(runner, mapping, _sync_config(app, **overrides), log=click.echo)
    with WriterLock(runner, mapping, wait=wait_lock) as lock:
        summary = sync.run(kind, lock=lock)
    click.echo(summary.describe())


@cli.command("schedule")
@pass_app
def schedule_cmd(app: App) -> None:
    """Run syncs on the timetable of the config file's [schedule] until SIGTERM/SIGINT."""
    import datetime as dt

    from socialrec.jobs.schedule import ScheduleConfig, Scheduler

    def log(line: str) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{stamp} {line}")

    config = ScheduleConfig.from_table(app.config.get("schedule", {}))
    scheduler = Scheduler(app.runner(), app.mapping(), _sync_config(app), config, log)
    scheduler.serve()
