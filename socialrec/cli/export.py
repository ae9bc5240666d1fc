"""``socialrec export``: the graph to a PyTorch Geometric snapshot."""

from __future__ import annotations

import json
from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
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
            params=parse_params(params),
        )
    else:
        snapshot = exporter.full()
    path = snapshot.save(out)
    r = snapshot.report
    click.echo(f"snapshot written to {path} (schema {snapshot.schema_hash}) in {r.seconds:.1f} s")
    click.echo("  nodes: " + ", ".join(f"{k} {v:,}" for k, v in r.nodes.items()))
    click.echo("  edges: " + ", ".join(f"{k} {v:,}" for k, v in r.edges.items()))
    echo_warnings(r)


def echo_warnings(report: Any) -> None:
    """An export's warnings, on every command that exports."""
    for what, n in report.warnings.items():
        click.echo(f"  warning: {what}: {n:,}", err=True)
