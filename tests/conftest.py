"""Shared fixtures.

Integration tests (``@pytest.mark.integration``) talk to one real Neo4j with GDS
for the whole session, chosen in this order:

1. ``NEO4J_URI`` (+ ``NEO4J_USER`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``): any server;
2. a Docker engine that answers: testcontainers' Neo4j 5.26 image with the GDS plugin;
3. otherwise the local server socialrec provisions (instance ``pytest`` on
   ``$SOCIALREC_TEST_BOLT_PORT``, default 17687), stopped at the end if the
   session started it.

Each test gets an empty database. When a test fails, the server's log tail is
printed in the terminal summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from socialrec.config import ConnectionSettings
from socialrec.graph.local_server import LocalNeo4j, ServerSettings
from socialrec.graph.runner import Neo4jRunner

_LOCAL: LocalNeo4j | None = None


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return (
            subprocess.run(
                ["docker", "info"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_server_settings() -> ServerSettings:
    return ServerSettings(
        name="pytest",
        bolt_port=int(os.environ.get("SOCIALREC_TEST_BOLT_PORT", "17687")),
        http_port=int(os.environ.get("SOCIALREC_TEST_HTTP_PORT", "17474")),
        heap="2g",
        pagecache="512m",
    )


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[ConnectionSettings]:
    global _LOCAL
    if os.environ.get("NEO4J_URI"):
        yield ConnectionSettings(
            uri=os.environ["NEO4J_URI"],
            user=os.environ.get("NEO4J_USER", "neo4j"),
            password=os.environ.get("NEO4J_PASSWORD", ""),
            database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        container = Neo4jContainer("neo4j:5.26-community", password="socialrec-test")
        container.with_env("NEO4J_PLUGINS", '["graph-data-science"]')
        container.with_env("NEO4J_dbms_security_procedures_unrestricted", "gds.*")
        with container:
            yield ConnectionSettings(container.get_connection_url(), "neo4j", "socialrec-test")
        return
    server = LocalNeo4j(test_server_settings())
    started_here = not server.status().running
    server.start()
    _LOCAL = server
    creds = server.credentials() or {}
    try:
        yield ConnectionSettings(creds["uri"], creds["user"], creds["password"])
    finally:
        if started_here and not os.environ.get("SOCIALREC_TEST_KEEP_SERVER"):
            server.stop()


@pytest.fixture(scope="session")
def session_runner(neo4j_settings: ConnectionSettings) -> Iterator[Neo4jRunner]:
    with Neo4jRunner(neo4j_settings) as runner:
        runner.verify()
        yield runner


def clean_database(runner: Neo4jRunner) -> None:
    runner.write_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS")
    for row in runner.read("CALL gds.graph.list() YIELD graphName RETURN graphName"):
        runner.write("CALL gds.graph.drop($g, false) YIELD graphName", {"g": row["graphName"]})


@pytest.fixture
def db(session_runner: Neo4jRunner) -> Iterator[Neo4jRunner]:
    """A runner on an empty database (cleaned before each test)."""
    clean_database(session_runner)
    yield session_runner


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if exitstatus != 0 and _LOCAL is not None:
        terminalreporter.section("Neo4j server log (tail)")
        terminalreporter.write_line(_LOCAL.log_tail(60))
