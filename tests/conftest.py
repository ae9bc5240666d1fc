"""Shared fixtures.

Integration tests (``@pytest.mark.integration``) talk to one real Neo4j with GDS
for the whole session, chosen in this order:

1. ``SOCIALREC_TEST_NEO4J_URI`` (+ ``SOCIALREC_TEST_NEO4J_USER`` / ``_PASSWORD`` /
   ``_DATABASE``): a server given to the tests;
2. a Docker engine that answers: testcontainers' Neo4j 5.26 image with the GDS plugin;
3. otherwise the local server socialrec provisions (instance ``pytest`` on
   ``$SOCIALREC_TEST_BOLT_PORT``, default 17687), stopped at the end if the
   session started it.

Each test gets an empty database, so the tests never touch a database they were
not given: the user's own ``NEO4J_URI`` (and every other variable or config file
that points socialrec at a server or a mapping) is removed from the environment
before any test runs, and a database that holds data the tests did not create is
refused (see :func:`claim_test_database`). When a test fails, the server's log
tail is printed in the terminal summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from socialrec.config import ConnectionSettings
from socialrec.graph.runner import Neo4jRunner
from socialrec.server.local import LocalNeo4j, ServerSettings

_LOCAL: LocalNeo4j | None = None

#: Variables that point socialrec at a user's server, mapping or config: a test
#: must never pick them up by accident (a CLI test would otherwise reach the
#: user's database).
_USER_ENVIRONMENT = (
    "NEO4J_URI",
    "NEO4J_USER",
    "NEO4J_PASSWORD",
    "NEO4J_DATABASE",
    "SOCIALREC_CONFIG",
    "SOCIALREC_MAPPING",
    "SOCIALREC_INSTANCE",
    "SOCIALREC_BOLT_PORT",
    "SOCIALREC_HTTP_PORT",
)
for _name in _USER_ENVIRONMENT:
    os.environ.pop(_name, None)

#: An index whose presence says "this database belongs to socialrec's tests". It
#: is schema, not data, so no test's node or relationship count ever sees it.
TEST_MARKER_INDEX = "pytest_owned_database_marker"


class ForeignDatabaseError(RuntimeError):
    """The database given to the tests holds data they did not create."""


def claim_test_database(runner: Neo4jRunner) -> None:
    """Make sure the tests own this database before anything deletes in it.

    A database is the tests' own when it carries :data:`TEST_MARKER_INDEX`, or
    when it is empty (then it gets the marker). Anything else is somebody's data.
    """
    marked = runner.read(
        "SHOW INDEXES YIELD name WHERE name = $n RETURN name", {"n": TEST_MARKER_INDEX}
    )
    if marked:
        return
    nodes = runner.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if nodes:
        raise ForeignDatabaseError(
            f"refusing to run integration tests against {runner.settings.describe()}: it holds "
            f"{nodes:,} nodes that the tests did not create, and every test empties the "
            "database. Give the tests an empty database of their own "
            "(SOCIALREC_TEST_NEO4J_URI), or leave it unset to use the local test server."
        )
    runner.write(
        f"CREATE INDEX {TEST_MARKER_INDEX} IF NOT EXISTS FOR (n:PytestOwnedDatabase) ON (n.marker)"
    )


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


@pytest.fixture(scope="session", autouse=True)
def no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """An empty config file, so a ./socialrec.toml of the user's is never read."""
    empty = tmp_path_factory.mktemp("config") / "socialrec.toml"
    empty.write_text("")
    os.environ["SOCIALREC_CONFIG"] = str(empty)
    yield
    os.environ.pop("SOCIALREC_CONFIG", None)


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[ConnectionSettings]:
    global _LOCAL
    given = ConnectionSettings.from_env("SOCIALREC_TEST_NEO4J_")
    if given is not None:
        yield given
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
    try:
        yield server.connection()
    finally:
        if started_here and not os.environ.get("SOCIALREC_TEST_KEEP_SERVER"):
            server.stop()


@pytest.fixture(scope="session")
def session_runner(neo4j_settings: ConnectionSettings) -> Iterator[Neo4jRunner]:
    with Neo4jRunner(neo4j_settings) as runner:
        runner.verify()
        try:
            claim_test_database(runner)
        except ForeignDatabaseError as e:
            pytest.exit(str(e), returncode=3)
        yield runner


def clean_database(runner: Neo4jRunner) -> None:
    runner.write_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS")
    # schema too: a test must not inherit another test's indexes or constraints
    for row in runner.read("SHOW CONSTRAINTS YIELD name RETURN name"):
        runner.write("DROP CONSTRAINT $n IF EXISTS", {"n": row["name"]})
    for row in runner.read(
        "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' AND name <> $marker RETURN name",
        {"marker": TEST_MARKER_INDEX},
    ):
        runner.write("DROP INDEX $n IF EXISTS", {"n": row["name"]})
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


@pytest.fixture
def socialrec_cli(
    neo4j_settings: ConnectionSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """``socialrec ARGS`` in-process against the test server: (exit code, stdout, stderr)."""
    from tests.helpers import run_cli

    def run(*args: str) -> tuple[int, str, str]:
        return run_cli(list(args), neo4j_settings, monkeypatch, capsys)

    return run


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """A test that asks for the server is an integration test, marked or not.

    So ``make unit`` (``-m "not integration"``) can never start Neo4j by accident,
    and a unit test and an integration test can share a module.
    """
    for item in items:
        if "neo4j_settings" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
