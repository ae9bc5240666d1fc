"""``socialrec sync``: export -> train (or reuse) -> score -> atomic writeback, as one job.

A sync keeps its state between runs in a folder (``[sync] state_dir``):
``snapshot.pt``, the graph as of the last sync (its watermark and degrees are
where the next incremental export starts), ``model.pt``, the current
checkpoint, and ``served.pt``, every user's list as the current run serves it
(:mod:`socialrec.writeback.served`). Kinds of sync:

* **full**: export everything, train a model (or reuse the current one when the
  retrain policy allows), score every user, publish a full run; with a reused
  model, only the users whose lists changed are written (a diff run);
* **incremental**: export only what changed since the last sync, re-score just
  the users whose neighbourhood changed with the current model (new users and
  items get embeddings from their neighbours, no training), and publish a run
  that keeps serving everyone else's recommendations from the previous runs;
* **auto**: full when there is no state yet or the retrain policy says so,
  else incremental.

The whole job holds the writer lock, and its ``RecommendationRun`` node is
created first, so an export or training failure is recorded on it as well.
Between stages the job checks for a stop request (SIGTERM in ``schedule``) and
that it still holds the lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from socialrec.checkpoint import Checkpoint
from socialrec.errors import ConfigError, SocialrecError
from socialrec.export import Exporter, GraphSnapshot
from socialrec.export.snapshot import INTERACTS
from socialrec.fileformat import FileFormatError
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping
from socialrec.pairs import lookup_sorted, pair_keys
from socialrec.score import Scorer
from socialrec.train import experiment
from socialrec.train.metrics import evaluate
from socialrec.train.trainer import TrainConfig
from socialrec.writeback import RunPlan, Writeback, WritebackConfig, WriterLock
from socialrec.writeback.runs import RunId
from socialrec.writeback.served import ServedLists, model_version

KINDS = ("auto", "full", "incremental")


class SyncStopped(SocialrecError):
    """A stop was requested (SIGTERM/SIGINT); the job stopped between stages."""


@dataclass(frozen=True)
class RetrainPolicy:
    """When a sync retrains instead of reusing the current model.

    Args:
        max_model_age_hours (float): retrain a model older than this.
            (default: ``24``)
        min_fresh_recall (float, optional): retrain when the current model's
            Recall@20 on the interactions that arrived since the last sync
            drops below this; ``None`` disables the check. (default: ``None``)
        min_fresh_interactions (int): fewer fresh interactions than this are
            too few to judge the model by. (default: ``100``)
    """

    max_model_age_hours: float = 24.0
    min_fresh_recall: float | None = None
    min_fresh_interactions: int = 100


@dataclass(frozen=True)
class SyncConfig:
    """Everything a sync needs besides the database.

    Args:
        state_dir (Path): where the snapshot and the current model live.
        model (str): model trained by full syncs (``[sync] model`` or
            ``[sync.train] model``; both set and different is an error).
            (default: ``"social"``)
        train (TrainConfig): training settings for full syncs; the defaults of
            ``socialrec train``. (default: ``TrainConfig()``)
        writeback (WritebackConfig): K, batch sizes, runs kept.
        policy (RetrainPolicy): when to retrain.
        seed (int): training seed. (default: ``0``)
    """

    state_dir: Path
    model: str = "social"
    train: TrainConfig = field(default_factory=TrainConfig)
    writeback: WritebackConfig = field(default_factory=WritebackConfig)
    policy: RetrainPolicy = field(default_factory=RetrainPolicy)
    seed: int = 0

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / "snapshot.pt"

    @property
    def model_path(self) -> Path:
        return self.state_dir / "model.pt"

    @property
    def state_path(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def served_path(self) -> Path:
        return self.state_dir / "served.pt"

    @classmethod
    def from_table(cls, table: dict[str, Any], default_state_dir: Path) -> SyncConfig:
        """Build from a config file's ``[sync]`` table (unknown keys are errors).

        ``recipe = "path"`` reads a ``socialrec tune`` recipe's ``[train]`` table;
        ``[sync.train]`` keys override it.
        """
        table = dict(table)
        train_table = dict(table.pop("train", {}))
        recipe = table.pop("recipe", None)
        if recipe:  # a `socialrec tune` recipe under what [sync.train] sets itself
            from socialrec.train.tune import read_recipe

            tuned = read_recipe(Path(recipe).expanduser())
            if "model" in table:  # [sync] model wins over the recipe's model
                tuned.pop("model", None)
            train_table = {**tuned, **train_table}
        sections = {
            "train": (TrainConfig, train_table),
            "writeback": (WritebackConfig, table.pop("writeback", {})),
            "policy": (RetrainPolicy, table.pop("policy", {})),
        }
        built: dict[str, Any] = {}
        for name, (kind, values) in sections.items():
            try:
                built[name] = kind(**values)
            except TypeError as e:
                raise ConfigError(f"config file [sync.{name}]: {e}") from e
        for key in ("model", "seed"):
            inner = (
                sections["train"][1].get(key) if isinstance(sections["train"][1], dict) else None
            )
            if inner is not None and key in table and table[key] != inner:
                raise ConfigError(
                    f"config file: [sync] {key} = {table[key]!r} and [sync.train] {key} = "
                    f"{inner!r} disagree; set it in one place"
                )
            if inner is not None:
                table.setdefault(key, inner)
        state_dir = Path(table.pop("state_dir", default_state_dir)).expanduser()
        try:
            return cls(state_dir=state_dir, **table, **built)
        except TypeError as e:
            raise ConfigError(f"config file [sync]: {e}") from e


@dataclass
class SyncSummary:
    """What a sync did (also stored on its RecommendationRun node)."""

    #: ``None`` when the sync published no run
    run_id: RunId | None
    kind: str
    retrained: bool
    reason: str
    users_scored: int = 0
    relationships: int = 0
    changed_users: int = 0
    #: users a diff or incremental run found served as they were, and did not rewrite
    unchanged_users: int = 0
    new_nodes: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: the writeback stage's parts: clear_slot (a full run empties its embedding
    #: slot), embeddings, recommendations (scoring and
    #: writing interleaved), publish, prune (older runs' relationships deleted)
    writeback_seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        if not self.run_id:
            return f"{self.kind} sync: {self.reason} (stages: {stages})"
        lines = [
            f"{self.kind} sync, run {self.run_id} ({self.reason})",
            f"  scored {self.users_scored:,} users, {self.relationships:,} recommendations",
            f"  stages: {stages}",
        ]
        if self.writeback_seconds:
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in self.writeback_seconds.items())
            lines.append(f"  writeback: {parts}")
        if self.kind == "incremental":
            lines.insert(1, f"  changed users {self.changed_users:,}, new {self.new_nodes}")
        if self.kind in ("diff", "incremental") and self.unchanged_users:
            lines.insert(1, f"  {self.unchanged_users:,} users' lists unchanged, not rewritten")
        if self.metrics:
            lines.append("  metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in self.metrics.items()))
        return "\n".join(lines)


def model_age_hours(path: Path) -> float:
    """Hours since the checkpoint was trained (its ``trained_at``, else the file's mtime)."""
    # peek: reading one number must not load a large model's embeddings.
    trained_at = float(Checkpoint.peek(path).get("trained_at") or path.stat().st_mtime)
    return (time.time() - trained_at) / 3600


def fresh_interactions(snapshot: GraphSnapshot, previous: GraphSnapshot) -> np.ndarray:
    """Which of ``snapshot``'s interactions were not in ``previous`` (a mask).

    Indices are stable across incremental exports, so a pair is fresh exactly
    when the previous snapshot has no edge between the same two indices.
    """
    now = snapshot.data[INTERACTS].edge_index.numpy()
    before = previous.data[INTERACTS].edge_index.numpy()
    n_items = snapshot.num_nodes("item")
    _, seen = lookup_sorted(
        np.sort(pair_keys(before[0], before[1], n_items)), pair_keys(now[0], now[1], n_items)
    )
    return ~seen


def fresh_recall(scorer: Scorer, previous: GraphSnapshot, k: int = 20) -> tuple[float, int]:
    """Recall@k of ``scorer`` on the interactions added since ``previous``
    (the previous snapshot's edges masked)."""
    now = scorer.snapshot.data[INTERACTS].edge_index.numpy()
    before = previous.data[INTERACTS].edge_index.numpy()
    fresh = fresh_interactions(scorer.snapshot, previous)
    truth = now[:, fresh & scorer.user_known[now[0]]]
    if truth.shape[1] == 0:
        return float("nan"), 0
    m = evaluate(scorer.user_embedding, scorer.item_embedding, truth, before, ks=(k,), max_k=k)
    return m[f"recall@{k}"], int(truth.shape[1])


class Sync:
    """Runs syncs against one database with one :class:`SyncConfig`.

    Args:
        runner (QueryRunner): the database.
        mapping (GraphMapping): names of labels and properties.
        config (SyncConfig): state folder, model, policy.
        log (callable, optional): receives one line per step.
        stop (threading.Event, optional): set it to stop between stages.
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping,
        config: SyncConfig,
        log: Callable[[str], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.runner = runner
        self.mapping = mapping
        self.config = config
        self.log = log or (lambda line: None)
        self.stop = stop or threading.Event()

    def decide(self, kind: str) -> tuple[str, bool, str]:
        """(kind to run, retrain?, why) for a requested ``kind``."""
        if kind not in KINDS:
            raise ConfigError(f"sync kind {kind!r}: choose from {KINDS}")
        cfg = self.config
        have_state = cfg.snapshot_path.exists() and cfg.model_path.exists()
        if kind == "incremental":
            if not have_state:
                raise ConfigError(f"no previous sync in {cfg.state_dir}: run a full sync first")
            return "incremental", False, "requested"
        if not cfg.model_path.exists():
            return "full", True, "no model yet"
        age = model_age_hours(cfg.model_path)
        if age > cfg.policy.max_model_age_hours:
            return "full", True, f"model is {age:.1f} h old (> {cfg.policy.max_model_age_hours} h)"
        threshold = cfg.policy.min_fresh_recall
        recall = self._state().get("fresh_recall@20")
        if threshold is not None and recall is not None and recall < threshold:
            return "full", True, f"fresh Recall@20 {recall:.4f} < {threshold}"
        if kind == "full":
            return "full", False, "requested; model is recent enough to reuse"
        if not have_state:
            return "full", False, "no previous snapshot"
        return "incremental", False, f"model is {age:.1f} h old"

    def run(self, kind: str = "auto", lock: WriterLock | None = None) -> SyncSummary:
        """One sync under the writer lock (taken here unless given)."""
        if lock is not None:
            return self._run(kind, lock)
        with WriterLock(self.runner, self.mapping) as own:
            return self._run(kind, own)

    @contextmanager
    def _stage(self, name: str, summary: SyncSummary, lock: WriterLock) -> Iterator[None]:
        if self.stop.is_set():
            raise SyncStopped(f"stop requested before {name}")
        lock.check()
        self.log(f"[{name}]")
        t = time.perf_counter()
        yield
        summary.seconds[name] = time.perf_counter() - t

    def _run(self, kind: str, lock: WriterLock) -> SyncSummary:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        kind, retrain, reason = self.decide(kind)
        writeback = Writeback(self.runner, self.mapping, cfg.writeback, lock, self.log)
        plan = writeback.begin(cfg.model, incremental=kind == "incremental", full_over_legacy=True)
        if kind != plan.kind:  # its rows cannot be served next to a numbered run's
            kind, reason = plan.kind, "the current run predates run numbers; written in full once"
        summary = SyncSummary(plan.run_id, kind, retrain, reason)
        self.log(f"{kind} sync ({reason})")
        try:
            if kind == "incremental":
                self._incremental(writeback, plan, summary, lock)
            else:
                self._full(writeback, plan, summary, lock, retrain)
        except BaseException as e:
            writeback.abandon(plan, e)
            raise
        return summary

    def _full(
        self,
        writeback: Writeback,
        plan: RunPlan,
        summary: SyncSummary,
        lock: WriterLock,
        retrain: bool,
    ) -> None:
        cfg = self.config
        with self._stage("export", summary, lock):
            snapshot = Exporter(self.runner, self.mapping, progress=False).full()
            self.log(f"  {snapshot.report.nodes} {snapshot.report.edges}")
            for what, n in snapshot.report.warnings.items():
                self.log(f"  warning: {what}: {n:,}")
        metrics: dict[str, float] = {}
        if retrain:
            with self._stage("train", summary, lock):
                train_config = replace(cfg.train, model=cfg.model, seed=cfg.seed)
                # the model that serves learns from every interaction (validation
                # only picks the epoch count): `socialrec evaluate` gives figures
                fitted = experiment.fit_for_serving(snapshot, train_config, log=self.log)
                metrics = {"valid_recall@20": fitted.result.best_valid}
                experiment.save_checkpoint(cfg.model_path, fitted, snapshot)
                self.log(f"  validation {metrics}, then refit on every interaction")
        summary.metrics = metrics
        self._score_and_write(writeback, plan, summary, lock, snapshot, None)

    def _incremental(
        self, writeback: Writeback, plan: RunPlan, summary: SyncSummary, lock: WriterLock
    ) -> None:
        cfg = self.config
        previous = GraphSnapshot.load(cfg.snapshot_path, mapping=self.mapping)
        with self._stage("export", summary, lock):
            exporter = Exporter(self.runner, self.mapping, progress=False)
            snapshot, changes = exporter.incremental(previous)
            users = changes.users
            if changes.removed.get("item"):
                # their RECOMMENDED went with them: re-score whoever is now short
                short = writeback.runs.users_short_of_k(cfg.writeback.k)
                idx = snapshot.index_of("user", short)
                users = np.union1d(users, idx[idx >= 0])
            summary.changed_users = len(users)
            summary.new_nodes = dict(changes.new)
            self.log(f"  {len(users):,} users changed, new {changes.new}")
        if not len(users):
            # nothing to re-score: publishing an empty run every 15 minutes would
            # only bury the history; the current run stays as it is
            writeback.runs.discard(plan.run_id)
            summary.reason = "nothing changed since the last sync; no run published"
            summary.run_id = None
            self.log(f"  {summary.reason}")
            return
        self._score_and_write(writeback, plan, summary, lock, snapshot, users, previous)

    def _score_and_write(
        self,
        writeback: Writeback,
        plan: RunPlan,
        summary: SyncSummary,
        lock: WriterLock,
        snapshot: GraphSnapshot,
        users: np.ndarray | None,
        previous: GraphSnapshot | None = None,
    ) -> None:
        cfg = self.config
        with self._stage("score", summary, lock):
            checkpoint = Checkpoint.load(cfg.model_path)
            scorer = Scorer.from_checkpoint(checkpoint, snapshot)
            if previous is not None:
                recall, n = fresh_recall(scorer, previous)
                if n >= cfg.policy.min_fresh_interactions:
                    summary.metrics["fresh_recall@20"] = recall
                    self.log(f"  Recall@20 on {n:,} fresh interactions: {recall:.4f}")
                # a time-aware model weighs what users did since as their most recent
                # (measured above first: the fresh interactions are its test)
                tau = float(checkpoint.config.get("recency_days") or 0.0)
                if tau > 0:
                    refreshed = scorer.refresh_recent(fresh_interactions(snapshot, previous), tau)
                    self.log(f"  {refreshed:,} users' new interactions folded in as recent")
        with self._stage("writeback", summary, lock):
            served = self._served(retrained=summary.retrained)
            report = writeback.run(
                scorer,
                checkpoint.model,
                users=users,
                metrics=summary.metrics,
                checkpoint=str(cfg.model_path),
                incremental=users is not None,
                plan=plan,
                # the model that scored (a reused one may differ from cfg.model)
                stats=self._stats(summary) | {"model": checkpoint.model},
                served=served,
                model_version=model_version(checkpoint.model, checkpoint.trained_at),
            )
            summary.kind = "diff" if plan.kind == "diff" else summary.kind
            summary.unchanged_users = report.unchanged_users
            summary.users_scored = report.users
            summary.relationships = report.relationships
            summary.writeback_seconds = dict(report.seconds)
        # Only a published run moves the state forward: a failed sync is
        # retried from the same starting point.
        if report.served is not None:
            report.served.save(cfg.served_path)
        else:  # lists not tracked this run: the file would describe an older run
            cfg.served_path.unlink(missing_ok=True)
        snapshot.save(cfg.snapshot_path)
        self._record_state(summary)

    def _served(self, retrained: bool) -> ServedLists | None:
        """The lists the last sync published, if on file and readable (a retrained
        model scores everyone anew, so they are not read then)."""
        path = self.config.served_path
        if retrained or not path.exists():
            return None
        try:
            return ServedLists.load(path)
        except FileFormatError as e:
            self.log(f"  {e}; every user is rewritten")
            return None

    def _stats(self, summary: SyncSummary) -> dict[str, Any]:
        return {
            "sync_reason": summary.reason,
            "retrained": summary.retrained,
            "changed_users": summary.changed_users,
            "timings": json.dumps(summary.seconds),
        }

    def _record_state(self, summary: SyncSummary) -> None:
        """Remember the last fresh Recall@20 (read by :meth:`decide`); reset by a retrain."""
        state = {} if summary.retrained else self._state()
        if "fresh_recall@20" in summary.metrics:
            state["fresh_recall@20"] = summary.metrics["fresh_recall@20"]
        state["last_run"] = summary.run_id
        self.config.state_path.write_text(json.dumps(state))

    def _state(self) -> dict[str, Any]:
        path = self.config.state_path
        return json.loads(path.read_text()) if path.exists() else {}
