"""Shared parts of the command line: the root group, its options, and :class:`App`.

Connection options fall back to ``NEO4J_URI`` / ``NEO4J_USER`` /
``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``, then to the config file, then to the
local server started by ``socialrec neo4j start``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import click

from socialrec.config import ConnectionSettings, read_config_file, resolve_connection
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.server.local import LocalNeo4j, ServerSettings

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
