"""``socialrec writeback``: scores into Neo4j as ``RECOMMENDED`` relationships.

The order of work is what makes a failure harmless (see :mod:`.runs`):

1. take the writer lock; clean up runs earlier writers left behind;
2. record the new run (``running``, not current);
3. write embeddings into the run's slot and (re)create the slot's vector index;
4. write recommendations in batches of tens of thousands of relationships, two
   transactions in flight while the next batch is scored; a full run with the
   current run's model writes only the users whose lists changed (a diff run,
   :mod:`.served`);
5. publish: one transaction makes the run current;
6. prune runs beyond ``keep``.

Any error in 2-5 marks the run failed, deletes what it wrote, and re-raises as
:class:`WritebackError`: queries never saw any of it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialrec import queries
from socialrec.errors import SocialrecError
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping
from socialrec.progress import Stage
from socialrec.score.scorer import Recommendations, Scorer
from socialrec.topk import TopK
from socialrec.writeback.batches import send_pipelined
from socialrec.writeback.candidates import popular_items
from socialrec.writeback.config import WritebackConfig
from socialrec.writeback.embeddings import clear_slot, write_embeddings
from socialrec.writeback.lock import WriterLock
from socialrec.writeback.plan import RunPlan, kind_and_slot, served_base, served_users
from socialrec.writeback.runs import (
    CleanedRun,
    RunId,
    RunStore,
    WritebackError,
    item_index_name,
)
from socialrec.writeback.served import Aligned, ServedLists
from socialrec.writeback.shards import Shards

#: Fewest users scored at once by a writeback (see _write_recommendations).
SCORE_CHUNK = 1024


@dataclass
class WritebackReport:
    run_id: RunId
    users: int = 0
    relationships: int = 0
    user_embeddings: int = 0
    item_embeddings: int = 0
    cleaned: list[CleanedRun] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: ids of the users who got at least one recommendation (incremental runs only)
    written_users: list[Any] = field(default_factory=list)
    #: why pruning older runs failed after this run was published (the next run retries)
    cleanup_deferred: str | None = None
    #: every user's list as served once this run is published (when tracked: the
    #: sync's ``model_version`` given, one process); the base of the next diff run
    served: ServedLists | None = None
    #: users a diff or incremental run scored and found served as they were (not rewritten)
    unchanged_users: int = 0

    @property
    def relationships_per_second(self) -> float:
        s = self.seconds.get("recommendations", 0.0)
        return self.relationships / s if s else 0.0


class Writeback:
    """Writes a :class:`~socialrec.score.Scorer`'s recommendations as a new run.

    Args:
        runner (QueryRunner): the database.
        mapping (GraphMapping): names of labels and properties.
        config (WritebackConfig): batch sizes, K, pruning. (default: defaults)
        lock (WriterLock, optional): a lock the caller already holds (``sync``
            holds it across export, training and writeback); without one the
            writeback takes its own.
        log (callable, optional): receives lines of text (run started, published, ...).
        shards (Shards, optional): the ``torchrun`` ranks that share this writeback
            (:mod:`.shards`); each scores and writes its users, rank 0 publishes.
            (default: one process)
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping,
        config: WritebackConfig | None = None,
        lock: WriterLock | None = None,
        log: Callable[[str], None] | None = None,
        shards: Shards | None = None,
    ) -> None:
        self.runner = runner
        self.mapping = mapping
        self.config = config or WritebackConfig()
        self.lock = lock
        self.log = log or (lambda line: None)
        self._verbose = log is not None  # a caller that wants lines also gets the bar
        self.runs = RunStore(runner, mapping)
        self.shards = shards or Shards()

    def begin(
        self,
        model: str,
        incremental: bool = False,
        checkpoint: str | None = None,
        full_over_legacy: bool = False,
    ) -> RunPlan:
        """Clean up after dead writers and record a new run (``running``, not current).

        ``sync`` begins the run before exporting and training, so that a
        failure in those stages is recorded on the run too; :meth:`run` begins
        one itself when given none. Call with the writer lock held. An
        incremental run over a run written before run numbers is refused, or
        with ``full_over_legacy`` begun as a full one (the plan's ``kind`` says).
        """
        if self.shards.world > 1:
            return self._begin_on_publisher(model, incremental, checkpoint, full_over_legacy)
        self._check_lock()
        self.runs.ensure_schema()
        cleaned = self.runs.clean(keep=self.config.keep_runs)
        current = self.runs.current()
        kind, slot = kind_and_slot(current, incremental, full_over_legacy)
        owner = self.lock.owner if self.lock else ""
        run_id = self.runs.begin(model, self.config.k, owner, slot, kind, checkpoint)
        self.log(f"run {run_id} ({kind}, {model}) started, embedding slot {slot}")
        return RunPlan(run_id, kind, slot, current, cleaned, time.perf_counter())

    def _begin_on_publisher(
        self, model: str, incremental: bool, checkpoint: str | None, full_over_legacy: bool
    ) -> RunPlan:
        """Rank 0 begins the run; every rank gets its plan, or the reason it failed."""
        if not self.shards.publisher:
            placeholder: tuple[RunPlan | None, str | None] = (None, None)
            received, error = self.shards.broadcast(placeholder)
            if received is None:
                raise WritebackError(f"rank 0 could not begin the run: {error}")
            return received
        try:
            plan = Writeback(self.runner, self.mapping, self.config, self.lock, self.log).begin(
                model, incremental, checkpoint, full_over_legacy
            )
        except BaseException as e:
            self.shards.broadcast((None, f"{type(e).__name__}: {e}"))
            raise
        return self.shards.broadcast((plan, None))[0]

    def run(
        self,
        scorer: Scorer,
        model: str,
        users: np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
        metrics: dict[str, Any] | None = None,
        checkpoint: str | None = None,
        incremental: bool = False,
        plan: RunPlan | None = None,
        stats: dict[str, Any] | None = None,
        served: ServedLists | None = None,
        model_version: str | None = None,
    ) -> WritebackReport:
        """Score ``users`` (all by default) and publish them as the current run.

        With ``incremental``, the run builds on the current one: it rewrites
        only ``users``, keeps serving everyone else's recommendations from the
        runs the current one serves, and writes embeddings only for nodes that
        got theirs inductively. ``plan`` is a run from :meth:`begin`; ``stats``
        are extra properties for the run node (timings, counts).

        ``model_version`` (:func:`~socialrec.writeback.served.model_version`)
        asks for the served lists to be tracked (``report.served``); ``served``
        is the previous run's. A full run with the same ``model_version`` as
        ``served`` then becomes a diff run: it rewrites only the users whose
        list changed, and serves everyone else from the runs that wrote theirs.
        """
        with self._holding_lock():
            return self._run(
                scorer, model, users, item_mask, metrics, checkpoint, incremental, plan, stats,
                served, model_version,
            )  # fmt: skip

    @contextmanager
    def _holding_lock(self) -> Iterator[None]:
        """The caller's lock if it gave one, else a lock of our own for the duration.

        Only rank 0 holds it: the other ranks write nothing after rank 0 has
        heard from them (see :mod:`.shards`)."""
        if self.lock is not None or not self.shards.publisher:
            yield
            return
        with WriterLock(self.runner, self.mapping) as lock:
            self.lock = lock
            try:
                yield
            finally:
                self.lock = None

    def _run(
        self,
        scorer: Scorer,
        model: str,
        users: np.ndarray | None,
        item_mask: np.ndarray | None,
        metrics: dict[str, Any] | None,
        checkpoint: str | None,
        incremental: bool,
        plan: RunPlan | None,
        extra_stats: dict[str, Any] | None,
        served: ServedLists | None,
        model_version: str | None,
    ) -> WritebackReport:
        cfg = self.config
        plan = plan or self.begin(model, incremental, checkpoint)
        run_id = plan.run_id
        report = WritebackReport(run_id, cleaned=list(plan.cleaned))
        lists: Aligned | None = None
        try:
            if model_version is not None and self.shards.world == 1:  # tracked lists
                lists = served_base(
                    plan, scorer, served, model_version, incremental, cfg, self.runs, self.log
                )
        except BaseException as e:  # handled as a failure to write: the run is abandoned
            failure: BaseException | None = e
        else:
            failure = self._write_part(scorer, users, item_mask, plan, report, incremental, lists)
        t = time.perf_counter()
        others_failed = self._combine(report, failure)
        # the other ranks' relationships were written by now too
        report.seconds["recommendations"] = report.seconds.get("recommendations", 0.0) + (
            time.perf_counter() - t
        )
        if not self.shards.publisher:
            outcome = self.shards.broadcast(None)
            if outcome is not None:
                raise WritebackError(outcome) from failure
            return report
        try:
            if failure is not None:
                raise failure
            if others_failed:
                raise WritebackError(
                    f"writeback run {run_id} failed, previous recommendations kept: "
                    + "; ".join(others_failed)
                )
            if cfg.embeddings:
                t = time.perf_counter()
                name = item_index_name(self.mapping, plan.slot)
                self.runner.read("CALL db.awaitIndex($name, 600)", {"name": name})
                report.seconds["vector_index"] = time.perf_counter() - t
            self._check_lock()
            previous = plan.previous
            diff = plan.kind == "diff"
            serving = served_users(
                cfg, report.users, report.relationships, previous, scorer, incremental, lists
            )
            serves = [run_id] + (list(previous["serves"]) if incremental and previous else [])
            if diff and previous and lists is not None:
                # runs none of whose rows are served any more drop out (and get pruned)
                still = set(lists.serving_runs())
                serves = [run_id] + [r for r in previous["serves"] if r in still]
            stats = {
                "users": report.users,
                "served_users": serving,
                "relationships": report.relationships,
                "popular": popular_items(scorer.snapshot),
                "metrics": json.dumps(metrics or {}),
                "seconds": time.perf_counter() - plan.started,
                **(extra_stats or {}),
            }
            # only users who got new rows lose their old ones: nobody is left with
            # none (a diff run also clears those a full rewrite would serve nothing)
            superseded = report.written_users if incremental or diff else []
            t = time.perf_counter()
            self.runs.publish(run_id, serves, stats, superseded)
            report.seconds["publish"] = time.perf_counter() - t
        except BaseException as e:
            self.abandon(plan, e)
            message = f"writeback run {run_id} failed, previous recommendations kept: {e}"
            self.shards.broadcast(str(e) if isinstance(e, WritebackError) else message)
            if isinstance(e, SocialrecError) and not isinstance(e, WritebackError):
                raise WritebackError(message) from e
            raise
        self.shards.broadcast(None)
        # Publishing was the commit point: a failure from here on (Neo4j going away
        # while pruning) leaves the new run current and complete, and the next run
        # cleans up what this one could not.
        t = time.perf_counter()
        try:
            report.cleaned += self.runs.clean(keep=cfg.keep_runs, except_id=run_id)
        except SocialrecError as e:
            report.cleanup_deferred = str(e)
            self.log(f"run {run_id} published; cleanup of older runs deferred: {e}")
        report.seconds["prune"] = time.perf_counter() - t
        report.seconds["total"] = time.perf_counter() - plan.started
        if lists is not None and model_version is not None:
            report.served = ServedLists.from_aligned(lists, scorer.snapshot, run_id, model_version)
        self.log(f"run {run_id} published")
        return report

    def _write_part(
        self,
        scorer: Scorer,
        users: np.ndarray | None,
        item_mask: np.ndarray | None,
        plan: RunPlan,
        report: WritebackReport,
        incremental: bool,
        lists: Aligned | None,
    ) -> BaseException | None:
        """This rank's writes into the run (embeddings on rank 0); the error, if any.

        Returned, not raised: every rank must still reach :meth:`_combine`.
        """
        cfg = self.config
        t = time.perf_counter()
        try:
            # only users with an embedding can be scored
            users = scorer.user_indices() if users is None else users[scorer.user_known[users]]
            # a diff run keeps the current slot: only inductive nodes' vectors change
            in_place = incremental or plan.kind == "diff"
            if cfg.embeddings and self.shards.publisher:
                if not in_place:
                    t = time.perf_counter()
                    dimensions = scorer.item_embedding.shape[1]
                    clear_slot(self.runner, self.mapping, plan.slot, dimensions)
                    report.seconds["clear_slot"] = time.perf_counter() - t
                t = time.perf_counter()
                report.user_embeddings, report.item_embeddings = write_embeddings(
                    self.runner,
                    self.mapping,
                    scorer,
                    plan.slot,
                    in_place,
                    max(1, cfg.batch_size // 4),
                    self._check_lock,
                )
                report.seconds["embeddings"] = time.perf_counter() - t
            t = time.perf_counter()
            mine = self.shards.mine(users)
            self._write_recommendations(scorer, mine, item_mask, plan, report, incremental, lists)
        except BaseException as e:
            return e
        finally:
            report.seconds["recommendations"] = time.perf_counter() - t
        return None

    def _combine(self, report: WritebackReport, failure: BaseException | None) -> list[str]:
        """Every rank's counts added into rank 0's report; the other ranks' errors."""
        error = None if failure is None else f"{type(failure).__name__}: {failure}"
        counts = (report.users, report.relationships, report.written_users)
        parts = self.shards.gather((*counts, error))
        errors = []
        for rank, (users, relationships, written, message) in enumerate(parts):
            if rank == self.shards.rank:
                continue
            report.users += users
            report.relationships += relationships
            report.written_users += written
            if message is not None:
                errors.append(f"rank {rank} failed: {message}")
        return errors

    def _check_lock(self) -> None:
        if self.lock is not None:
            self.lock.check()

    def abandon(self, plan: RunPlan, error: BaseException) -> None:
        """Mark the run failed and delete what it wrote.

        Best effort: when Neo4j is unreachable this fails too, and the next run
        finds the run still ``running`` and cleans it up as orphaned.
        """
        try:
            self.runs.fail(plan.run_id, f"{type(error).__name__}: {error}")
            self.runs.delete_recommendations(plan.run_id)
            self.runs.mark_cleaned(plan.run_id, "failed")
        except SocialrecError:
            pass

    def _rewrite_lost(
        self, scorer: Scorer, users: np.ndarray, lists: Aligned, serves: list[RunId]
    ) -> None:
        """Forget the lists on file of ``users`` whose rows the database no longer
        holds as listed (deleted behind socialrec's back): they are rewritten."""
        ids = scorer.snapshot.ids["user"][users].tolist()
        held = np.asarray(self.runs.count_user_served(ids, serves), dtype=np.int64)
        lost = users[held != (lists.items[users] >= 0).sum(axis=1)]
        if len(lost):
            self.log(f"  {len(lost):,} users' rows differ from the lists on file: rewritten")
            lists.clear(lost)

    def _write_recommendations(
        self,
        scorer: Scorer,
        users: np.ndarray,
        item_mask: np.ndarray | None,
        plan: RunPlan,
        report: WritebackReport,
        incremental: bool = False,
        lists: Aligned | None = None,
    ) -> None:
        cfg = self.config
        run_id = plan.run_id
        diff = plan.kind == "diff"
        track_written = incremental or diff
        query = queries.load("write_recommendations", self.mapping)
        per_batch = max(1, cfg.batch_size // max(cfg.k, 1))
        bar = Stage("score and write", len(users), unit="users", enabled=self._verbose)
        if diff and lists is not None:
            # served before but not scored now: a full rewrite would serve them nothing
            stale = np.setdiff1d(np.flatnonzero(lists.source >= 0), users)
            lists.clear(stale)
            report.written_users += scorer.snapshot.ids["user"][stale].tolist()
        # with the lists on file, an incremental run skips users whose list comes
        # out as served (a new interaction outside a user's top-K changes nothing)
        skip_unchanged = lists is not None and (diff or incremental)
        if incremental and lists is not None and plan.previous is not None:
            self._rewrite_lost(scorer, users, lists, list(plan.previous["serves"]))
        # Scored in chunks of at least SCORE_CHUNK users, whatever the write batch:
        # the matrix product runs at 45 GFLOP/s on 500 users, 59 on 1,000
        # ("Scoring profile" in benchmarks/RESULTS.md).
        tops = scorer.top_k(
            cfg.k,
            users,
            item_mask,
            chunk=max(per_batch, SCORE_CHUNK),
            device=cfg.device,
            tail=cfg.tail_penalty,
            probes=cfg.ann_probes,
        )

        def to_write(top: TopK) -> TopK:
            """The users of ``top`` to write, the served lists updated with them."""
            if lists is None:
                return top
            if skip_unchanged:
                keep = lists.unchanged(top)
                report.unchanged_users += int(keep.sum())
                bar.update(int(keep.sum()))
                top = TopK(top.users[~keep], top.items[~keep], top.scores[~keep])
            if diff:
                emptied = top.users[top.items[:, 0] < 0]
                lists.clear(emptied)  # superseded with nothing, as a full rewrite leaves them
                report.written_users += scorer.snapshot.ids["user"][emptied].tolist()
            has = top.items[:, 0] >= 0
            lists.replace(TopK(top.users[has], top.items[has], top.scores[has]), run_id)
            return top

        batches = (
            batch
            for top in tops
            # friends behind a recommendation are read at query time: recommend.cypher
            for batch in scorer.to_recommendations(to_write(top), because=0).split(per_batch)
        )

        def send(batch: Recommendations) -> dict[str, int]:
            params = {
                "users": batch.users,
                "items": batch.items,
                "scores": batch.scores,
                "run_id": run_id,
            }
            return self.runner.write(query, params)

        def done(batch: Recommendations, counters: dict[str, int]) -> None:
            got = [u for u, row in zip(batch.users, batch.items, strict=True) if row]
            report.users += len(got)
            # what the database created, so the run node agrees with it (a node
            # deleted since the export matches nothing and creates nothing)
            report.relationships += int(counters.get("relationships_created", len(batch)))
            if track_written:
                report.written_users += got
            bar.update(len(batch.users))
            bar.set_note(f"{report.relationships:,} recommendations")

        with bar:
            send_pipelined(batches, send, done, cfg.writers, cfg.max_rate, self._check_lock)
