"""The Python API in one class: ``fit``, ``recommend``, ``save`` / ``load``, ``write_back``.

::

    from socialrec import Recommender
    from socialrec.export import Exporter

    snapshot = Exporter(runner).full()                 # or GraphSnapshot.load(path)
    rec = Recommender("social", epochs=100).fit(snapshot)
    result = rec.recommend([6, 7], k=10)               # RecommendResult: ids, scores, misses
    rec.save("social.pt")                              # Recommender.load("social.pt", snapshot)
    rec.write_back(runner)                             # an atomic RECOMMENDED run
    rec.evaluate(snapshot, seeds=[0, 1])               # the honest test protocol

As in ``implicit``, ``fit`` trains the model that serves (every interaction;
validation only picks the epoch count) and ``evaluate`` is the separate
split/test protocol that reports figures: a published model never leaves a test
part of the data unseen. ``socialrec sync`` and ``quickstart`` use this path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from socialrec.checkpoint import Checkpoint
from socialrec.errors import SocialrecError
from socialrec.export.snapshot import GraphSnapshot
from socialrec.graph.runner import QueryRunner
from socialrec.models.registry import MODELS
from socialrec.score import Scorer
from socialrec.train import experiment
from socialrec.train.trainer import TrainConfig
from socialrec.writeback import (
    RunStore,
    Shards,
    Writeback,
    WritebackConfig,
    WritebackReport,
    WriterLock,
)


@dataclass
class RecommendResult:
    """What :meth:`Recommender.recommend` found, in the order the users were asked for.

    ``items[r]`` / ``scores[r]`` are the recommendations of ``users[r]``, best
    first. Users the snapshot does not have are in ``unknown``; users it has but
    the model cannot score (no embedding, no known neighbour) in ``unscorable``.
    """

    users: list[Any] = field(default_factory=list)
    items: list[list[Any]] = field(default_factory=list)
    scores: list[list[float]] = field(default_factory=list)
    unknown: list[Any] = field(default_factory=list)
    unscorable: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict[Any, list[tuple[Any, float]]]:
        """``{user id: [(item id, score), ...]}`` for the scored users."""
        return {
            u: list(zip(i, s, strict=True))
            for u, i, s in zip(self.users, self.items, self.scores, strict=True)
        }

    def __getitem__(self, user: Any) -> list[tuple[Any, float]]:
        return self.as_dict()[user]


class Recommender:
    """A recommender model trained on a :class:`GraphSnapshot`.

    Args:
        model (str): ``social``, ``lightgcn``, ``hybrid``, ``mf``, ``attention``
            or ``popularity``. (default: ``"social"``)
        seed (int): split and initialisation seed. (default: ``0``)
        **train_options: :class:`~socialrec.train.trainer.TrainConfig` fields
            (``epochs``, ``embedding_dim``, ``lr``, ``device``...).
    """

    def __init__(self, model: str = "social", seed: int = 0, **train_options: Any) -> None:
        self.config = replace(TrainConfig(**train_options), model=model, seed=seed)
        self.trial: experiment.Trial | None = None
        self.scorer: Scorer | None = None
        self._checkpoint: Checkpoint | None = None
        self._path: Path | None = None  # where it was saved or loaded from
        #: The name runs are published under: the model's (or a loaded checkpoint's).
        self.model_name = model

    def fit(self, snapshot: GraphSnapshot, log: Any = None) -> Recommender:
        """Train the model to serve (see :func:`~socialrec.train.experiment.fit_for_serving`)."""
        self.trial = experiment.fit_for_serving(snapshot, self.config, log=log)
        result = self.trial.result
        self.scorer = Scorer(snapshot, result.user_embedding, result.item_embedding)
        self._checkpoint = experiment.checkpoint_of(self.trial, snapshot)
        return self

    def evaluate(
        self,
        snapshot: GraphSnapshot,
        seeds: Sequence[int] | None = None,
        split: str = "random",
        ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    ) -> list[experiment.Trial]:
        """The test protocol for this recipe: train on a split, test once per seed.

        Leaves the fitted model alone: what it reports is how the recipe does on
        interactions it never saw.
        """
        seeds = list(seeds) if seeds is not None else [self.config.seed]
        return experiment.run(snapshot, [self.config.model], seeds, self.config, split, ratios)

    @property
    def metrics(self) -> dict[str, float]:
        """The fitted model's validation figures (``valid_recall@20``)."""
        if self._checkpoint is None:
            return {}
        return dict(self._checkpoint.metrics.get("test", {}))

    def _scorer(self) -> Scorer:
        if self.scorer is None:
            raise SocialrecError("call fit() or Recommender.load() first")
        return self.scorer

    def recommend(
        self, user_ids: Sequence[Any], k: int = 10, tail_penalty: float = 0.0
    ) -> RecommendResult:
        """Top-``k`` items per user, excluding what each user interacted with;
        ``tail_penalty`` re-ranks towards the long tail as the writeback's option
        of that name does."""
        if k < 1:
            raise SocialrecError(f"k must be >= 1, not {k}")
        scorer = self._scorer()
        idx = scorer.snapshot.index_of("user", list(user_ids))
        out = RecommendResult()
        out.unknown = [u for u, i in zip(user_ids, idx, strict=True) if i < 0]
        known = idx[idx >= 0]
        out.unscorable = scorer.snapshot.ids["user"][known[~scorer.user_known[known]]].tolist()
        rows: dict[Any, tuple[list[Any], list[float]]] = {}
        scorable = known[scorer.user_known[known]]
        for batch in scorer.recommendations(k, np.unique(scorable), because=0, tail=tail_penalty):
            for user, items, scores in zip(batch.users, batch.items, batch.scores, strict=True):
                rows[user] = (items, scores)
        for user in scorer.snapshot.ids["user"][scorable].tolist():
            out.users.append(user)
            out.items.append(rows[user][0])
            out.scores.append(rows[user][1])
        return out

    def save(self, path: str | Path) -> Path:
        """A checkpoint (weights, embeddings, id maps) loadable with ``weights_only=True``."""
        if self._checkpoint is None:
            raise SocialrecError("nothing to save: call fit() or Recommender.load() first")
        self._path = self._checkpoint.save(path)
        return self._path

    @classmethod
    def load(cls, path: str | Path, snapshot: GraphSnapshot) -> Recommender:
        """A saved model lined up with ``snapshot`` (new nodes embedded from neighbours)."""
        checkpoint = Checkpoint.load(path)
        known = checkpoint.model in MODELS
        saved = TrainConfig.from_dict(
            {**checkpoint.config, "model": checkpoint.model if known else TrainConfig.model}
        )
        options = {k: v for k, v in asdict(saved).items() if k not in ("model", "seed")}
        rec = cls(saved.model, seed=saved.seed, **options)
        # embeddings made elsewhere (a model socialrec does not train) publish under their name
        rec.model_name = checkpoint.model
        rec._checkpoint = checkpoint
        rec._path = Path(path)
        rec.scorer = Scorer.from_checkpoint(checkpoint, snapshot)
        return rec

    def write_back(
        self,
        runner: QueryRunner,
        config: WritebackConfig | None = None,
        user_ids: Sequence[Any] | None = None,
        item_mask: np.ndarray | None = None,
        lock: WriterLock | None = None,
        log: Callable[[str], None] | None = None,
        shards: Shards | None = None,
    ) -> WritebackReport:
        """Publish recommendations as a new atomic ``RECOMMENDED`` run.

        Args:
            runner (QueryRunner): the database.
            config (WritebackConfig, optional): K, batch sizes, runs kept.
            user_ids (sequence, optional): only these users: an incremental run
                that keeps everyone else's recommendations (a full run when
                nothing is current yet). (default: every user)
            item_mask (np.ndarray, optional): items allowed (candidate filters).
            lock (WriterLock, optional): a writer lock the caller holds.
            log (callable, optional): receives progress lines.
            shards (Shards, optional): the ``torchrun`` ranks sharing the work
                (:mod:`socialrec.writeback.shards`). (default: one process)
        """
        scorer = self._scorer()
        held_out = float(self.metrics_all.get("held_out", 0.0) or 0.0)
        if held_out > 0 and log is not None:
            log(
                f"warning: {self._path or 'this model'} is an evaluation model: it never "
                f"trained on the {held_out:.0%} of interactions held out for its test; for "
                "serving, fit on everything (`socialrec sync`, Recommender.fit)"
            )
        mapping = scorer.snapshot.mapping
        writeback = Writeback(runner, mapping, config, lock=lock, log=log, shards=shards)
        users = scorer.user_indices(user_ids) if user_ids is not None else None
        incremental = users is not None and RunStore(runner, mapping).current() is not None
        return writeback.run(
            scorer,
            self.model_name,
            users=users,
            item_mask=item_mask,
            metrics=self.metrics,
            checkpoint=str(self._path) if self._path else None,
            incremental=incremental,
        )

    @property
    def metrics_all(self) -> dict[str, Any]:
        """Everything the checkpoint records about how the model was trained."""
        return dict(self._checkpoint.metrics) if self._checkpoint is not None else {}


def publish_checkpoint(
    runner: QueryRunner,
    checkpoint_path: str | Path,
    snapshot: GraphSnapshot,
    config: WritebackConfig | None = None,
    user_ids: Sequence[Any] | None = None,
    item_mask: np.ndarray | None = None,
    lock: WriterLock | None = None,
    log: Callable[[str], None] | None = None,
    shards: Shards | None = None,
) -> WritebackReport:
    """``socialrec writeback``: a saved model, lined up with ``snapshot``, published.

    The same path as ``Recommender.load(path, snapshot).write_back(...)``.
    """
    rec = Recommender.load(checkpoint_path, snapshot)
    return rec.write_back(runner, config, user_ids, item_mask, lock, log, shards)
