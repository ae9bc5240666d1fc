"""The timetable from the config file, and a real scheduler process stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from socialrec.config import ConnectionSettings
from socialrec.errors import ConfigError
from socialrec.graph.runner import Neo4jRunner
from socialrec.jobs.schedule import ScheduleConfig
from tests.jobs.test_sync import load_small_graph


def test_timetable_parses_cron_and_intervals() -> None:
    config = ScheduleConfig.from_table(
        {
            "jobs": [
                {"kind": "incremental", "every_minutes": 15},
                {"kind": "full", "cron": "0 3 * * *"},
            ],
            "retry": {"attempts": 3},
        }
    )
    assert [j.kind for j in config.jobs] == ["incremental", "full"]
    assert config.jobs[0].every_seconds == 900 and config.retry.attempts == 3
    assert "cron '0 3 * * *'" in config.jobs[1].describe()


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ([], "no jobs"),
        ([{"kind": "nightly", "every_minutes": 1}], "kind must be one of"),
        ([{"kind": "full"}], "either cron or every"),
        ([{"kind": "full", "cron": "61 * * * *"}], "cron '61"),
        ([{"kind": "full", "every_minutes": 1, "color": "red"}], "unknown keys"),
    ],
)
def test_bad_timetables_are_refused(jobs: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ScheduleConfig.from_table({"jobs": jobs})


@pytest.mark.integration
def test_scheduler_fires_on_interval_and_stops_on_sigterm(
    db: Neo4jRunner, neo4j_settings: ConnectionSettings, tmp_path: Path
) -> None:
    load_small_graph(db)
    config = tmp_path / "socialrec.toml"
    config.write_text(
        f"""
[sync]
state_dir = "{tmp_path / "state"}"
model = "mf"
[sync.train]
epochs = 1
eval_every = 1
embedding_dim = 8
device = "cpu"
[sync.writeback]
k = 3
[schedule]
jobs = [{{kind = "auto", every_seconds = 2}}]
"""
    )
    env = os.environ | {
        "NEO4J_URI": neo4j_settings.uri,
        "NEO4J_USER": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "socialrec.cli", "--config", str(config), "schedule"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        complete, changed = 0, False
        while time.monotonic() < deadline and proc.poll() is None and complete < 2:
            time.sleep(1)
            complete = db.read(
                "MATCH (r:RecommendationRun {status: 'complete'}) RETURN count(r) AS n"
            )[0]["n"]
            if complete == 1 and not changed:
                # incremental syncs with nothing to do publish nothing: give them work
                time.sleep(3)
                db.write(
                    "MATCH (u:User {id: 0}), (i:Item) WHERE NOT (u)-->(i) "
                    "WITH u, i LIMIT 1 CREATE (u)-[:INTERACTED {weight: 1.0, ts: 2000000000}]->(i)"
                )
                changed = True
        seen = proc.stdout.read() if proc.stdout and proc.poll() is not None else "timeout"
        assert complete >= 2, seen
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "received SIGTERM" in out and out.rstrip().endswith("stopped")
    kinds = [r["k"] for r in db.read(
        "MATCH (r:RecommendationRun {status: 'complete'}) RETURN r.kind AS k ORDER BY r.started_at"
    )]  # fmt: skip
    assert kinds[0] == "full" and "incremental" in kinds[1:]
    # nothing left half-done: every run is complete, pruned, or failed and cleaned
    assert not db.read("MATCH (r:RecommendationRun {status: 'running'}) RETURN r.id")


def test_the_docker_config_file_is_valid() -> None:
    import tomllib

    from socialrec.jobs import SyncConfig

    path = Path(__file__).resolve().parents[2] / "docker" / "socialrec.toml"
    table = tomllib.loads(path.read_text())
    sync = SyncConfig.from_table(table["sync"], Path("/tmp/unused"))
    assert sync.state_dir == Path("/var/lib/socialrec/sync") and sync.writeback.k == 20
    assert sync.policy.min_fresh_recall == 0.05
    schedule = ScheduleConfig.from_table(table["schedule"])
    assert {j.kind for j in schedule.jobs} == {"auto", "full"}


def test_jobs_of_one_scheduler_never_overlap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A full sync that runs past the next firing makes that firing wait (was: both ran)."""
    import threading
    import time

    from socialrec.jobs import SyncConfig
    from socialrec.jobs.schedule import ScheduleConfig, Scheduler
    from socialrec.mapping import GraphMapping

    running, overlaps, order = [0], [0], []

    def fake_job(self: Scheduler, kind: str) -> None:
        running[0] += 1
        overlaps[0] = max(overlaps[0], running[0])
        order.append(f"start {kind}")
        time.sleep(0.3)
        order.append(f"end {kind}")
        running[0] -= 1

    monkeypatch.setattr(Scheduler, "_run_job", fake_job)
    config = ScheduleConfig.from_table({"jobs": [{"kind": "full", "every_minutes": 60}]})
    scheduler = Scheduler(None, GraphMapping(), SyncConfig(state_dir=tmp_path), config)  # type: ignore[arg-type]
    threads = [
        threading.Thread(target=scheduler.run_job, args=(k,)) for k in ("full", "incremental")
    ]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert overlaps[0] == 1
    assert order == ["start full", "end full", "start incremental", "end incremental"]
