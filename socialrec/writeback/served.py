"""What the current run serves, kept next to the sync's snapshot: the base of diff runs.

A full sync that reuses the model scores every user again, and for most of them
the top-K comes out as it was (a reused model changes a user's list only when
their interactions, the items or the item filter changed: "Run overlap" in
benchmarks/RESULTS.md). Rewriting all of them costs a create and, at the next
prune, a delete per relationship, which is what limits a 1 M-user sync
("Incremental vs full sync" in RESULTS.md). So the sync keeps the lists it
published, one row per user, in its state folder (``served.pt``), and the next
full run with the same model writes only the users whose lists differ: a
**diff run**. It is published like an incremental run (:mod:`.writer`): one
transaction makes it current and deletes the rewritten users' older rows, so
queries never see a mix, and a crash before that leaves the previous run served
as it was.

The file is only trusted when it describes what the database serves now: the
same current run, no run missing from its ``serves``, the same K, and as many
relationships in the database as the file lists (:func:`trusted_base`; an
incremental run carries the lists forward without the count, which the next
diff run makes). Otherwise the run rewrites everyone, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socialrec.export.snapshot import GraphSnapshot
from socialrec.fileformat import load_payload, save_payload
from socialrec.ids import ids_from_plain, ids_to_plain
from socialrec.pairs import positions
from socialrec.topk import TopK
from socialrec.writeback.runs import RunId, is_legacy

KIND = "socialrec-served"
FORMAT_VERSION = 1

#: Scores closer than this (relative) count as unchanged: the same embeddings
#: scored in another chunk of users round differently in the last bits.
SCORE_RTOL = 1e-5


@dataclass
class Aligned:
    """A :class:`ServedLists` lined up with a snapshot's indices.

    ``items[u]`` / ``scores[u]``: what user index ``u`` is served now, best first
    (item ``-1`` and score ``-inf`` pad, and fill rows of users served nothing);
    ``source[u]``: index into ``runs`` of the run that wrote the row (``-1``: none).
    """

    items: np.ndarray
    scores: np.ndarray
    source: np.ndarray
    runs: list[RunId]

    @property
    def relationships(self) -> int:
        """Rows the database should hold for these lists."""
        return int((self.items >= 0).sum())

    def unchanged(self, top: TopK) -> np.ndarray:
        """Which of ``top``'s users are served exactly these items in this order already."""
        old_items, old_scores = self.items[top.users], self.scores[top.users]
        same = (old_items == top.items).all(axis=1)
        close = np.isclose(old_scores, top.scores, rtol=SCORE_RTOL, atol=0.0)
        return same & (close | (top.items < 0)).all(axis=1)

    def replace(self, top: TopK, run: RunId) -> None:
        """``top``'s rows become what ``run`` serves (rows with no item: served nothing)."""
        index = self._run_index(run)
        self.items[top.users] = top.items
        self.scores[top.users] = top.scores
        self.source[top.users] = np.where(top.items[:, 0] >= 0, index, -1)

    def clear(self, users: np.ndarray) -> None:
        """These users are served nothing any more."""
        self.items[users] = -1
        self.scores[users] = -np.inf
        self.source[users] = -1

    def serving_runs(self) -> list[RunId]:
        """Runs that still wrote some user's row, in :attr:`runs` order."""
        used = np.unique(self.source[self.source >= 0])
        return [self.runs[i] for i in used.tolist()]

    def _run_index(self, run: RunId) -> int:
        if run not in self.runs:
            self.runs.append(run)
        return self.runs.index(run)


def empty_aligned(snapshot: GraphSnapshot, k: int) -> Aligned:
    """Nobody served anything (the base of a full rewrite)."""
    n = snapshot.num_nodes("user")
    return Aligned(
        np.full((n, k), -1, np.int64),
        np.full((n, k), -np.inf, np.float32),
        np.full(n, -1, np.int32),
        [],
    )


@dataclass
class ServedLists:
    """Every user's list as a published run serves it, in the snapshot's ids.

    Args:
        run_id (RunId): the run that serves these lists (the current one when saved).
        model_version (str): the checkpoint they were scored with (its model and
            training time: :func:`model_version`).
        user_ids (np.ndarray): canonical ids, one row each.
        item_ids (np.ndarray): canonical ids ``items`` index into.
        items (np.ndarray): ``[users, k]`` item indices, best first; ``-1`` pads.
        scores (np.ndarray): ``[users, k]`` the stored scores (``-inf`` pads).
        source (np.ndarray): ``[users]`` index into ``runs`` (``-1``: served nothing).
        runs (list[RunId]): the runs whose relationships the lists are.
    """

    run_id: RunId
    model_version: str
    user_ids: np.ndarray
    item_ids: np.ndarray
    items: np.ndarray
    scores: np.ndarray
    source: np.ndarray
    runs: list[RunId]

    @property
    def k(self) -> int:
        return int(self.items.shape[1])

    @classmethod
    def from_aligned(
        cls, aligned: Aligned, snapshot: GraphSnapshot, run_id: RunId, model_version: str
    ) -> ServedLists:
        return cls(
            run_id,
            model_version,
            snapshot.ids["user"],
            snapshot.ids["item"],
            aligned.items,
            aligned.scores,
            aligned.source,
            list(aligned.runs),
        )

    def align(self, snapshot: GraphSnapshot) -> Aligned:
        """These lists in ``snapshot``'s indices.

        Users and items gone from the database since (or marked removed in an
        incremental snapshot) drop out: their relationships went with them.
        """
        user_row = positions(self.user_ids, snapshot.ids["user"])
        item_at = positions(snapshot.ids["item"], self.item_ids)
        for node_type, index in (("user", user_row), ("item", item_at)):
            removed = snapshot.removed.get(node_type)
            if removed is not None:
                gone = removed if node_type == "user" else removed[np.maximum(index, 0)]
                index[gone] = -1
        out = empty_aligned(snapshot, self.k)
        out.runs = list(self.runs)
        has = np.flatnonzero(user_row >= 0)
        rows = user_row[has]
        old = self.items[rows]
        mapped = np.where(old >= 0, item_at[np.maximum(old, 0)], -1)
        out.items[has] = mapped
        out.scores[has] = np.where(mapped >= 0, self.scores[rows], -np.inf)
        out.source[has] = np.where((mapped >= 0).any(axis=1), self.source[rows], -1)
        return out

    def save(self, path: str | Path) -> Path:
        """Write atomically (a crash leaves the previous file)."""
        return save_payload(
            path,
            KIND,
            FORMAT_VERSION,
            {
                "run_id": self.run_id,
                "model_version": self.model_version,
                "user_ids": ids_to_plain(self.user_ids),
                "item_ids": ids_to_plain(self.item_ids),
                "items": torch.from_numpy(np.ascontiguousarray(self.items, np.int64)),
                "scores": torch.from_numpy(np.ascontiguousarray(self.scores, np.float32)),
                "source": torch.from_numpy(np.ascontiguousarray(self.source, np.int32)),
                "runs": list(self.runs),
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> ServedLists:
        """Read a file :meth:`save` wrote (:class:`~socialrec.fileformat.FileFormatError`
        when it is not one)."""
        p: dict[str, Any] = load_payload(path, KIND, FORMAT_VERSION)
        return cls(
            _run_id(p["run_id"]),
            str(p["model_version"]),
            ids_from_plain(p["user_ids"]),
            ids_from_plain(p["item_ids"]),
            p["items"].numpy(),
            p["scores"].numpy(),
            p["source"].numpy(),
            [_run_id(r) for r in p["runs"]],
        )


def _run_id(value: Any) -> RunId:
    """A run id as saved: an integer, or a string of a run before run numbers."""
    return value if isinstance(value, int) else str(value)


def trusted_base(
    served: ServedLists,
    current: dict[str, Any],
    snapshot: GraphSnapshot,
    k: int,
    count_served: Callable[[list[RunId]], int],
    log: Callable[[str], None],
    count: bool = True,
) -> Aligned | None:
    """``served`` in ``snapshot``'s indices if it describes what ``current`` serves now.

    ``current`` is the current run's node; ``count_served`` counts the
    relationships of the runs it serves in the database. ``None`` (with the
    reason logged) when the file is another run's, of another K, names runs the
    current run does not serve, or counts other relationships than the database
    holds (one deleted since, with its item or user).

    ``count=False`` skips the count (seconds on 20 M relationships): an
    incremental run only carries the lists forward, and the diff run that
    relies on them counts first.
    """
    why = ""
    serves = list(current.get("serves") or [])
    if is_legacy(current):
        why = (
            f"the current run {current.get('id')} predates run numbers (a string id), and a "
            "run cannot serve its rows next to its own: this one is written in full"
        )
    elif served.run_id != current.get("id"):
        why = f"the lists on file are run {served.run_id}'s, the current run is {current.get('id')}"
    elif served.k != k:
        why = f"K is {k}, the lists on file have {served.k}"
    elif not set(served.runs) <= set(serves):
        why = "the lists on file name runs the current run does not serve"
    if why:
        log(f"  served lists on file not used: {why}")
        return None
    aligned = served.align(snapshot)
    if not count:
        return aligned
    t = time.perf_counter()
    stored = count_served(serves)
    log(f"  served lists checked against the database in {time.perf_counter() - t:.1f} s")
    if stored != aligned.relationships:
        log(
            f"  served lists on file not used: the database holds {stored:,} of the current "
            f"run's relationships, the lists on file {aligned.relationships:,}"
        )
        return None
    return aligned


def model_version(model: str, trained_at: float) -> str:
    """What tells one checkpoint from the next: its model and when it was trained."""
    return f"{model}@{trained_at!r}"
