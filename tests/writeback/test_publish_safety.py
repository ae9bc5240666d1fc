"""No publish leaves users without the recommendations they had; mappings stay apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socialrec import queries
from socialrec.errors import DatabaseError
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.writeback import RunStore, Writeback, WritebackConfig, WriterLock
from socialrec.writeback.lock import lock_name
from socialrec.writeback.runs import WritebackError
from tests.writeback.conftest import N_USERS, Planted

MAPPING = GraphMapping()
SMALL = WritebackConfig(k=5, batch_size=40)


def served_users(db: Neo4jRunner, mapping: GraphMapping = MAPPING) -> dict[int, list[int]]:
    q = queries.load("recommend", mapping)
    out = {}
    for u in range(N_USERS):
        rows = db.read(q, {"namespace": mapping.output_namespace, "user": u, "k": 5})
        out[u] = [r["item"] for r in rows]
    return out


@pytest.mark.integration
def test_an_empty_run_is_refused_and_the_current_one_stays(
    db: Neo4jRunner, planted: Planted
) -> None:
    first = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served_users(db)
    nothing = np.zeros(planted.snapshot.num_nodes("item"), dtype=bool)
    for allow in (False, True):  # not even --allow-shrink publishes an empty run
        config = WritebackConfig(k=5, allow_shrink=allow)
        with pytest.raises(WritebackError, match="nothing to publish"):
            Writeback(db, MAPPING, config).run(planted.scorer, "empty", item_mask=nothing)
    current = RunStore(db, MAPPING).current()
    assert current is not None and current["id"] == first.run_id
    assert served_users(db) == before and all(before.values())


@pytest.mark.integration
def test_a_shrinking_full_run_is_refused_unless_allowed(db: Neo4jRunner, planted: Planted) -> None:
    Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served_users(db)
    few = planted.scorer.user_indices([0, 1, 2])
    with pytest.raises(WritebackError, match="leave 17 users without recommendations"):
        Writeback(db, MAPPING, SMALL).run(planted.scorer, "few", users=few)
    assert served_users(db) == before
    allowed = WritebackConfig(k=5, allow_shrink=True)
    Writeback(db, MAPPING, allowed).run(planted.scorer, "few", users=few)
    after = served_users(db)
    assert [u for u, items in after.items() if items] == [0, 1, 2]


@pytest.mark.integration
def test_an_incremental_run_for_some_users_keeps_everyone_else(
    db: Neo4jRunner, planted: Planted
) -> None:
    Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served_users(db)
    few = planted.scorer.user_indices([3])
    Writeback(db, MAPPING, SMALL).run(planted.scorer, "again", users=few, incremental=True)
    after = served_users(db)
    assert after == before  # same model: same lists, and nobody lost theirs
    current = RunStore(db, MAPPING).current()
    assert current is not None and current["kind"] == "incremental"
    assert current["served_users"] == N_USERS


@pytest.mark.integration
def test_two_mappings_publish_and_prune_without_touching_each_other(
    db: Neo4jRunner, planted: Planted
) -> None:
    other = GraphMapping(namespace="books")
    assert other.output_namespace != MAPPING.output_namespace
    first = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    mine = served_users(db)
    # the other product publishes more runs than either keeps, pruning its own
    for n in range(4):
        Writeback(db, other, WritebackConfig(k=3, keep_runs=1)).run(planted.scorer, f"b{n}")
    assert served_users(db) == mine
    current = RunStore(db, MAPPING).current()
    assert current is not None and current["id"] == first.run_id
    assert len(RunStore(db, other).history()) == 4
    assert all(len(v) == 3 for v in served_users(db, other).values())
    # embeddings and vector indexes live under each namespace's own names
    assert RunStore(db, other).current()["embedding_property"].startswith("socialrec_books_")  # type: ignore[index]
    # each namespace has its own writer lock: holding one does not block the other
    with WriterLock(db, other):
        Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted-2")
    assert served_users(db) == mine


def test_a_mapping_that_names_socialrec_output_is_refused() -> None:
    from socialrec.errors import MappingError

    with pytest.raises(MappingError, match=r"interacted.*RECOMMENDED"):
        GraphMapping(interacted="RECOMMENDED")
    with pytest.raises(MappingError, match="RecommendationRun"):
        GraphMapping(item="RecommendationRun")
    with pytest.raises(MappingError, match="socialrec_"):
        GraphMapping(weight="socialrec_embedding_0")
    with pytest.raises(MappingError, match="namespace"):
        GraphMapping(namespace="Bad Name")


class PruneFails:
    """Passes queries through until a run is published, then fails every deletion."""

    def __init__(self, inner: Neo4jRunner) -> None:
        self.inner, self.published = inner, False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def write_records(self, query: str, params: object = None) -> object:
        rows = self.inner.write_records(query, params)  # type: ignore[arg-type]
        if getattr(query, "name", "") == "run_publish.cypher":
            self.published = True
        return rows

    def write_autocommit(self, query: str, params: object = None) -> object:
        if self.published and getattr(query, "name", "") == "run_delete_recommendations.cypher":
            raise DatabaseError("Neo4j went away", transient=True)
        return self.inner.write_autocommit(query, params)  # type: ignore[arg-type]


@pytest.mark.integration
def test_a_failure_while_pruning_after_publish_is_reported_not_raised(
    db: Neo4jRunner, planted: Planted
) -> None:
    config = WritebackConfig(k=5, keep_runs=1)
    Writeback(db, MAPPING, config).run(planted.scorer, "first")
    flaky = PruneFails(db)
    report = Writeback(flaky, MAPPING, config).run(planted.scorer, "second")  # type: ignore[arg-type]
    assert report.cleanup_deferred and "went away" in report.cleanup_deferred
    current = RunStore(db, MAPPING).current()
    assert current is not None and current["id"] == report.run_id  # published: the commit point
    # the next run finishes the cleanup
    third = Writeback(db, MAPPING, config).run(planted.scorer, "third")
    assert {c.reason for c in third.cleaned} == {"pruned"} and len(third.cleaned) == 2


@pytest.mark.integration
def test_sigterm_ends_a_writeback_like_ctrl_c(
    db: Neo4jRunner, planted: Planted, neo4j_settings: object, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import checkpoint_for
    from tests.writeback.conftest import planted_embeddings

    first = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served_users(db)
    snap = planted.snapshot.save(tmp_path / "s.pt")
    ck = checkpoint_for(planted.snapshot, *planted_embeddings(planted.snapshot, 9))
    ck.save(tmp_path / "c.pt")
    s = neo4j_settings
    env = os.environ | {"NEO4J_URI": s.uri, "NEO4J_USER": s.user, "NEO4J_PASSWORD": s.password}  # type: ignore[attr-defined]
    # the product's own rate cap keeps the run writing for 10 s: 100 rows at 10 a
    # second, one user's 5 rows a batch, so the signal finds it mid-run
    args = ["writeback", "--checkpoint", str(tmp_path / "c.pt"), "--snapshot", str(snap),
            "--k", "5", "--batch-size", "5", "--writers", "1", "--no-embeddings",
            "--max-rate", "10"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "socialrec.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            rows = db.read(
                "MATCH (r:RecommendationRun {status: 'running'}) "
                "MATCH ()-[x:RECOMMENDED {run_id: r.id}]->() RETURN count(x) AS n"
            )
            if rows and rows[0]["n"] >= 10:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143 and "terminated" in err, err
    runs = RunStore(db, MAPPING).history()
    stopped = [r for r in runs if r["id"] != first.run_id]
    assert len(stopped) == 1 and stopped[0]["status"] == "failed" and stopped[0]["cleaned"]
    assert (
        db.read(
            "MATCH ()-[x:RECOMMENDED {run_id: $id}]->() RETURN count(x) AS n",
            {"id": stopped[0]["id"]},
        )[0]["n"]
        == 0
    )
    lock = db.read(
        "MATCH (l:SocialrecLock {name: $name}) RETURN l.owner AS owner",
        {"name": lock_name(MAPPING)},
    )
    assert [row["owner"] for row in lock] == [None]  # released, not left to expire
    assert served_users(db) == before


@pytest.mark.integration
def test_runs_of_a_version_before_namespaces_keep_being_served(
    db: Neo4jRunner, planted: Planted
) -> None:
    first = Writeback(db, MAPPING, SMALL).run(planted.scorer, "planted")
    before = served_users(db)
    db.write("MATCH (r:RecommendationRun) REMOVE r.namespace")  # as an older version wrote it
    assert all(not v for v in served_users(db).values())  # the namespaced query sees nothing
    # the next writer adopts the old runs before anything else: the refusal to
    # shrink, the pruning and the publish all see them
    few = planted.scorer.user_indices([0])
    with pytest.raises(WritebackError, match="refusing to publish"):
        Writeback(db, MAPPING, SMALL).run(planted.scorer, "few", users=few)
    assert served_users(db) == before
    current = RunStore(db, MAPPING).current()
    assert current is not None and current["id"] == first.run_id
