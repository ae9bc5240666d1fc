"""``inspect``, ``schema``, ``load ...`` and ``uninstall``: what is in the database."""

from __future__ import annotations

from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app
from socialrec.cli.options import config_from, options_from
from socialrec.errors import SocialrecError
from socialrec.graph.inspection import check_mapping, check_properties, overview
from socialrec.load.files import (
    FileFormat,
    attribute_columns,
    bundled_ciaodvd_dir,
    bundled_lastfm_dir,
    check_files,
    friendship_columns,
    interaction_columns,
    load_ciaodvd,
    load_friendships,
    load_interactions,
    load_item_attributes,
    load_lastfm,
)
from socialrec.load.synthetic import SyntheticConfig, load_synthetic
from socialrec.load.writer import DEFAULT_BATCH_SIZE, GraphWriter, LoadReport


def print_top_items(runner: Any, mapping: Any, k: int) -> None:
    """The ``k`` most interacted items, named where the data has names."""
    from socialrec import queries
    from socialrec.cli.serve import named

    rows = runner.read(queries.load("top_items", mapping), {"k": k})
    click.echo(
        f"\nMost interacted items, via cypher/top_items.cypher (names: {mapping.item_name!r}):"
    )
    click.echo(f"  {'item':<28} {'users':>10} {'friend pairs':>13}  top attributes")
    for row in rows:
        attributes = ", ".join(str(t) for t in row["top_attributes"])
        item = named(row["item"], row.get("name"))
        click.echo(f"  {item:<28} {row['users']:>10,} {row['friend_pairs']:>13,}  {attributes}")


@cli.command()
@click.option(
    "--top",
    type=click.IntRange(0),
    default=5,
    show_default=True,
    help="Show the N most interacted items with their names (0: skip; it reads every interaction).",
)
@pass_app
def inspect(app: App, top: int) -> None:
    """Show the database's labels, relationship types, counts, and the mapping check."""
    runner = app.runner()
    mapping = app.mapping()
    db = overview(runner)
    click.echo(f"Neo4j: {runner.settings.describe()}")
    version = runner.read("RETURN gds.version() AS v")[0]["v"]
    click.echo(f"GDS:   {version}")
    click.echo("\nNode labels:")
    for name, n in sorted(db.labels.items()):
        click.echo(f"  {name:<30} {n:>12,}")
    click.echo("Relationship types:")
    for name, n in sorted(db.relationship_types.items()):
        click.echo(f"  {name:<30} {n:>12,}")
    click.echo(f"\nMapping (output namespace {mapping.output_namespace!r}):")
    checks = check_mapping(mapping, db)
    for c in checks:
        mark = "ok" if c.count else ("MISSING" if c.required else "absent (optional)")
        click.echo(f"  {c.role:<28} {c.name:<20} {c.count:>12,}  {mark}")
    props = check_properties(runner, mapping) if all(c.ok for c in checks) else []
    for p in props:
        click.echo(f"  {p.role:<28} {p.name:<20} {p.describe()}")
    if not all(c.ok for c in checks) or not all(p.ok for p in props):
        raise SocialrecError("the mapping does not match the database (see MISSING above)")
    if top:
        print_top_items(runner, mapping, top)


@cli.command()
@pass_app
def schema(app: App) -> None:
    """Index the mapped id and time properties, reusing indexes that exist (idempotent)."""
    for step in GraphWriter(app.runner(), app.mapping()).apply_schema():
        click.echo(step.describe())


@cli.group()
def load() -> None:
    """Load data into Neo4j (batched, idempotent: re-running completes a load)."""


batch_option = click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows per transaction.",
)


def run_load(writer: GraphWriter, work: Any) -> LoadReport:
    """Run a load, recording what the database gained (counted before and after)."""
    before = writer.count()
    report: LoadReport = work()
    after = writer.count()
    report.gained = {k: after[k] - before[k] for k in after}
    return report


def advise_after_load(app: App) -> None:
    """A load into the local server can outgrow the page cache it started with."""
    from socialrec.cli.server import advise_page_cache

    server = app.local_server()
    if not server.status().running:
        return
    if (server.credentials() or {}).get("uri") == app.runner().settings.uri:
        advise_page_cache(server)


def print_load_report(report: LoadReport) -> None:
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for kind, n in report.rows.items():
        click.echo(f"  read {kind:<18} {n:>12,} rows")
    for reason, n in report.skipped.items():
        click.echo(f"  skipped: {reason}: {n:,}")
    gained = ", ".join(f"{k} +{v:,}" for k, v in report.gained.items() if v)
    click.echo(f"  the database gained: {gained or 'nothing (all of it was there already)'}")


def _bundled_load(name: str, title: str, loader: Any, bundled_dir: Any) -> Any:
    """``socialrec load NAME [DIR]`` for a dataset socialrec ships a copy of."""

    @load.command(name, help=f"Load {title} from DIRECTORY (default: the bundled copy).")
    @click.argument("directory", required=False, type=click.Path(file_okay=False))
    @batch_option
    @pass_app
    def command(app: App, directory: str | None, batch_size: int) -> None:
        writer = GraphWriter(app.runner(), app.mapping(), batch_size)
        report = run_load(writer, lambda: loader(writer, directory))
        click.echo(f"{title} loaded from {directory or bundled_dir()}:")
        print_load_report(report)
        advise_after_load(app)

    return command


load_lastfm_cmd = _bundled_load("lastfm", "LastFM HetRec 2011", load_lastfm, bundled_lastfm_dir)
load_ciaodvd_cmd = _bundled_load(
    "ciaodvd", "CiaoDVD (dated ratings, trust, genres)", load_ciaodvd, bundled_ciaodvd_dir
)


@load.command("tsv")
@click.option("--interactions", type=click.Path(dir_okay=False), help="user item [weight] [time]")
@click.option("--friendships", type=click.Path(dir_okay=False), help="user friend")
@click.option("--attributes", type=click.Path(dir_okay=False), help="item attribute [weight]")
@click.option("--delimiter", default="\t", help="Field separator [default: tab]; ',' for CSV.")
@click.option("--header/--no-header", default=False, help="Skip a header line.")
@click.option(
    "--encoding",
    default="utf-8-sig",
    show_default=True,
    help="Text encoding (UTF-8 with or without BOM by default; e.g. latin-1, cp1252).",
)
@click.option("--id-type", type=click.Choice(["str", "int"]), default="str", show_default=True)
@click.option("--user-col", type=int, default=1, show_default=True, help="1-based column.")
@click.option("--item-col", type=int, default=2, show_default=True)
@click.option("--weight-col", type=int, help="Interaction weight column (optional).")
@click.option("--time-col", type=int, help="Timestamp column: epoch seconds or ISO 8601.")
@click.option("--attribute-kind", default="attribute", show_default=True)
@batch_option
@pass_app
def load_tsv_cmd(
    app: App,
    interactions: str | None,
    friendships: str | None,
    attributes: str | None,
    delimiter: str,
    header: bool,
    encoding: str,
    id_type: str,
    user_col: int,
    item_col: int,
    weight_col: int | None,
    time_col: int | None,
    attribute_kind: str,
    batch_size: int,
) -> None:
    """Load your own delimited exports. Columns are 1-based."""
    if not (interactions or friendships or attributes):
        raise click.UsageError("give at least one of --interactions, --friendships, --attributes")
    delimiter = delimiter.encode().decode("unicode_escape")  # allow '\t' typed literally
    if len(delimiter) != 1:
        raise click.BadParameter(
            f"{delimiter!r}: give one character (tab, ',', ';', '|')", param_hint="--delimiter"
        )
    fmt = FileFormat(delimiter, header, id_type, encoding)  # type: ignore[arg-type]

    def zero_based(col: int, name: str) -> int:
        if col < 1:
            raise click.BadParameter("columns are numbered from 1", param_hint=name)
        return col - 1

    def optional(col: int | None, name: str) -> int | None:
        return None if col is None else zero_based(col, name)

    cols: dict[str, Any] = {
        "user_col": zero_based(user_col, "--user-col"),
        "item_col": zero_based(item_col, "--item-col"),
        "weight_col": optional(weight_col, "--weight-col"),
        "time_col": optional(time_col, "--time-col"),
    }
    writer = GraphWriter(app.runner(), app.mapping(), batch_size)
    # every file is read through before anything is written: a missing file or a
    # bad line in any of them loads nothing
    planned = [
        (interactions, interaction_columns(fmt, **cols)),
        (friendships, friendship_columns(fmt)),
        (attributes, attribute_columns(fmt)),
    ]
    check_files([(p, c, fmt) for p, c in planned if p], writer.report)

    def work() -> LoadReport:
        writer.apply_schema()
        if interactions:
            load_interactions(writer, interactions, fmt, **cols)
        if friendships:
            load_friendships(writer, friendships, fmt)
        if attributes:
            load_item_attributes(writer, attributes, fmt, kind=attribute_kind)
        return writer.report

    report = run_load(writer, work)
    click.echo("Loaded:")
    print_load_report(report)
    advise_after_load(app)


@load.command("synthetic")
@options_from(SyntheticConfig)  # every generator setting, documented there
@batch_option
@pass_app
def load_synthetic_cmd(app: App, batch_size: int, **params: Any) -> None:
    """Generate and load a seeded graph with communities and social homophily."""
    try:
        config = config_from(SyntheticConfig, params)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    writer = GraphWriter(app.runner(), app.mapping(), batch_size)
    report = run_load(writer, lambda: load_synthetic(writer, config))
    click.echo(f"Synthetic graph loaded ({config.users:,} users, seed {config.seed}):")
    print_load_report(report)
    advise_after_load(app)


@cli.command("uninstall")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every namespace and socialrec's indexes and constraints, not only this mapping's.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def uninstall_cmd(app: App, everything: bool, yes: bool) -> None:
    """Remove what socialrec added (runs, RECOMMENDED, embeddings, its indexes); nothing else."""
    from socialrec.writeback.uninstall import uninstall

    mapping = app.mapping()
    what = (
        "everything socialrec added" if everything else (f"namespace {mapping.output_namespace!r}")
    )
    if not yes:
        click.confirm(f"Remove {what} from {app.connection().describe()}?", abort=True)
    report = uninstall(app.runner(), mapping, everything)
    click.echo(report.describe())
