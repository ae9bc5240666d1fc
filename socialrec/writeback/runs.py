"""Recommendation runs: the versioning that makes writeback atomic.

A run's ``RECOMMENDED`` relationships are written under its own ``run_id`` while
queries keep reading the current run; :meth:`RunStore.publish` flips the
current run in one small transaction once every batch is committed. So a crash,
a kill or a Neo4j restart mid-run leaves the previous recommendations exactly as
they were. The next run (holding the writer lock, so nothing else is writing)
finds the dead run still ``running``, marks it failed and deletes what it had
written; complete runs beyond the newest ``keep`` are pruned the same way, their
nodes kept as job history.

Each run also owns an embedding *slot*: the node property and item vector index
it writes (``socialrec_<namespace>_embedding_<slot>``,
``socialrec_<namespace>_items_<slot>``). A full run writes the slot the current
run does not use, so the embeddings queries read always belong to one model.

Runs are numbered: a run's id is a small integer from one sequence that every
namespace shares (``run_begin.cypher``), because every ``RECOMMENDED``
relationship carries it: a small integer is one inline property block, where
the 32-character string ids of earlier versions took three, and score, rank
and run id then fit one property record ("Run numbers" in
benchmarks/RESULTS.md). Runs written before keep their string ids
(:data:`RunId`); they are served, cleaned and pruned as before, but a later
run cannot serve their rows next to its own (a property list holds one
type), so the first run after an upgrade is written in full.

Everything here is per **namespace** (:attr:`GraphMapping.output_namespace`):
runs, the current run, cleaning and pruning only ever see their own mapping's
runs, so two mappings in one database never touch each other's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialrec import queries
from socialrec.errors import SocialrecError
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping

SLOTS = (0, 1)

#: A run's id: an integer; a 32-character string for runs of versions before run numbers.
RunId = int | str

#: The ``SocialrecLock`` node whose ``last_run`` numbers runs, in every namespace.
RUN_SEQUENCE = "socialrec-run-numbers"


class WritebackError(SocialrecError):
    """A writeback failed; the previous recommendations are still the current ones."""


def embedding_property(mapping: GraphMapping, slot: int) -> str:
    """The node property a slot's embeddings live in, for ``mapping``'s namespace."""
    return mapping.output_name(f"embedding_{slot}")


def item_index_name(mapping: GraphMapping, slot: int) -> str:
    """The vector index over a slot's item embeddings, for ``mapping``'s namespace."""
    return mapping.output_name(f"items_{slot}")


def is_legacy(run: dict[str, Any]) -> bool:
    """Whether ``run`` (a run node's properties) serves rows of a run with a string id."""
    return any(isinstance(r, str) for r in [run.get("id"), *(run.get("serves") or [])])


@dataclass(frozen=True)
class CleanedRun:
    id: RunId
    reason: str  # orphaned, failed or pruned
    relationships: int


class RunStore:
    """Reads and writes ``RecommendationRun`` nodes and their relationships."""

    def __init__(self, runner: QueryRunner, mapping: GraphMapping) -> None:
        self.runner = runner
        self.mapping = mapping
        self.namespace = mapping.output_namespace

    def _q(self, name: str) -> str:
        return queries.load(name, self.mapping)

    def ensure_schema(self) -> None:
        """The run indexes, and runs of older versions adopted into this namespace."""
        for statement in queries.load_all("writeback_schema", self.mapping):
            self.runner.write(statement)
        self.runner.write(self._q("run_adopt_legacy"), {"namespace": self.namespace})

    def current(self) -> dict[str, Any] | None:
        rows = self.runner.read(self._q("run_current"), {"namespace": self.namespace})
        return rows[0]["run"] if rows else None

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.runner.read(self._q("runs_list"), {"namespace": self.namespace, "limit": limit})
        return [r["run"] for r in rows]

    def begin(
        self,
        model: str,
        k: int,
        owner: str,
        slot: int,
        kind: str = "full",
        checkpoint: str | None = None,
    ) -> int:
        """Record a new ``running`` run; its number."""
        rows = self.runner.write_records(
            self._q("run_begin"),
            {
                "sequence": RUN_SEQUENCE,
                "namespace": self.namespace,
                "model": model,
                "kind": kind,
                "k": k,
                "owner": owner,
                "checkpoint": checkpoint,
                "slot": slot,
                "embedding_property": embedding_property(self.mapping, slot),
                "item_index": item_index_name(self.mapping, slot),
            },
        )
        if not rows:
            raise WritebackError("the run could not be recorded (run_begin returned nothing)")
        return int(rows[0]["id"])

    def publish(
        self,
        run_id: RunId,
        serves: list[RunId],
        stats: dict[str, Any],
        superseded_users: list[Any] | None = None,
    ) -> None:
        """Make ``run_id`` current (one transaction)."""
        rows = self.runner.write_records(
            self._q("run_publish"),
            {
                "id": run_id,
                "serves": serves,
                "stats": stats,
                "superseded_users": superseded_users or [],
            },
        )
        if not rows:
            raise WritebackError(
                f"run {run_id} is no longer 'running' (cleaned up by another writer?); "
                "not published"
            )

    def relayout(self, run_id: RunId, kind: str, slot: int) -> None:
        """Record that a running run is of ``kind`` and keeps its embeddings in ``slot``."""
        rows = self.runner.write_records(
            self._q("run_relayout"),
            {
                "id": run_id,
                "kind": kind,
                "slot": slot,
                "embedding_property": embedding_property(self.mapping, slot),
                "item_index": item_index_name(self.mapping, slot),
            },
        )
        if not rows:
            raise WritebackError(f"run {run_id} is no longer 'running'; not written")

    def count_served(self, run_ids: list[RunId]) -> int:
        """RECOMMENDED relationships the given runs hold (through the run_id index)."""
        rows = self.runner.read(self._q("run_count_served"), {"ids": run_ids})
        return int(rows[0]["relationships"]) if rows else 0

    def count_user_served(self, users: list[Any], serves: list[RunId]) -> list[int]:
        """Served RECOMMENDED relationships of each of ``users`` (ids), in their order."""
        counts: list[int] = []
        for start in range(0, len(users), 20_000):  # bounded parameter lists
            part = users[start : start + 20_000]
            rows = self.runner.read(
                self._q("run_count_user_served"), {"users": part, "serves": serves}
            )
            counts += [int(n) for n in rows[0]["counts"]] if rows else [0] * len(part)
        return counts

    def users_short_of_k(self, k: int) -> list[Any]:
        """Ids of users the current run serves fewer than ``k`` recommendations."""
        rows = self.runner.read(
            self._q("run_users_short_of_k"), {"namespace": self.namespace, "k": k}
        )
        return list(rows[0]["ids"]) if rows else []

    def discard(self, run_id: RunId) -> None:
        """Delete a run node that wrote nothing (nothing to do: no history to keep)."""
        self.runner.write(self._q("run_discard"), {"id": run_id})

    def fail(self, run_id: RunId, error: str) -> None:
        # One attempt, no driver retries: this is best effort after a failure
        # (often Neo4j being unreachable), and the next run cleans up anyway.
        self.runner.write_autocommit(self._q("run_fail"), {"id": run_id, "error": error[:2000]})

    def delete_recommendations(self, run_id: RunId) -> int:
        counters = self.runner.write_autocommit(
            self._q("run_delete_recommendations"), {"id": run_id}
        )
        return counters.get("relationships_deleted", 0)

    def clean(self, keep: int, except_id: RunId = "") -> list[CleanedRun]:
        """Delete the relationships of orphaned, failed and surplus runs.

        Only call while holding the writer lock: a ``running`` run is then dead.
        """
        cleaned = []
        rows = self.runner.read(
            self._q("runs_to_clean"),
            {"namespace": self.namespace, "keep": keep, "except": except_id},
        )
        for row in rows:
            n = self.delete_recommendations(row["id"])
            self.mark_cleaned(row["id"], row["reason"])
            cleaned.append(CleanedRun(row["id"], row["reason"], n))
        return cleaned

    def mark_cleaned(self, run_id: RunId, reason: str) -> None:
        self.runner.write(self._q("run_mark_cleaned"), {"id": run_id, "reason": reason})
