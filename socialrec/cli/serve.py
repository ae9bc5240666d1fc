"""``writeback``, ``recommend`` and ``runs``: publishing and serving recommendations."""

from __future__ import annotations

from typing import Any

import click

from socialrec.cli.common import App, cli, pass_app
from socialrec.cli.export import parse_params
from socialrec.cli.options import config_from, options_from
from socialrec.cli.train import snapshot_for
from socialrec.errors import ConfigError, SocialrecError
from socialrec.writeback.config import WritebackConfig

#: ``socialrec writeback``'s options: WritebackConfig's fields, each once (``diff``
#: needs the served lists a sync keeps, so only ``[sync.writeback]`` sets it).
writeback_options = options_from(WritebackConfig, exclude=("diff",))


def print_writeback(report: Any) -> None:
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
    """Score a checkpoint and publish RECOMMENDED relationships as a new, atomic run.

    Under torchrun each rank scores and writes its share of the users and rank 0
    publishes (socialrec.writeback.shards); every rank reads the same --snapshot.
    """
    from socialrec.recommender import publish_checkpoint
    from socialrec.train.distributed import init_from_env
    from socialrec.writeback import Shards, candidate_mask

    config = config_from(WritebackConfig, options)  # bad options fail before any export
    shards = Shards(*init_from_env())
    if shards.world > 1 and snapshot is None:
        raise ConfigError(
            "under torchrun every rank must score the same graph: export it once "
            "(`socialrec export --out s.pt`) and pass --snapshot s.pt"
        )
    snap = snapshot_for(app, snapshot)
    runner = app.runner()
    mask = candidate_mask(
        snap,
        runner,
        exclude_items_where,
        parse_params(params),
        list(attributes),
    )
    report = publish_checkpoint(
        runner,
        checkpoint,
        snap,
        config,
        user_ids=typed_ids(snap.ids["user"], users) or None,
        item_mask=mask,
        log=click.echo if shards.publisher else None,
        shards=shards,
    )
    if shards.publisher:
        print_writeback(report)


def typed_ids(known: Any, values: tuple[str, ...]) -> list[Any]:
    """Command-line ids as the snapshot stores them (integers when its ids are)."""
    if getattr(known, "dtype", None) is not None and known.dtype.kind in "iu":
        try:
            return [int(v) for v in values]
        except ValueError as e:
            raise click.BadParameter(f"ids here are integers: {e}") from e
    return list(values)


def _user_id(app: App, text: str) -> Any:
    """A user id from the command line, typed like the database's ids.

    ``"42"`` is the integer 42 unless only the string ``"42"`` exists: a graph
    may hold integer and string ids side by side, or users without one.
    """
    from socialrec.writeback import serving

    try:
        number = int(text)
    except ValueError:
        return text
    runner, mapping = app.runner(), app.mapping()
    if serving.user_exists(runner, mapping, number):
        return number
    return text if serving.user_exists(runner, mapping, text) else number


@cli.command("recommend")
@click.argument("user_id")
@click.option("--k", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option("--explain", is_flag=True, help="Friends and attributes behind each item.")
@pass_app
def recommend_cmd(app: App, user_id: str, k: int, explain: bool) -> None:
    """A user's recommendations, through the cypher/ query library."""
    print_recommendations(app, _user_id(app, user_id), k, explain)


def print_recommendations(app: App, user: Any, k: int, explain: bool) -> None:
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
    click.echo(f"  {'#':>3} {'item':<28} {score_head:>10}  because (friends who interacted)")
    for n, row in enumerate(served.rows, 1):
        score = row.get("score", row.get("popularity_rank"))
        shown = f"{score:10.4f}" if isinstance(score, float) else f"{score!s:>10}"
        because = ", ".join(str(b) for b in row.get("because") or []) or "-"
        click.echo(f"  {n:>3} {named(row['item'], row.get('name')):<28} {shown}  {because}")
        if explain:
            why = serving.explain(runner, mapping, user, row["item"])
            friends = ", ".join(
                f"{named(f['friend'], f.get('name'))} ({f['weight']})"
                for f in why.get("friends", [])
            )
            attrs = ", ".join(
                f"{named(a['attribute'], a.get('name'))} ({a['items']} of your items)"
                for a in why.get("attributes", [])
            )
            click.echo(f"        friends: {friends or '-'} [{why.get('friends_total', 0)} in all]")
            click.echo(f"        shared attributes: {attrs or '-'}")
            if why.get("recently"):
                click.echo(f"        {because_you(why['recently'])}")


def because_you(recently: list[dict[str, Any]]) -> str:
    """ "because you recently ..." from explain.cypher's ``recently`` rows (their
    dates where the interactions have times)."""
    dated = any(r.get("date") for r in recently)
    items = ", ".join(
        named(r["item"], r.get("name")) + (f" ({r['date']})" if r.get("date") else "")
        for r in recently
    )
    return f"because you {'recently ' if dated else ''}interacted with {items}, alike in attributes"


def named(node_id: Any, name: Any) -> str:
    """``id "name"`` where the node has a display name, else the id."""
    return f"{node_id} {name!r}" if name else str(node_id)


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
    width = max(len("run id"), *(len(str(r["id"])) for r in rows))  # numbers; older: 32 chars
    click.echo(
        f"{'run id':<{width}}  {'status':<9} {'kind':<11} {'model':<10} {'current':<7} "
        f"{'users':>9} {'relationships':>13} {'seconds':>8}  started"
    )
    for r in rows:
        click.echo(
            f"{r['id']!s:<{width}}  {r.get('status', ''):<9} {r.get('kind', ''):<11} "
            f"{r.get('model', ''):<10} {'yes' if r.get('current') else '':<7} "
            f"{r.get('users', 0) or 0:>9,} {r.get('relationships', 0) or 0:>13,} "
            f"{r.get('seconds', 0) or 0:>8.1f}  {r.get('started_at')}"
        )
        if r.get("error"):
            click.echo(f"  error: {r['error']}")
