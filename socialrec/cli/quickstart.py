"""``socialrec quickstart``: the whole pipeline on the bundled LastFM."""

from __future__ import annotations

from typing import Any

import click

from socialrec import queries
from socialrec.cli.common import App, cli, pass_app
from socialrec.cli.data import print_load_report, print_top_items, run_load
from socialrec.cli.serve import print_recommendations, print_writeback
from socialrec.graph.inspection import overview
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import (
    load_lastfm,
)
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping
from socialrec.train.config import FAST_PRESET


@cli.command()
@click.option(
    "--epochs",
    type=int,
    default=FAST_PRESET["epochs"],
    show_default=True,
    help="Training epochs at most (the fast preset's).",
)
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
    report = run_load(writer, lambda: load_lastfm(writer))
    print_load_report(report)
    db = overview(runner)
    click.echo(f"\nIn the database: {db.describe_labels()}")
    click.echo(f"                 {db.describe_types()}")
    print_top_items(runner, mapping, 5)

    from socialrec.export import Exporter
    from socialrec.recommender import Recommender
    from socialrec.server.local import socialrec_home
    from socialrec.writeback import WritebackConfig

    snapshot = Exporter(runner, mapping).full()
    home = socialrec_home()
    path = snapshot.save(home / "snapshots" / "quickstart.pt")
    click.echo(f"\nExported to PyTorch Geometric in {snapshot.report.seconds:.1f} s: {path}")
    click.echo(str(snapshot.data))

    click.echo(
        f"\nTraining the social model to serve ({epochs} epochs at most; a tenth of each "
        "user's listens picks the epoch count, then it learns from all of them)..."
    )
    recipe: dict[str, Any] = {**FAST_PRESET, "epochs": epochs, "device": "cpu"}
    rec = Recommender("social", **recipe)
    rec.fit(snapshot, log=click.echo)
    assert rec.trial is not None
    click.echo(
        f"  validation Recall@20 {rec.metrics['valid_recall@20']:.4f} (best epoch "
        f"{rec.trial.result.best_epoch}, {rec.trial.result.seconds:.0f} s with the refit); "
        "`socialrec evaluate` gives test figures"
    )
    saved = rec.save(home / "models" / "quickstart.pt")
    click.echo(f"  model: {saved}")

    click.echo("\nWriting RECOMMENDED relationships back (atomic, versioned run)...")
    written = rec.write_back(runner, WritebackConfig(k=20), log=click.echo)
    print_writeback(written)

    user = _demo_user(runner, mapping)
    click.echo("")
    print_recommendations(app, user, 5, explain=True)
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
            "MATCH (run:${RecommendationRun} {namespace: $namespace, current: true}) "
            "MATCH (u:${User})-[r:${RECOMMENDED}]->(i) WHERE r.run_id IN run.serves "
            "AND EXISTS { (u)-[:${FRIENDS_WITH}]-(:${User})-[:${INTERACTED}]->(i) } "
            "RETURN u.${user_id} AS id, count(r) AS n ORDER BY n DESC, id LIMIT 1",
            mapping,
        ),
        {"namespace": mapping.output_namespace},
    )
    return (
        rows[0]["id"]
        if rows
        else runner.read(
            queries.render("MATCH (u:${User}) RETURN u.${user_id} AS id LIMIT 1", mapping)
        )[0]["id"]
    )
