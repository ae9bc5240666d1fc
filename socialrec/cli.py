"""The ``socialrec`` command line.

Connection options fall back to ``NEO4J_URI`` / ``NEO4J_USER`` /
``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``, then to the config file, then to the
local server started by ``socialrec neo4j start``. Errors socialrec raises on
purpose print as one ``error:`` line (set ``SOCIALREC_DEBUG=1`` for the
traceback) and exit with status 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from socialrec import queries
from socialrec.config import ConnectionSettings, read_config_file, resolve_connection
from socialrec.errors import SocialrecError
from socialrec.graph.local_server import LocalNeo4j, ServerSettings
from socialrec.graph.runner import Neo4jRunner
from socialrec.graph.schema import check_mapping, check_properties, overview
from socialrec.load.files import (
    FileFormat,
    attribute_columns,
    bundled_lastfm_dir,
    check_files,
    friendship_columns,
    interaction_columns,
    load_friendships,
    load_interactions,
    load_item_attributes,
    load_lastfm,
)
from socialrec.load.synthetic import SyntheticConfig, load_synthetic
from socialrec.load.writer import DEFAULT_BATCH_SIZE, GraphWriter, LoadReport
from socialrec.mapping import GraphMapping

_SERVER_ENV = {
    "bolt_port": "SOCIALREC_BOLT_PORT",
    "http_port": "SOCIALREC_HTTP_PORT",
    "heap": "SOCIALREC_HEAP",
    "pagecache": "SOCIALREC_PAGECACHE",
}


@dataclass
class App:
    """What every command needs: options given at the top, resolved lazily."""

    options: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    _runner: Neo4jRunner | None = None
    _mapping: GraphMapping | None = None

    def server_settings(self, **overrides: Any) -> ServerSettings:
        """Local server settings: config [local], then SOCIALREC_* env, then options."""
        table = dict(self.config.get("local", {}))
        for key, env in _SERVER_ENV.items():
            if os.environ.get(env):
                table[key] = int(os.environ[env]) if key.endswith("port") else os.environ[env]
        if self.options.get("instance"):
            table["name"] = self.options["instance"]
        table.update({k: v for k, v in overrides.items() if v is not None})
        return ServerSettings(**table)

    def local_server(self) -> LocalNeo4j:
        return LocalNeo4j(self.server_settings())

    def connection(self) -> ConnectionSettings:
        o = self.options
        return resolve_connection(
            uri=o.get("uri"),
            user=o.get("user"),
            password=o.get("password"),
            database=o.get("database"),
            config=self.config,
            local_credentials=self.local_server().credentials(),
        )

    def mapping(self) -> GraphMapping:
        if self._mapping is None:
            path = self.options.get("mapping")
            if path:
                self._mapping = GraphMapping.from_file(path)
            elif "mapping" in self.config:
                self._mapping = GraphMapping.from_dict(
                    self.config["mapping"], source="config file [mapping]"
                )
            else:
                self._mapping = GraphMapping()
        return self._mapping

    def runner(self) -> Neo4jRunner:
        if self._runner is None:
            self._runner = Neo4jRunner(self.connection())
            self._runner.verify()
        return self._runner

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--uri", envvar="NEO4J_URI", help="Bolt URI [env NEO4J_URI].")
@click.option("--user", envvar="NEO4J_USER", help="User name [env NEO4J_USER].")
@click.option(
    "--password", envvar="NEO4J_PASSWORD", help="Password [env NEO4J_PASSWORD]. Never printed."
)
@click.option("--database", envvar="NEO4J_DATABASE", help="Database [env NEO4J_DATABASE].")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="SOCIALREC_CONFIG",
    help="Config file (TOML) [env SOCIALREC_CONFIG; default ./socialrec.toml if present].",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False),
    envvar="SOCIALREC_MAPPING",
    help="Mapping file (TOML/YAML) naming your labels, types and properties.",
)
@click.option(
    "--instance",
    envvar="SOCIALREC_INSTANCE",
    help="Local server instance to use when no URI is set. [default: default]",
)
@click.version_option(package_name="socialrec")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, **options: Any) -> None:
    """socialrec: social-aware GNN recommendations for graphs in Neo4j."""
    app = App(options=options, config=read_config_file(config_path))
    ctx.obj = app
    ctx.call_on_close(app.close)
    app.mapping()  # a bad mapping fails here, before any connection is made


# ------------------------------------------------------------------ neo4j


@cli.group()
def neo4j() -> None:
    """Run a local Neo4j 5.26 + GDS server (no Docker needed)."""


@neo4j.command("start")
@click.option("--bolt-port", type=int, help="[env SOCIALREC_BOLT_PORT; default: 7687]")
@click.option("--http-port", type=int, help="[env SOCIALREC_HTTP_PORT; default: 7474]")
@click.option("--heap", help="JVM heap, e.g. 3g. [env SOCIALREC_HEAP; default: 3g]")
@click.option("--pagecache", help="Page cache, e.g. 2g. [env SOCIALREC_PAGECACHE; default: 2g]")
@pass_app
def neo4j_start(app: App, **overrides: Any) -> None:
    """Download (first run), configure and start the server; wait until GDS answers."""
    server = LocalNeo4j(app.server_settings(**overrides))
    already = server.status().running
    status = server.start()
    word = "already running" if already else "started"
    click.echo(f"Neo4j {word} at {status.uri} (pid {status.pid}, data in {status.instance_dir})")
    click.echo(f"Credentials (user neo4j): {server.credentials_file}")


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
    else:
        click.echo(f"not running (instance folder {status.instance_dir})")
        sys.exit(3)


# ------------------------------------------------------------------ inspect


@cli.command()
@pass_app
def inspect(app: App) -> None:
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


@cli.command()
@pass_app
def schema(app: App) -> None:
    """Index the mapped id and time properties, reusing indexes that exist (idempotent)."""
    for step in GraphWriter(app.runner(), app.mapping()).apply_schema():
        click.echo(step.describe())


# ------------------------------------------------------------------ load


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


def _load(writer: GraphWriter, work: Any) -> LoadReport:
    """Run a load, recording what the database gained (counted before and after)."""
    before = writer.count()
    report: LoadReport = work()
    after = writer.count()
    report.gained = {k: after[k] - before[k] for k in after}
    return report


def _print_report(report: LoadReport) -> None:
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for kind, n in report.rows.items():
        click.echo(f"  read {kind:<18} {n:>12,} rows")
    for reason, n in report.skipped.items():
        click.echo(f"  skipped: {reason}: {n:,}")
    gained = ", ".join(f"{k} +{v:,}" for k, v in report.gained.items() if v)
    click.echo(f"  the database gained: {gained or 'nothing (all of it was there already)'}")


@load.command("lastfm")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@batch_option
@pass_app
def load_lastfm_cmd(app: App, directory: str | None, batch_size: int) -> None:
    """Load LastFM HetRec 2011 from DIRECTORY (default: the bundled copy)."""
    writer = GraphWriter(app.runner(), app.mapping(), batch_size)
    report = _load(writer, lambda: load_lastfm(writer, directory))
    click.echo(f"LastFM loaded from {directory or bundled_lastfm_dir()}:")
    _print_report(report)


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

    report = _load(writer, work)
    click.echo("Loaded:")
    _print_report(report)


@load.command("synthetic")
@click.option("--users", type=int, default=10_000, show_default=True)
@click.option("--items", type=int, default=5_000, show_default=True)
@click.option("--attributes", type=int, default=50, show_default=True)
@click.option("--communities", type=int, default=20, show_default=True)
@click.option("--interactions-per-user", type=float, default=10.0, show_default=True)
@click.option("--friends-per-user", type=float, default=2.0, show_default=True)
@click.option("--homophily", type=float, default=0.8, show_default=True)
@click.option("--friend-influence", type=float, default=0.3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@batch_option
@pass_app
def load_synthetic_cmd(app: App, batch_size: int, **params: Any) -> None:
    """Generate and load a seeded graph with communities and social homophily."""
    try:
        config = SyntheticConfig(**params)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    writer = GraphWriter(app.runner(), app.mapping(), batch_size)
    report = _load(writer, lambda: load_synthetic(writer, config))
    click.echo(f"Synthetic graph loaded ({config.users:,} users, seed {config.seed}):")
    _print_report(report)


# ------------------------------------------------------------------ export


def _parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r}: use NAME=VALUE", param_hint="--param")
        try:
            params[key] = json.loads(raw)  # numbers, booleans, lists; else a string
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _parse_properties(specs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    props: dict[str, list[str]] = {}
    for spec in specs:
        role, sep, name = spec.partition(":")
        if not sep:
            raise click.BadParameter(f"{spec!r}: use TYPE:PROPERTY", param_hint="--property")
        props.setdefault(role, []).append(name)
    return {role: tuple(names) for role, names in props.items()}


@cli.command()
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Snapshot file.")
@click.option("--user", "users", multiple=True, help="Subgraph around this user id (repeat).")
@click.option(
    "--hops", type=click.IntRange(0), default=1, show_default=True, help="Hops around --user."
)
@click.option("--user-where", help='Cypher predicate on users `n`, e.g. "n.country = $c".')
@click.option("--item-where", help="Cypher predicate on items `n`.")
@click.option("--param", "params", multiple=True, help="NAME=VALUE for the predicates.")
@click.option(
    "--incremental-from",
    type=click.Path(exists=True, dir_okay=False),
    help="Update this earlier snapshot with what changed since it.",
)
@click.option(
    "--since",
    type=int,
    help="With --incremental-from: epoch seconds to look for new interactions from "
    "(default: the snapshot's watermark).",
)
@click.option(
    "--property",
    "properties",
    multiple=True,
    help="Numeric node property feature, TYPE:NAME (e.g. user:age; repeat).",
)
@click.option(
    "--fastrp",
    type=int,
    default=0,
    show_default=True,
    help="FastRP embedding size computed in Neo4j by GDS (0: none).",
)
@click.option("--fastrp-seed", type=int, default=42, show_default=True)
@click.option(
    "--edge-properties/--no-edge-properties",
    default=True,
    show_default=True,
    help="Read interaction weights and times (about half the export time).",
)
@pass_app
def export(
    app: App,
    out: str,
    users: tuple[str, ...],
    hops: int,
    user_where: str | None,
    item_where: str | None,
    params: tuple[str, ...],
    incremental_from: str | None,
    since: int | None,
    properties: tuple[str, ...],
    fastrp: int,
    fastrp_seed: int,
    edge_properties: bool,
) -> None:
    """Export the graph to a PyG HeteroData snapshot (full, subgraph or incremental)."""
    # torch is imported only by the commands that need it: `socialrec --help`,
    # `neo4j` and `load` stay fast.
    from socialrec.export import Exporter, GraphSnapshot
    from socialrec.export.features import FeatureSpec

    features = FeatureSpec(_parse_properties(properties), fastrp, fastrp_seed)
    exporter = Exporter(
        app.runner(), app.mapping(), features=features, edge_properties=edge_properties
    )
    if incremental_from:
        previous = GraphSnapshot.load(incremental_from, mapping=app.mapping())
        snapshot, changes = exporter.incremental(previous, since=since)
        click.echo(
            f"changed: {len(changes.users):,} users, {len(changes.items):,} items; "
            f"new {changes.new}; removed {changes.removed}"
        )
    elif users or user_where or item_where:
        snapshot = exporter.subgraph(
            users=list(users) or None,
            hops=hops,
            user_where=user_where,
            item_where=item_where,
            params=_parse_params(params),
        )
    else:
        snapshot = exporter.full()
    path = snapshot.save(out)
    r = snapshot.report
    click.echo(f"snapshot written to {path} (schema {snapshot.schema_hash}) in {r.seconds:.1f} s")
    click.echo("  nodes: " + ", ".join(f"{k} {v:,}" for k, v in r.nodes.items()))
    click.echo("  edges: " + ", ".join(f"{k} {v:,}" for k, v in r.edges.items()))
    _echo_warnings(r)


def _echo_warnings(report: Any) -> None:
    """An export's warnings, on every command that exports."""
    for what, n in report.warnings.items():
        click.echo(f"  warning: {what}: {n:,}", err=True)


# ------------------------------------------------------------------ train / evaluate


def _snapshot_for(app: App, snapshot_path: str | None) -> Any:
    """A saved snapshot, or a fresh full export from the database."""
    from socialrec.export import Exporter, GraphSnapshot

    if snapshot_path:
        return GraphSnapshot.load(snapshot_path, mapping=app.mapping())
    click.echo(f"exporting from {app.connection().describe()}...")
    snapshot = Exporter(app.runner(), app.mapping()).full()
    _echo_warnings(snapshot.report)
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
        click.option("--embedding-dim", type=int, default=64, show_default=True),
        click.option("--layers", "num_layers", type=int, default=3, show_default=True),
        click.option("--lr", type=float, default=0.005, show_default=True),
        click.option("--weight-decay", type=float, default=1e-4, show_default=True),
        click.option("--batch-size", type=int, default=4096, show_default=True),
        click.option("--epochs", type=int, default=400, show_default=True),
        click.option("--eval-every", type=int, default=5, show_default=True),
        click.option("--patience", type=int, default=8, show_default=True),
        click.option(
            "--negatives",
            type=int,
            default=8,
            show_default=True,
            help="Candidate negatives per positive; > 1 trains on the hardest (DNS).",
        ),
        click.option(
            "--ssl-weight",
            type=float,
            default=0.0,
            show_default=True,
            help="Weight of the XSimGCL contrastive regulariser (0: off).",
        ),
        click.option("--ssl-temperature", type=float, default=0.2, show_default=True),
        click.option(
            "--noise",
            type=float,
            default=0.1,
            show_default=True,
            help="Noise added to each layer while training with --ssl-weight.",
        ),
        click.option(
            "--loss",
            type=click.Choice(["bpr", "softmax"]),
            default="bpr",
            show_default=True,
            help="bpr: BPR on the hardest negative; softmax: sampled softmax over all "
            "--negatives on cosine scores.",
        ),
        click.option("--softmax-temperature", type=float, default=0.1, show_default=True),
        click.option(
            "--ensemble",
            type=int,
            default=1,
            show_default=True,
            help="Models from different seeds whose scores are averaged (one embedding).",
        ),
        click.option(
            "--refit/--no-refit",
            default=False,
            show_default=True,
            help="Train again on training + validation for the epochs validation picked.",
        ),
        click.option(
            "--fanout",
            type=int,
            default=0,
            show_default=True,
            help="0: full-graph training; N: neighbour-sampled (LinkNeighborLoader, "
            "N neighbours per relation and hop; needs pyg-lib or torch-sparse).",
        ),
        click.option("--device", default="auto", show_default=True),
        click.option(
            "--out",
            type=click.Path(file_okay=False),
            required=True,
            help="Folder for the checkpoint(s) and the report.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _config(params: dict[str, Any]) -> Any:
    from socialrec.train.trainer import TrainConfig

    keys = (
        "embedding_dim",
        "num_layers",
        "lr",
        "weight_decay",
        "batch_size",
        "epochs",
        "eval_every",
        "patience",
        "negatives",
        "ssl_weight",
        "ssl_temperature",
        "noise",
        "refit",
        "loss",
        "softmax_temperature",
        "ensemble",
        "fanout",
        "device",
    )
    return TrainConfig(**{k: params[k] for k in keys})


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
    snap = _snapshot_for(app, snapshot)
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
    snap = _snapshot_for(app, snapshot)
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


# ------------------------------------------------------------------ writeback / serving


def writeback_options(f: Any) -> Any:
    options = [
        click.option(
            "--k",
            type=click.IntRange(1, 10_000),
            default=20,
            show_default=True,
            help="Items a user.",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1),
            default=20_000,
            show_default=True,
            help="Relationships a transaction.",
        ),
        click.option("--keep-runs", type=click.IntRange(1), default=3, show_default=True),
        click.option("--writers", type=click.IntRange(1), default=2, show_default=True),
        click.option(
            "--allow-shrink",
            is_flag=True,
            help="Publish a full run that serves far fewer users than the current one.",
        ),
        click.option(
            "--embeddings/--no-embeddings",
            default=True,
            show_default=True,
            help="Also write embeddings and the item vector index.",
        ),
        click.option("--device", default="cpu", show_default=True, help="Where to score."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _writeback_config(params: dict[str, Any]) -> Any:
    from socialrec.writeback import WritebackConfig

    return WritebackConfig(
        k=params["k"],
        relationships_per_transaction=params["batch_size"],
        keep_runs=params["keep_runs"],
        writers=params["writers"],
        embeddings=params["embeddings"],
        device=params["device"],
        allow_shrink=params["allow_shrink"],
    )


def _print_writeback(report: Any) -> None:
    click.echo(
        f"run {report.run_id} is current: {report.relationships:,} RECOMMENDED relationships "
        f"for {report.users:,} users in {report.seconds.get('recommendations', 0):.1f} s "
        f"({report.relationships_per_second:,.0f}/s); embeddings: {report.user_embeddings:,} "
        f"users, {report.item_embeddings:,} items"
    )
    for c in report.cleaned:
        click.echo(f"  cleaned {c.reason} run {c.id} ({c.relationships:,} relationships)")
    if report.cleanup_deferred:
        click.echo(f"  published, cleanup deferred to the next run: {report.cleanup_deferred}")


@cli.command("writeback")
@click.option(
    "--checkpoint",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="checkpoint.pt from `socialrec train`.",
)
@click.option(
    "--snapshot",
    type=click.Path(exists=True, dir_okay=False),
    help="Score against a saved snapshot instead of a fresh export.",
)
@click.option("--user", "users", multiple=True, help="Only these user ids (repeat).")
@click.option(
    "--exclude-items-where",
    help='Cypher predicate: items `n` never to recommend ("n.sold_out").',
)
@click.option(
    "--attribute",
    "attributes",
    multiple=True,
    help="Only items with this attribute: kind:id (e.g. genre:5), or id if unambiguous.",
)
@click.option("--param", "params", multiple=True, help="NAME=VALUE for --exclude-items-where.")
@writeback_options
@pass_app
def writeback_cmd(
    app: App,
    checkpoint: str,
    snapshot: str | None,
    users: tuple[str, ...],
    exclude_items_where: str | None,
    attributes: tuple[str, ...],
    params: tuple[str, ...],
    **options: Any,
) -> None:
    """Score a checkpoint and publish RECOMMENDED relationships as a new, atomic run."""
    from socialrec.writeback import candidate_mask, write_checkpoint

    snap = _snapshot_for(app, snapshot)
    runner = app.runner()
    mask = candidate_mask(
        snap,
        runner,
        exclude_items_where,
        _parse_params(params),
        list(attributes),
    )
    report = write_checkpoint(
        runner,
        checkpoint,
        snap,
        _writeback_config(options),
        user_ids=_typed_ids(snap.ids["user"], users) or None,
        item_mask=mask,
        progress=click.echo,
    )
    _print_writeback(report)


def _typed_ids(known: Any, values: tuple[str, ...]) -> list[Any]:
    """Command-line ids as the snapshot stores them (integers when its ids are)."""
    if getattr(known, "dtype", None) is not None and known.dtype.kind in "iu":
        try:
            return [int(v) for v in values]
        except ValueError as e:
            raise click.BadParameter(f"ids here are integers: {e}") from e
    return list(values)


def _user_id(app: App, text: str) -> Any:
    """A user id from the command line, typed like the database's ids."""
    mapping = app.mapping()
    rows = app.runner().read(
        queries.render(
            "MATCH (u:${User}) RETURN u.${user_id} AS id LIMIT 1",
            mapping,
        )
    )
    if rows and isinstance(rows[0]["id"], int):
        try:
            return int(text)
        except ValueError:
            return text
    return text


@cli.command("recommend")
@click.argument("user_id")
@click.option("--k", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--explain", is_flag=True, help="Friends and attributes behind each item.")
@pass_app
def recommend_cmd(app: App, user_id: str, k: int, explain: bool) -> None:
    """A user's recommendations, through the cypher/ query library."""
    _print_recommendations(app, _user_id(app, user_id), k, explain)


def _print_recommendations(app: App, user: Any, k: int, explain: bool) -> None:
    from socialrec.writeback import RunStore, serving

    runner, mapping = app.runner(), app.mapping()
    if not serving.user_exists(runner, mapping, user):
        raise SocialrecError(
            f"no {mapping.user} node has {mapping.user_id} = {user!r}; check the id "
            "(and the mapping's user label and user_id property: `socialrec inspect`)"
        )
    served = serving.recommend(runner, mapping, user, k)
    if served.source == "none":
        if RunStore(runner, mapping).current() is None:
            click.echo(
                f"no recommendations for {user!r}: no current run in namespace "
                f"{mapping.output_namespace!r} (run `socialrec writeback`)"
            )
        else:
            click.echo(f"no recommendations for {user!r}: nothing left to recommend")
        return
    click.echo(f"recommendations for user {user!r} (cypher/{served.source}.cypher):")
    score_head = "score" if served.source != "popular_fallback" else "popularity"
    click.echo(f"  {'#':>3} {'item':>10} {score_head:>10}  because (friends who interacted)")
    for n, row in enumerate(served.rows, 1):
        score = row.get("score", row.get("popularity_rank"))
        shown = f"{score:10.4f}" if isinstance(score, float) else f"{score!s:>10}"
        because = ", ".join(str(b) for b in row.get("because") or []) or "-"
        click.echo(f"  {n:>3} {row['item']!s:>10} {shown}  {because}")
        if explain:
            why = serving.explain(runner, mapping, user, row["item"])
            friends = ", ".join(f"{f['friend']} ({f['weight']})" for f in why.get("friends", []))
            attrs = ", ".join(
                f"{a['attribute']} ({a['items']} of your items)" for a in why.get("attributes", [])
            )
            click.echo(f"        friends: {friends or '-'} [{why.get('friends_total', 0)} in all]")
            click.echo(f"        shared attributes: {attrs or '-'}")


@cli.command("runs")
@click.option("--limit", type=int, default=10, show_default=True)
@pass_app
def runs_cmd(app: App, limit: int) -> None:
    """Recommendation runs, newest first (status, counts, timings, errors)."""
    from socialrec.writeback import RunStore

    rows = RunStore(app.runner(), app.mapping()).history(limit)
    if not rows:
        click.echo("no runs yet")
        return
    click.echo(
        f"{'run id':<32}  {'status':<9} {'kind':<11} {'model':<10} {'current':<7} "
        f"{'users':>9} {'relationships':>13} {'seconds':>8}  started"
    )
    for r in rows:
        click.echo(
            f"{r['id']:<32}  {r.get('status', ''):<9} {r.get('kind', ''):<11} "
            f"{r.get('model', ''):<10} {'yes' if r.get('current') else '':<7} "
            f"{r.get('users', 0) or 0:>9,} {r.get('relationships', 0) or 0:>13,} "
            f"{r.get('seconds', 0) or 0:>8.1f}  {r.get('started_at')}"
        )
        if r.get("error"):
            click.echo(f"  error: {r['error']}")


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


# ------------------------------------------------------------------ sync / schedule


def _sync_config(app: App, **overrides: Any) -> Any:
    """[sync] of the config file, with command-line overrides on top."""
    import re
    from dataclasses import replace

    from socialrec.graph.local_server import socialrec_home
    from socialrec.jobs import SyncConfig

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
    sync = Sync(runner, mapping, _sync_config(app, **overrides), progress=click.echo)
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


# ------------------------------------------------------------------ quickstart


@cli.command()
@click.option("--epochs", type=int, default=40, show_default=True, help="Training epochs at most.")
@pass_app
def quickstart(app: App, epochs: int) -> None:
    """Local Neo4j -> load LastFM -> export -> train `social` -> write back -> recommend."""
    if not (app.options.get("uri") or app.config.get("neo4j", {}).get("uri")):
        server = app.local_server()
        click.echo("Starting the local Neo4j + GDS server...")
        status = server.start()
        click.echo(f"  Neo4j at {status.uri} (data in {status.instance_dir})")
    runner = app.runner()
    mapping = app.mapping()
    click.echo(f"Loading LastFM HetRec 2011 into {runner.settings.describe()}...")
    writer = GraphWriter(runner, mapping)
    report = _load(writer, lambda: load_lastfm(writer))
    _print_report(report)
    db = overview(runner)
    click.echo(f"\nIn the database: {db.describe_labels()}")
    click.echo(f"                 {db.describe_types()}")
    query = queries.load("top_items", mapping)
    click.echo("\nMost listened artists, via cypher/top_items.cypher:")
    rows = runner.read(query, {"k": 5})
    click.echo(f"  {'artist id':>10} {'listeners':>10} {'friends pairs':>14} {'top tags'}")
    for row in rows:
        tags = ", ".join(str(t) for t in row["top_attributes"])
        click.echo(f"  {row['item']!s:>10} {row['users']:>10,} {row['friend_pairs']:>14,} {tags}")

    from socialrec.export import Exporter
    from socialrec.graph.local_server import socialrec_home
    from socialrec.train import experiment
    from socialrec.train.trainer import TrainConfig
    from socialrec.writeback import WritebackConfig, write_checkpoint

    snapshot = Exporter(runner, mapping).full()
    home = socialrec_home()
    path = snapshot.save(home / "snapshots" / "quickstart.pt")
    click.echo(f"\nExported to PyTorch Geometric in {snapshot.report.seconds:.1f} s: {path}")
    click.echo(str(snapshot.data))

    click.echo(f"\nTraining the social model ({epochs} epochs at most, 80/10/10 split)...")
    config = TrainConfig(model="social", epochs=epochs, eval_every=5, patience=4, device="cpu")
    runs = experiment.run(snapshot, ["social"], [0], config, log=None)
    test = runs[0].test
    click.echo(
        f"  test Recall@20 {test['recall@20']:.4f}, NDCG@20 {test['ndcg@20']:.4f} "
        f"(best epoch {runs[0].result.best_epoch}, {runs[0].result.seconds:.0f} s)"
    )
    checkpoint = experiment.save_checkpoint(home / "models" / "quickstart.pt", runs[0], snapshot)

    click.echo("\nWriting RECOMMENDED relationships back (atomic, versioned run)...")
    written = write_checkpoint(runner, checkpoint, snapshot, WritebackConfig(k=20))
    _print_writeback(written)

    user = _demo_user(runner, mapping)
    click.echo("")
    _print_recommendations(app, user, 5, explain=True)
    recommend_cypher = "\n".join(
        "  " + line for line in queries.load("recommend", mapping).splitlines() if line.strip()
    )
    click.echo(
        f"\nThe same from Cypher (cypher/recommend.cypher, rendered for this mapping):\n"
        f"  :param namespace => {mapping.output_namespace!r}\n"
        f"  :param user => {user!r}\n  :param k => 10\n{recommend_cypher}"
    )


def _demo_user(runner: Neo4jRunner, mapping: GraphMapping) -> Any:
    """A user whose recommendations have friends behind them (for the demo)."""
    rows = runner.read(
        queries.render(
            "MATCH (u:${User})-[r:${RECOMMENDED}]->() WHERE size(r.because) > 0 "
            "RETURN u.${user_id} AS id, count(r) AS n ORDER BY n DESC, id LIMIT 1",
            mapping,
        )
    )
    return (
        rows[0]["id"]
        if rows
        else runner.read(
            queries.render("MATCH (u:${User}) RETURN u.${user_id} AS id LIMIT 1", mapping)
        )[0]["id"]
    )


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def main() -> None:
    # PyG triggers torch's own deprecation notice at import; not the user's concern.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
    # SIGTERM ends a command like SIGINT: a writeback's run is marked failed and
    # cleaned, and the writer lock released (`schedule` installs its own handler).
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        terminated = isinstance(e.__context__, _Terminated)
        click.echo("terminated" if terminated else "aborted", err=True)
        sys.exit(143 if terminated else 130)
    except _Terminated:
        click.echo("terminated", err=True)
        sys.exit(143)
    except SocialrecError as e:
        if os.environ.get("SOCIALREC_DEBUG"):
            raise
        click.echo(f"error: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
