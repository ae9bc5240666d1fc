"""The Python API in one class: ``fit`` a snapshot, ``recommend``, ``write_back``.

::

    from socialrec import Recommender
    from socialrec.export import Exporter

    snapshot = Exporter(runner).full()                 # or GraphSnapshot.load(path)
    rec = Recommender("social", epochs=100).fit(snapshot)
    rec.recommend([6, 7], k=10)                        # {user id: [(item id, score), ...]}
    rec.save("social.pt")                              # Recommender.load("social.pt", snapshot)
    rec.write_back(runner)                             # an atomic RECOMMENDED run

It wraps the pipeline's parts (:mod:`socialrec.train`, :mod:`socialrec.score`,
:mod:`socialrec.writeback`) with their defaults; use those directly for more
control.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from socialrec.checkpoint import Checkpoint
from socialrec.errors import SocialrecError
from socialrec.export.snapshot import GraphSnapshot
from socialrec.graph.runner import QueryRunner
from socialrec.score import Scorer
from socialrec.train import experiment
from socialrec.train.trainer import TrainConfig
from socialrec.writeback import Writeback, WritebackConfig, WritebackReport


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
        self.run: experiment.Run | None = None
        self.scorer: Scorer | None = None
        self._checkpoint: Checkpoint | None = None

    def fit(self, snapshot: GraphSnapshot) -> Recommender:
        """Train with early stopping on a validation split (80/10/10 per user).

        The test part is evaluated once; its metrics are in :attr:`metrics`.
        """
        cfg = self.config
        self.run = experiment.run(snapshot, [cfg.model], [cfg.seed], cfg)[0]
        result = self.run.result
        self.scorer = Scorer(snapshot, result.user_embedding, result.item_embedding)
        return self

    @property
    def metrics(self) -> dict[str, float]:
        if self.run is not None:
            return dict(self.run.test.values)
        return self._checkpoint.test_metrics if self._checkpoint is not None else {}

    def _scorer(self) -> Scorer:
        if self.scorer is None:
            raise SocialrecError("call fit() or Recommender.load() first")
        return self.scorer

    def recommend(self, user_ids: list[Any], k: int = 10) -> dict[Any, list[tuple[Any, float]]]:
        """Top-``k`` (item id, score) per user id, items the user has excluded."""
        scorer = self._scorer()
        out: dict[Any, list[tuple[Any, float]]] = {}
        for batch in scorer.recommendations(k, scorer.user_indices(user_ids), because=0):
            for user, items, scores in zip(batch.users, batch.items, batch.scores, strict=True):
                out[user] = list(zip(items, scores, strict=True))
        return out

    def save(self, path: str | Path) -> Path:
        """A checkpoint (weights, embeddings, id maps) loadable with ``weights_only=True``."""
        if self.run is not None:
            return experiment.save_checkpoint(path, self.run, self._scorer().snapshot)
        if self._checkpoint is not None:  # loaded: save what was loaded
            return self._checkpoint.save(path)
        raise SocialrecError("nothing to save: call fit() or Recommender.load() first")

    @classmethod
    def load(cls, path: str | Path, snapshot: GraphSnapshot) -> Recommender:
        """A saved model lined up with ``snapshot`` (new nodes embedded from neighbours)."""
        checkpoint = Checkpoint.load(path)
        options = {k: v for k, v in checkpoint.config.items() if k not in ("model", "seed")}
        rec = cls(checkpoint.model, seed=checkpoint.config.get("seed", 0), **options)
        rec._checkpoint = checkpoint
        rec.scorer = Scorer.from_checkpoint(checkpoint, snapshot)
        return rec

    def write_back(
        self, runner: QueryRunner, config: WritebackConfig | None = None
    ) -> WritebackReport:
        """Publish every user's top-K as a new atomic ``RECOMMENDED`` run."""
        scorer = self._scorer()
        writeback = Writeback(runner, scorer.snapshot.mapping, config)
        return writeback.run(scorer, self.config.model, metrics=self.metrics)
