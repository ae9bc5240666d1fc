"""Writeback across torchrun ranks (2 gloo processes) against a real Neo4j."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from socialrec.config import ConnectionSettings
from socialrec.graph.runner import Neo4jRunner
from socialrec.recommender import publish_checkpoint
from socialrec.writeback import RunStore, Shards
from socialrec.writeback.config import WritebackConfig
from socialrec.writeback.runs import RunId
from tests.helpers import checkpoint_for
from tests.writeback.conftest import Planted, planted_embeddings
from tests.writeback.test_writer import MAPPING, SMALL, recommended_count, served

# Rank 1's runner fails on its second write: a failure in the middle of its share.
FAILING_RANK = textwrap.dedent(
    """
    import sys
    from socialrec.config import ConnectionSettings
    from socialrec.errors import DatabaseError
    from socialrec.export import GraphSnapshot
    from socialrec.graph.runner import Neo4jRunner
    from socialrec.recommender import publish_checkpoint
    from socialrec.train.distributed import init_from_env
    from socialrec.writeback import Shards, WritebackConfig, WritebackError

    shards = Shards(*init_from_env())
    runner = Neo4jRunner(ConnectionSettings.from_env())
    if shards.rank == 1:
        write, calls = runner.write, []
        def failing(query, params=None):
            calls.append(query)
            if len(calls) == 2:
                raise DatabaseError("injected failure on rank 1")
            return write(query, params)
        runner.write = failing
    config = WritebackConfig(k=5, batch_size=20, writers=1)
    try:
        publish_checkpoint(runner, sys.argv[2], GraphSnapshot.load(sys.argv[1]), config,
                           shards=shards)
    except WritebackError as e:
        print(f"rank {shards.rank}: {e}", flush=True)
        sys.exit(3)
    """
)


def torchrun(settings: ConnectionSettings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_URI": settings.uri,
        "NEO4J_USER": settings.user,
        "NEO4J_PASSWORD": settings.password,
    }
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29533", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, env=env)


def saved(planted: Planted, tmp_path: Path) -> tuple[Path, Path]:
    snapshot = planted.snapshot.save(tmp_path / "s.pt")
    user_emb, item_emb = planted_embeddings(planted.snapshot)
    checkpoint = tmp_path / "c.pt"
    checkpoint_for(planted.snapshot, user_emb, item_emb).save(checkpoint)
    return snapshot, checkpoint


def rows_of(db: Neo4jRunner, run_id: RunId) -> list[tuple[Any, ...]]:
    return [
        (r["u"], r["i"], r["rank"], round(r["score"], 5))
        for r in db.read(
            "MATCH (u)-[r:RECOMMENDED {run_id: $id}]->(i) "
            "RETURN u.id AS u, i.id AS i, r.rank AS rank, r.score AS score ORDER BY u, rank",
            {"id": run_id},
        )
    ]


def test_one_rank_is_one_process_and_ranks_take_every_nth_user() -> None:
    users = np.arange(10)
    assert Shards().mine(users).tolist() == users.tolist()
    assert Shards().broadcast("plan") == "plan" and Shards().gather(3) == [3]
    shares = [Shards(r, 3).mine(users).tolist() for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]


def test_two_gloo_ranks_publish_what_one_process_does(
    db: Neo4jRunner, planted: Planted, neo4j_settings: ConnectionSettings, tmp_path: Path
) -> None:
    snapshot, checkpoint = saved(planted, tmp_path)
    single = publish_checkpoint(db, checkpoint, planted.snapshot, SMALL)
    done = torchrun(
        neo4j_settings, "-m", "socialrec.cli", "writeback", "--checkpoint", str(checkpoint),
        "--snapshot", str(snapshot), "--k", "5", "--batch-size", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("is current") == 1  # rank 0 reports
    runs = RunStore(db, MAPPING)
    current = runs.current()
    assert current is not None and current["id"] != single.run_id
    assert rows_of(db, current["id"]) == rows_of(db, single.run_id)
    assert current["users"] == single.users and current["relationships"] == single.relationships


def test_a_failing_rank_leaves_the_previous_run_served_as_it_was(
    db: Neo4jRunner, planted: Planted, neo4j_settings: ConnectionSettings, tmp_path: Path
) -> None:
    snapshot, checkpoint = saved(planted, tmp_path)
    previous = publish_checkpoint(db, checkpoint, planted.snapshot, WritebackConfig(k=5))
    before = served(db)
    script = tmp_path / "rank.py"
    script.write_text(FAILING_RANK)
    done = torchrun(neo4j_settings, str(script), str(snapshot), str(checkpoint))
    assert done.returncode != 0
    # rank 0 learnt of rank 1's failure and abandoned the run everybody wrote into
    for rank in (0, 1):  # both exit with rank 0's verdict, naming the cause
        assert f"rank {rank}: writeback run" in done.stdout
    assert done.stdout.count("rank 1 failed: DatabaseError: injected failure on rank 1") == 2
    runs = RunStore(db, MAPPING)
    current = runs.current()
    assert current is not None and current["id"] == previous.run_id
    failed = [r for r in runs.history(10) if r["id"] != previous.run_id]
    assert [r["status"] for r in failed] == ["failed"]
    assert recommended_count(db, failed[0]["id"]) == 0
    assert served(db) == before
