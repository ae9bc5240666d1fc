"""``socialrec uninstall``: remove everything socialrec added to a database.

What socialrec adds (and nothing else is touched):

* ``RECOMMENDED`` relationships, ``RecommendationRun`` and ``SocialrecLock`` nodes;
* node properties named ``socialrec_<namespace>_...`` (embeddings);
* indexes and constraints named ``socialrec_*`` (vector indexes, the run and
  lock constraints, and the id constraints ``socialrec schema`` created).

By default only the mapping's namespace is removed (its runs, their
relationships, its embedding properties, vector indexes and lock); with
``everything`` all namespaces and socialrec's schema go too, leaving the
database as it was before socialrec ever wrote to it. It refuses while a writer
holds a lease, so it never pulls a run from under a live writeback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from socialrec import queries
from socialrec.graph.indexes import drop_schema, owned_schema
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import OUTPUT_PREFIX, GraphMapping
from socialrec.writeback.lock import LockError, WriterLock
from socialrec.writeback.runs import RunStore


@dataclass
class UninstallReport:
    runs: int = 0
    relationships: int = 0
    properties: list[str] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"removed {self.runs} runs, {self.relationships:,} RECOMMENDED relationships, "
            f"properties {self.properties or 'none'}, indexes and constraints "
            f"{self.schema or 'none'}"
        )


def _live_writers(runner: QueryRunner) -> list[str]:
    rows = runner.read(
        queries.render(
            "MATCH (l:${SocialrecLock}) WHERE l.owner IS NOT NULL AND l.expires_at > timestamp() "
            "RETURN l.name + ' (' + l.owner + ')' AS who",
            GraphMapping(),
        )
    )
    return [r["who"] for r in rows]


def uninstall(
    runner: QueryRunner, mapping: GraphMapping, everything: bool = False
) -> UninstallReport:
    """Remove the namespace's output, or with ``everything`` all of socialrec's."""
    report = UninstallReport()
    namespace = None if everything else mapping.output_namespace
    with WriterLock(runner, mapping) as lock:
        others = [w for w in _live_writers(runner) if lock.owner not in w]
        if everything and others:
            raise LockError(f"writers are running ({', '.join(others)}); stop them first")
        store = RunStore(runner, mapping)
        runs = runner.read(queries.load("uninstall_runs", mapping), {"namespace": namespace})
        for row in runs:
            report.relationships += store.delete_recommendations(row["id"])
        report.runs = len(runs)
        if everything:
            counters = runner.write_autocommit(queries.load("uninstall_recommended", mapping))
            report.relationships += counters.get("relationships_deleted", 0)
        prefix = f"{OUTPUT_PREFIX}{namespace}_" if namespace else OUTPUT_PREFIX
        keys = runner.read("CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey AS k")
        for key in sorted(r["k"] for r in keys if r["k"].startswith(prefix)):
            query = queries.load("uninstall_property", mapping, {"property": key})
            if runner.write_autocommit(query).get("properties_set", 0):
                report.properties.append(key)
        owned = owned_schema(runner, namespace)
        drop_schema(runner, owned)
        report.schema = [name for _, name in owned]
        lock_name = lock.name
    runner.write_autocommit(
        queries.load("uninstall_nodes", mapping), {"namespace": namespace, "lock": lock_name}
    )
    return report
