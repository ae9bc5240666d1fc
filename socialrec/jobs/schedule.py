"""``socialrec schedule``: syncs on a timetable, next to a live Neo4j.

The timetable comes from the config file::

    [schedule]
    jobs = [
      { kind = "incremental", every_minutes = 15 },
      { kind = "full", cron = "0 3 * * *" },          # nightly retrain, 03:00
    ]
    lock_wait_seconds = 0      # another writer busy: skip this turn
    [schedule.retry]
    attempts = 5
    backoff = 5.0

APScheduler fires the jobs (cron expressions or intervals); a job never overlaps
itself and missed firings are coalesced. Across processes and machines the
Neo4j writer lease decides who writes: a scheduler that finds it taken skips
that turn. SIGTERM or SIGINT sets a stop flag that a running sync checks
between stages (its run is then marked failed and cleaned up by the next one),
and the scheduler exits once the job has stopped.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from socialrec.errors import ConfigError, SocialrecError
from socialrec.graph.runner import QueryRunner
from socialrec.jobs.retry import RetryPolicy, retry_transient
from socialrec.jobs.sync import KINDS, Sync, SyncConfig, SyncStopped
from socialrec.mapping import GraphMapping
from socialrec.writeback.lock import LockError, WriterLock, default_owner
from socialrec.writeback.runs import RunId


@dataclass(frozen=True)
class ScheduledJob:
    """One line of the timetable: a sync kind and when it fires."""

    kind: str
    cron: str | None = None
    every_seconds: float | None = None

    def trigger(self) -> BaseTrigger:
        if self.cron:
            return CronTrigger.from_crontab(self.cron)
        assert self.every_seconds is not None
        return IntervalTrigger(seconds=self.every_seconds)

    def describe(self) -> str:
        when = f"cron {self.cron!r}" if self.cron else f"every {self.every_seconds:g} s"
        return f"{self.kind} sync, {when}"

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str) -> ScheduledJob:
        table = dict(table)
        kind = table.pop("kind", None)
        if kind not in KINDS:
            raise ConfigError(f"{where}: kind must be one of {KINDS}, not {kind!r}")
        cron = table.pop("cron", None)
        every = None
        for key, factor in (("every_seconds", 1), ("every_minutes", 60), ("every_hours", 3600)):
            if key in table:
                every = float(table.pop(key)) * factor
        if table:
            raise ConfigError(f"{where}: unknown keys {sorted(table)}")
        if (cron is None) == (every is None):
            raise ConfigError(f"{where}: give either cron or every_seconds/minutes/hours")
        if cron is not None:
            try:
                CronTrigger.from_crontab(cron)
            except ValueError as e:
                raise ConfigError(f"{where}: cron {cron!r}: {e}") from e
        if every is not None and every <= 0:
            raise ConfigError(f"{where}: the interval must be positive")
        return cls(kind, cron, every)


@dataclass(frozen=True)
class ScheduleConfig:
    jobs: tuple[ScheduledJob, ...]
    lock_wait_seconds: float = 0.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> ScheduleConfig:
        table = dict(table)
        raw_jobs = table.pop("jobs", [])
        if not raw_jobs:
            raise ConfigError("config file [schedule]: no jobs; add jobs = [{kind = ..., ...}]")
        jobs = tuple(
            ScheduledJob.from_table(j, f"config file [schedule] jobs[{n}]")
            for n, j in enumerate(raw_jobs)
        )
        try:
            retry = RetryPolicy(**table.pop("retry", {}))
        except TypeError as e:
            raise ConfigError(f"config file [schedule.retry]: {e}") from e
        wait = float(table.pop("lock_wait_seconds", 0.0))
        if table:
            raise ConfigError(f"config file [schedule]: unknown keys {sorted(table)}")
        return cls(jobs, wait, retry)


class Scheduler:
    """Runs :class:`~socialrec.jobs.sync.Sync` jobs on a timetable until stopped.

    Args:
        runner (QueryRunner): the database.
        mapping (GraphMapping): names of labels and properties.
        sync_config (SyncConfig): what each sync does.
        config (ScheduleConfig): when, and how failures are retried.
        log (callable, optional): receives one line per event.
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping,
        sync_config: SyncConfig,
        config: ScheduleConfig,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.runner = runner
        self.mapping = mapping
        self.sync_config = sync_config
        self.config = config
        self.log = log or (lambda line: None)
        self.stop = threading.Event()
        # Jobs of one process run one at a time: a nightly full sync that runs
        # past the next incremental firing makes that firing wait, never overlap.
        self._one_job = threading.Lock()
        self.completed: list[RunId] = []

    def run_job(self, kind: str) -> None:
        """One scheduled firing: a sync, retried on transient errors; never raises."""
        with self._one_job:
            self._run_job(kind)

    def _run_job(self, kind: str) -> None:
        sync = Sync(self.runner, self.mapping, self.sync_config, log=self.log, stop=self.stop)
        previous: list[str] = []  # owners of this job's earlier attempts

        def attempt() -> Any:
            # Each attempt is its own owner; it may take over the lease of this
            # job's previous attempt at once (that attempt is over: jobs are
            # serial), which a lost connection can leave unreleased.
            lock = WriterLock(
                self.runner,
                self.mapping,
                wait=self.config.lock_wait_seconds,
                owner=default_owner(),
                takeover=previous[-1] if previous else None,
            )
            previous.append(lock.owner)
            with lock:
                return sync.run(kind, lock=lock)

        try:
            summary = retry_transient(attempt, self.config.retry, self.stop, self.log)
        except LockError as e:
            self.log(f"{kind} sync skipped: {e}")
        except SyncStopped as e:
            self.log(f"{kind} sync stopped: {e}")
        except SocialrecError as e:
            self.log(f"{kind} sync failed (current recommendations unchanged): {e}")
        else:
            if summary.run_id:  # a sync with nothing to do publishes no run
                self.completed.append(summary.run_id)
            self.log(summary.describe())

    def serve(self, install_signal_handlers: bool = True) -> None:
        """Fire jobs until SIGTERM/SIGINT (or :attr:`stop` is set), then return."""
        scheduler = BackgroundScheduler(timezone="UTC")
        for job in self.config.jobs:
            scheduler.add_job(
                self.run_job,
                job.trigger(),
                args=[job.kind],
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                name=job.describe(),
            )
            self.log(f"scheduled: {job.describe()}")
        if install_signal_handlers:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_signal)
        scheduler.start()
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            self.log("stopping: waiting for a running job to reach a stage boundary")
            scheduler.shutdown(wait=True)
            self.log("stopped")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.log(f"received {signal.Signals(signum).name}")
        self.stop.set()
