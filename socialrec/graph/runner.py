"""The query-runner seam between socialrec and Neo4j.

All database traffic goes through a :class:`QueryRunner`. Production code uses
:class:`Neo4jRunner`, a thin layer over the official driver's managed
transactions (``execute_query``), which retry transient and connectivity
errors with backoff and nothing else. Unit tests pass a fake that records the
queries and parameters it is given, so the exact Cypher can be asserted without
a server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import neo4j
from neo4j import exceptions as neo4j_errors

from socialrec.config import ConnectionSettings
from socialrec.errors import ConfigError, DatabaseError

Params = Mapping[str, Any]

_COUNTERS = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "labels_removed",
    "indexes_added",
    "indexes_removed",
    "constraints_added",
    "constraints_removed",
)


class QueryRunner(Protocol):
    """What socialrec needs from a database connection."""

    def read(self, query: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Run a read query; every record as a dict."""
        ...

    def write(self, query: str, params: Params | None = None) -> dict[str, int]:
        """Run a write query in its own transaction; the summary's counters."""
        ...

    def write_records(self, query: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Run a write query in its own transaction; every record it returns as a dict."""
        ...

    def write_autocommit(self, query: str, params: Params | None = None) -> dict[str, int]:
        """Run a write in an implicit transaction (needed by ``CALL {...} IN TRANSACTIONS``).

        Not retried: such a query commits as it goes, so callers make it idempotent.
        """
        ...


def _counters(summary: neo4j.ResultSummary) -> dict[str, int]:
    counters = summary.counters
    return {name: getattr(counters, name) for name in _COUNTERS if getattr(counters, name)}


def _query_name(query: str) -> str:
    name = getattr(query, "name", None)
    if name:
        return f"cypher/{name}"
    first = query.strip().splitlines()[0] if query.strip() else ""
    return repr(first[:80])


@contextmanager
def translate_errors(settings: ConnectionSettings, query: str = "") -> Iterator[None]:
    """Re-raise driver errors as :class:`DatabaseError` with a useful message."""
    what = f" running {_query_name(query)}" if query else ""
    try:
        yield
    except neo4j_errors.AuthError as e:
        raise DatabaseError(
            f"Neo4j at {settings.uri} refused user {settings.user!r}: check NEO4J_USER / "
            "NEO4J_PASSWORD"
        ) from e
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as e:
        raise DatabaseError(
            f"cannot reach Neo4j at {settings.uri}{what}: {e}", transient=True
        ) from e
    except neo4j_errors.Neo4jError as e:
        raise DatabaseError(
            f"Neo4j error{what}: {e.code}: {e.message}", transient=e.is_retryable()
        ) from e
    except neo4j_errors.DriverError as e:
        raise DatabaseError(f"Neo4j driver error{what}: {e}", transient=e.is_retryable()) from e


class Neo4jRunner:
    """A :class:`QueryRunner` over the official Neo4j Python driver.

    Args:
        settings (ConnectionSettings): where to connect.
        max_retry_time (float): seconds the driver keeps retrying a transaction
            that failed for a transient reason (restart, leader switch, lost
            connection). (default: ``30.0``)
    """

    def __init__(self, settings: ConnectionSettings, max_retry_time: float = 30.0) -> None:
        self.settings = settings
        try:
            self._driver = neo4j.GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                max_transaction_retry_time=max_retry_time,
                max_connection_pool_size=8,
                # socialrec writes its own queries; Cypher 5's deprecation notices
                # (the exporter's id(), see cypher/export_users.cypher) are not the
                # user's to act on, so they are not logged at every batch.
                notifications_disabled_classifications=["DEPRECATION", "UNRECOGNIZED"],
            )
        except (neo4j_errors.ConfigurationError, ValueError) as e:
            raise ConfigError(
                f"Neo4j URI {settings.uri!r} is not usable: {e} "
                "(set NEO4J_URI / --uri to e.g. bolt://127.0.0.1:7687)"
            ) from e

    @property
    def driver(self) -> neo4j.Driver:
        return self._driver

    def verify(self) -> None:
        """Fail fast with a clear message if the server is unreachable or refuses us."""
        with translate_errors(self.settings):
            self._driver.verify_connectivity()

    def _execute(
        self, query: str, params: Params | None, routing: neo4j.RoutingControl
    ) -> tuple[list[dict[str, Any]], neo4j.ResultSummary]:
        with translate_errors(self.settings, query):
            records, summary, _ = self._driver.execute_query(
                query,  # type: ignore[arg-type]
                parameters_=dict(params or {}),
                database_=self.settings.database,
                routing_=routing,
            )
        # dict(record) keeps values as decoded; record.data() would walk every
        # element of every list again (seconds for an export batch).
        return [dict(r.items()) for r in records], summary

    def read(self, query: str, params: Params | None = None) -> list[dict[str, Any]]:
        return self._execute(query, params, neo4j.RoutingControl.READ)[0]

    def write(self, query: str, params: Params | None = None) -> dict[str, int]:
        return _counters(self._execute(query, params, neo4j.RoutingControl.WRITE)[1])

    def write_records(self, query: str, params: Params | None = None) -> list[dict[str, Any]]:
        return self._execute(query, params, neo4j.RoutingControl.WRITE)[0]

    def write_autocommit(self, query: str, params: Params | None = None) -> dict[str, int]:
        with (
            translate_errors(self.settings, query),
            self._driver.session(database=self.settings.database) as session,
        ):
            summary = session.run(query, dict(params or {})).consume()  # type: ignore[arg-type]
        return _counters(summary)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
