"""Train and evaluate models on a snapshot: the evaluation protocol, and fitting to serve.

:func:`run` trains every (model, seed) pair on the same kind of split and
evaluates each on its test part exactly once (training and validation items
masked); :mod:`socialrec.train.report` turns the trials into tables and plots.
:func:`fit_for_serving` is deployment: the model to publish, trained on
everything.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.errors import ConfigError
from socialrec.export.snapshot import GraphSnapshot
from socialrec.models import NEURAL_MODELS, TrainGraph
from socialrec.models.train_graph import Weighting, usable_weights
from socialrec.train.metrics import RankingMetrics, evaluate
from socialrec.train.splits import Split, split
from socialrec.train.trainer import TrainConfig, TrainResult, train

#: Tail-penalty strengths of the long-tail trade-off curve (writeback's ``tail_penalty``).
TAIL_PENALTIES = (0.0, 0.25, 0.5, 0.75, 1.0, 2.0)
COLD_USER_MAX = 5


@dataclass
class Trial:
    """One trained (model, seed) and its test results (a trial of an experiment; a
    published ``RecommendationRun`` is a *run*)."""

    model: str
    seed: int
    result: TrainResult
    test: RankingMetrics
    tail_curve: list[dict[str, float]] = field(default_factory=list)
    #: share of the interactions the final model never trained on (a test part)
    held_out: float = 0.0
    #: wall seconds of the test evaluation (the ranking, the slices, the tail curve)
    eval_seconds: float = 0.0

    @property
    def label(self) -> str:
        """The run's row in tables and plots: the model, and the ensemble size if any.

        ``hybrid`` and an ensemble of two ``hybrid`` models (``hybrid (ensemble of 2)``) are
        different rows of one table, never averaged together.
        """
        n = self.result.config.ensemble
        return f"{self.model} (ensemble of {n})" if n > 1 else self.model

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "seed": self.seed,
            "test": self.test.values,
            "slices": self.test.slices,
            "recall_curve": self.test.recall_curve,
            "tail_curve": self.tail_curve,
            "train": self.result.to_dict(),
            "held_out": self.held_out,
            "eval_seconds": self.eval_seconds,
        }

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> Trial:
        """A run read back from ``report.json`` (metrics and history; no embeddings)."""

        def floats(values: dict[str, Any]) -> dict[str, float]:
            return {k: math.nan if v is None else float(v) for k, v in values.items()}

        trained = summary["train"]
        result = TrainResult(
            TrainConfig.from_dict(trained["config"]),
            torch.empty(0),
            torch.empty(0),
            trained["history"],
            trained["best_epoch"],
            trained["best_valid"],
            trained["seconds"],
        )
        test = RankingMetrics(
            floats(summary["test"]),
            list(summary["recall_curve"]),
            slices={name: floats(v) for name, v in summary["slices"].items()},
        )
        return cls(
            summary["model"],
            summary["seed"],
            result,
            test,
            summary["tail_curve"],
            float(summary.get("held_out", 0.0)),
            float(summary.get("eval_seconds", 0.0)),
        )


def slices_for(split_: Split, snapshot: GraphSnapshot) -> dict[str, np.ndarray]:
    train_deg = np.bincount(split_.train[0], minlength=split_.num_users)
    friends = snapshot.data["user", "friends", "user"].edge_index[0].numpy()
    friend_deg = np.bincount(friends, minlength=split_.num_users)
    return {
        f"cold users (<= {COLD_USER_MAX} training interactions)": train_deg <= COLD_USER_MAX,
        "users without friends": friend_deg == 0,
    }


def evaluate_run(
    result: TrainResult, split_: Split, snapshot: GraphSnapshot, tail_curve: bool = True
) -> tuple[RankingMetrics, list[dict[str, float]]]:
    exclude = np.concatenate([split_.train, split_.valid], axis=1)
    pop = np.bincount(split_.train[1], minlength=split_.num_items)
    metrics = evaluate(
        result.user_embedding,
        result.item_embedding,
        split_.test,
        exclude,
        popularity=pop,
        slices=slices_for(split_, snapshot),
    )
    curve = []
    if tail_curve:
        for beta in TAIL_PENALTIES:
            m = (
                metrics
                if beta == 0
                else evaluate(
                    result.user_embedding,
                    result.item_embedding,
                    split_.test,
                    exclude,
                    ks=(20,),
                    max_k=20,
                    popularity=pop,
                    tail_penalty=beta,
                )
            )
            curve.append(
                {"penalty": beta, "recall@20": m["recall@20"], "tail_share@20": m["tail_share@20"]}
            )
    return metrics, curve


def training_graph(
    snapshot: GraphSnapshot,
    split_: Split,
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
) -> TrainGraph:
    """The :class:`TrainGraph` of ``split_``'s training part, time-aware as
    ``config`` asks (``recency_days``, the ``sequence`` model's history) and
    confidence-weighted as it asks (``confidence``).

    Without interaction times the time-aware options cannot apply: ``log`` is
    told that ``recency_days`` has no effect (and without weights, that
    ``confidence`` has none), and the ``sequence`` model, which
    has nothing to order, stops with a :class:`~socialrec.errors.ConfigError`.
    """
    times = split_.train_time
    timed = times is not None and bool((times >= 0).any())
    if config.model == "sequence" and not timed:
        raise ConfigError(
            "the sequence model orders each user's interactions by time, and this "
            "graph's interactions have none: map the interaction's time property "
            "(`socialrec inspect` shows it) or choose another model"
        )
    if (config.recency_days > 0 or config.period_days > 0) and not timed and log:
        log(
            "   no interaction times: recency_days and period_days have no effect "
            "(the static model trains)"
        )
    weights = split_.train_weight
    weighted = weights is not None and bool(usable_weights(weights).any())
    if config.confidence > 0 and not weighted and log:
        log(
            "   no interaction weights: confidence has no effect (map the "
            "interaction's weight property, `socialrec inspect` shows it)"
        )
    weighting = Weighting(
        recency_days=config.recency_days,
        recency_reference=config.recency_reference,
        history=config.model == "sequence",
        popularity_debias=config.popularity_debias,
        period_days=config.period_days,
        confidence=config.confidence,
    )
    return TrainGraph.build(snapshot, split_.train, times, weighting, weights)


#: Seed distance between the members of an ensemble (``TrainConfig.ensemble``).
ENSEMBLE_SEED_STRIDE = 1000


def fit(
    snapshot: GraphSnapshot,
    split_: Split,
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    gds: Any = None,
    graph: TrainGraph | None = None,
) -> TrainResult:
    r"""Train ``config.model``, selecting the epoch count on ``split_.valid``.

    With ``config.refit`` (neural models), a second model is then trained from
    scratch on training + validation for the selected number of epochs, so that
    the interactions held out for model selection also shape the final
    embeddings (the usual last step before deployment, and the training set of
    the papers' 80/20 protocol). Its result keeps the selection run's history,
    best epoch and validation score; ``seconds`` counts both runs.

    With ``config.ensemble = N > 1`` (neural models), N models are fitted so,
    from seeds ``seed``, ``seed + 1000``, ..., and their scores averaged:
    the result's embeddings are the members' side by side, scaled by
    :math:`1/\sqrt{N}`, so one inner product (in Neo4j too) gives the mean
    score. History, best epoch and validation score are the first member's.
    """
    graph = graph if graph is not None else training_graph(snapshot, split_, config, log)
    if config.ensemble <= 1 or config.model not in NEURAL_MODELS:
        return _fit_one(snapshot, split_, config, log, gds, graph)
    members = []
    for m in range(config.ensemble):
        seed = config.seed + ENSEMBLE_SEED_STRIDE * m
        if log:
            log(f"   ensemble member {m + 1} of {config.ensemble} (seed {seed})")
        member = replace(config, seed=seed, ensemble=1)
        members.append(_fit_one(snapshot, split_, member, log, gds, graph))
    return _average(members, config)


def _average(members: Sequence[TrainResult], config: TrainConfig) -> TrainResult:
    scale = 1.0 / math.sqrt(len(members))
    first = members[0]
    return TrainResult(
        config,
        torch.cat([m.user_embedding for m in members], dim=1) * scale,
        torch.cat([m.item_embedding for m in members], dim=1) * scale,
        first.history,
        first.best_epoch,
        first.best_valid,
        sum(m.seconds for m in members),
        {f"member{i}.{k}": v for i, m in enumerate(members) for k, v in m.state_dict.items()},
    )


def _fit_one(
    snapshot: GraphSnapshot,
    split_: Split,
    config: TrainConfig,
    log: Callable[[str], None] | None,
    gds: Any,
    graph: TrainGraph,
) -> TrainResult:
    result = train(graph, split_, config, log=log, gds=gds)
    if not config.refit or config.model not in NEURAL_MODELS or split_.valid.shape[1] == 0:
        return result
    merged = split_.with_validation_in_training()
    if log:
        log(f"   refit on training + validation for {result.best_epoch} epochs")
    final = train(
        training_graph(snapshot, merged, config),
        merged,
        replace(config, epochs=max(result.best_epoch, 1), refit=False),
        log=log,
    )
    final.config = config
    final.history, final.best_epoch, final.best_valid = (
        result.history,
        result.best_epoch,
        result.best_valid,
    )
    final.seconds += result.seconds
    return final


def run(
    snapshot: GraphSnapshot,
    models: Sequence[str],
    seeds: Sequence[int],
    config: TrainConfig,
    split_kind: str = "random",
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    log: Callable[[str], None] | None = None,
    gds: Any = None,
    done: Sequence[Trial] = (),
    on_trial: Callable[[Trial], None] | None = None,
) -> list[Trial]:
    """Every (model, seed) trial; ``done`` ones (a previous, stopped run's) are
    kept, not retrained, and ``on_trial`` sees each new one as it finishes."""
    finished = {(t.model, t.seed): t for t in done}
    trials = []
    for seed in seeds:
        todo = [m for m in models if (m, seed) not in finished]
        split_ = split(snapshot, split_kind, ratios, seed)
        # one graph for the seed's models (with the users' histories if the
        # sequence model is among them: the others ignore them)
        graph = None
        if todo:
            shared = replace(config, model="sequence" if "sequence" in todo else todo[0])
            graph = training_graph(snapshot, split_, shared, log)
        for model in models:
            if (model, seed) in finished:
                trials.append(finished[(model, seed)])
                if log:
                    log(f"== {model}, seed {seed}: done before, kept")
                continue
            if log:
                log(f"== {model}, seed {seed}: {split_.describe()}")
            cfg = replace(config, model=model, seed=seed)
            result = fit(snapshot, split_, cfg, log=log, gds=gds, graph=graph)
            t0 = time.perf_counter()
            test, curve = evaluate_run(result, split_, snapshot)
            eval_seconds = time.perf_counter() - t0
            if log:
                log(
                    f"   test recall@20 {test['recall@20']:.4f}  ndcg@20 {test['ndcg@20']:.4f}"
                    f"  (fit {result.seconds:.1f} s, test {eval_seconds:.1f} s)"
                )
            total = split_.train.shape[1] + split_.valid.shape[1] + split_.test.shape[1]
            held_out = split_.test.shape[1] / max(1, total)
            trial = Trial(model, seed, result, test, curve, held_out, eval_seconds)
            trials.append(trial)
            if on_trial is not None:
                on_trial(trial)
    return trials


#: Share of each user's interactions held out to choose the epoch count when
#: fitting a model to serve (then refit on everything).
SERVING_VALID_SHARE = 0.1


def fit_for_serving(
    snapshot: GraphSnapshot,
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    gds: Any = None,
) -> Trial:
    """The model to publish: trained on every interaction, nothing held out for testing.

    A tenth of each user's interactions is held out only to choose the number of
    epochs (early stopping); the model is then trained again on everything for
    that many epochs (``refit``). :func:`run` is the evaluation protocol; this is
    deployment (like ``implicit``'s ``fit``): a published model never leaves a
    test part of the data unseen. Its metrics are the validation ones.
    """
    ratios = (1 - SERVING_VALID_SHARE, SERVING_VALID_SHARE, 0.0)
    split_ = split(snapshot, "random", ratios, config.seed)
    if log:
        log(f"== {config.model} for serving: {split_.describe()}, then refit on everything")
    result = fit(snapshot, split_, replace(config, refit=True), log=log, gds=gds)
    valid = RankingMetrics({"valid_recall@20": result.best_valid}, users=0)
    return Trial(config.model, config.seed, result, valid, [], held_out=0.0)


# ---------------------------------------------------------------- checkpoints


def checkpoint_of(run_: Trial, snapshot: GraphSnapshot) -> Checkpoint:
    """The :class:`~socialrec.checkpoint.Checkpoint` of a trained run on ``snapshot``."""
    return Checkpoint(
        model=run_.model,
        user_embedding=run_.result.user_embedding,
        item_embedding=run_.result.item_embedding,
        ids={nt: snapshot.ids[nt] for nt in ("user", "item")},
        mapping=snapshot.mapping.to_dict(),
        schema_hash=snapshot.schema_hash,
        config=asdict(run_.result.config),
        state_dict=run_.result.state_dict,
        metrics=run_.summary(),
    )


def save_checkpoint(path: str | Path, run_: Trial, snapshot: GraphSnapshot) -> Path:
    """Write :func:`checkpoint_of` to ``path``."""
    return checkpoint_of(run_, snapshot).save(path)
