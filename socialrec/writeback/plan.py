"""What a run is before it is published: its plan, its base, and what it may publish.

:class:`RunPlan` is recorded by :meth:`~socialrec.writeback.writer.Writeback.begin`.
Three decisions about it live here, apart from the writing itself:

- :func:`kind_and_slot`: whether it is full or incremental, and its embedding slot;
- :func:`served_base`: which served lists the run starts from, and whether a
  full run becomes a diff run (:mod:`.served`);
- :func:`served_users`: how many users the run will serve, and the refusal to
  publish a run that would leave users without recommendations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from socialrec.score.scorer import Scorer
from socialrec.writeback.config import WritebackConfig
from socialrec.writeback.runs import CleanedRun, RunId, RunStore, WritebackError, is_legacy
from socialrec.writeback.served import Aligned, ServedLists, empty_aligned, trusted_base


@dataclass
class RunPlan:
    """A run recorded by :meth:`Writeback.begin` and not yet published."""

    run_id: RunId
    kind: str
    slot: int
    previous: dict[str, Any] | None
    cleaned: list[CleanedRun]
    started: float


def kind_and_slot(
    current: dict[str, Any] | None, incremental: bool, full_over_legacy: bool
) -> tuple[str, int]:
    """The new run's kind and embedding slot, given the current run.

    An incremental run writes into the current run's slot; a full one into the
    other. An incremental run over a run written before run numbers is refused,
    or with ``full_over_legacy`` made a full one: it cannot serve its rows next
    to a numbered run's.
    """
    if incremental and current is None:
        raise WritebackError("an incremental writeback needs a current run; run a full one")
    if incremental and current is not None and is_legacy(current):
        if not full_over_legacy:
            raise WritebackError(
                f"the current run {current['id']} was written before run numbers (a string "
                "id), and an incremental run cannot serve its rows next to its own: write "
                "one full run first (`socialrec sync --kind full`, or a writeback without --user)"
            )
        incremental = False
    if incremental:
        assert current is not None
        return "incremental", int(current["slot"])
    return "full", 1 - int(current["slot"]) if current else 0


def served_base(
    plan: RunPlan,
    scorer: Scorer,
    served: ServedLists | None,
    model_version: str | None,
    incremental: bool,
    config: WritebackConfig,
    runs: RunStore,
    log: Callable[[str], None],
) -> Aligned | None:
    """The lists a run starts from, when tracked; turns a full run into a diff run.

    ``None`` when an incremental run has no lists on file it can trust. A full
    run starts from nobody served, unless the file describes exactly what the
    database serves now and was scored with the same model: then the run
    becomes a diff run (:mod:`.served`), recorded as such on its node, and
    ``plan`` says so (kind ``"diff"``, the current embedding slot).
    """
    fresh = None if incremental else empty_aligned(scorer.snapshot, config.k)
    current = plan.previous
    if served is None or current is None:
        return fresh
    # an incremental run carries the lists forward uncounted: a diff run counts them
    aligned = trusted_base(
        served, current, scorer.snapshot, config.k, runs.count_served, log, count=not incremental
    )
    if aligned is None:
        return fresh
    if incremental:
        return aligned
    if not config.diff or served.model_version != model_version:
        return fresh
    slot = int(current["slot"])
    runs.relayout(plan.run_id, "diff", slot)
    plan.kind, plan.slot = "diff", slot
    log(f"  diff run: rewrites only users whose lists changed, embedding slot {slot}")
    return aligned


def served_users(
    config: WritebackConfig,
    written_users: int,
    relationships: int,
    previous: dict[str, Any] | None,
    scorer: Scorer,
    incremental: bool,
    lists: Aligned | None = None,
) -> int:
    """Users the new run serves; refuse a full run that would leave users without any.

    Publishing is the point of no return for the users it drops, so an empty
    run, or a full run serving far fewer users than the current one (a
    checkpoint of a subgraph, a filter that excludes most items), is refused
    here, before it becomes current.

    Args:
        written_users (int): users the run wrote at least one row for.
        relationships (int): rows the run wrote.
        lists (Aligned, optional): what is served once the run is published,
            when tracked; a diff run writes few users and serves everyone whose
            list it kept.
    """
    before = int((previous or {}).get("served_users") or (previous or {}).get("users") or 0)
    if incremental:
        # rewritten users were served already, except the ones new since
        return before + len(scorer.inductive["user"])
    served = written_users if lists is None else int((lists.items[:, 0] >= 0).sum())
    if served == 0 or (lists is None and relationships == 0):
        raise WritebackError(
            "nothing to publish: the run has no recommendations (no scorable users, or "
            "every item excluded); the current run stays current"
        )
    needed = config.min_coverage * before
    if served < needed and not config.allow_shrink:
        raise WritebackError(
            f"refusing to publish a full run for {served:,} users: the current run "
            f"serves {before:,}, and publishing would leave {before - served:,} users "
            f"without recommendations (min_coverage {config.min_coverage:.0%}). Check the "
            "checkpoint, the snapshot and the item filter; --user ID writes an incremental "
            "run for some users; --allow-shrink publishes it anyway"
        )
    return served
