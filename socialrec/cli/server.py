"""``socialrec neo4j start|stop|status``: the local Neo4j + GDS server."""

from __future__ import annotations

import sys
from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app
from socialrec.server.local import LocalNeo4j


@cli.group()
def neo4j() -> None:
    """Run a local Neo4j 5.26 + GDS server (no Docker needed)."""


@neo4j.command("start")
@click.option("--bolt-port", type=int, help="[env SOCIALREC_BOLT_PORT; default: 7687]")
@click.option("--http-port", type=int, help="[env SOCIALREC_HTTP_PORT; default: 7474]")
@click.option("--heap", help="JVM heap, e.g. 3g. [env SOCIALREC_HEAP; default: 3g]")
@click.option(
    "--pagecache",
    help="Page cache, e.g. 2g, or auto: the store on disk x 1.5 + 1g, at most 40% of "
    "memory, sized at every start. [env SOCIALREC_PAGECACHE; default: auto]",
)
@pass_app
def neo4j_start(app: App, **overrides: Any) -> None:
    """Download (first run), configure and start the server; wait until GDS answers."""
    server = LocalNeo4j(app.server_settings(**overrides))
    already = server.status().running
    status = server.start()
    word = "already running" if already else "started"
    click.echo(f"Neo4j {word} at {status.uri} (pid {status.pid}, data in {status.instance_dir})")
    click.echo(f"Credentials (user neo4j): {server.credentials_file}")
    advise_page_cache(server)


def advise_page_cache(server: LocalNeo4j) -> None:
    """Say so when the running server's page cache is smaller than its store."""
    advice = server.page_cache_advice()
    if advice:
        click.echo(f"Note: {advice}", err=True)


@neo4j.command("stop")
@pass_app
def neo4j_stop(app: App) -> None:
    """Stop the server this instance started (by its recorded pid), nothing else."""
    server = app.local_server()
    stopped = server.stop()
    click.echo("Neo4j stopped" if stopped else "Neo4j was not running")


@neo4j.command("status")
@pass_app
def neo4j_status(app: App) -> None:
    """Say whether the local server runs; exit 3 when it does not."""
    status = app.local_server().status()
    if status.running:
        click.echo(f"running at {status.uri} (pid {status.pid}, data in {status.instance_dir})")
        advise_page_cache(app.local_server())
    else:
        click.echo(f"not running (instance folder {status.instance_dir})")
        sys.exit(3)
