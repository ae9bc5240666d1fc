"""Train and evaluate models on a snapshot; write checkpoints and reports.

``run`` trains every (model, seed) pair on the same kind of split, evaluates
each on its test part exactly once (training and validation items masked), and
:func:`write_report` turns the runs into ``report.json``, ``report.md`` (mean ±
std over seeds) and PNG plots.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socialrec.checkpoint import Checkpoint
from socialrec.export.snapshot import GraphSnapshot
from socialrec.models import NEURAL_MODELS, TrainGraph
from socialrec.train.metrics import RankingMetrics, evaluate
from socialrec.train.splits import Split, split
from socialrec.train.trainer import TrainConfig, TrainResult, train

#: Popularity-penalty weights of the long-tail trade-off curve.
TAIL_PENALTIES = (0.0, 0.5, 1.0, 2.0, 4.0)
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
                    popularity_penalty=beta,
                )
            )
            curve.append(
                {"penalty": beta, "recall@20": m["recall@20"], "tail_share@20": m["tail_share@20"]}
            )
    return metrics, curve


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
    graph = graph if graph is not None else TrainGraph.build(snapshot, split_.train)
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
    merged = replace(
        split_,
        train=np.concatenate([split_.train, split_.valid], axis=1),
        valid=np.empty((2, 0), dtype=split_.train.dtype),
    )
    if log:
        log(f"   refit on training + validation for {result.best_epoch} epochs")
    final = train(
        TrainGraph.build(snapshot, merged.train),
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
) -> list[Trial]:
    runs = []
    for seed in seeds:
        split_ = split(snapshot, split_kind, ratios, seed)
        graph = TrainGraph.build(snapshot, split_.train)
        for model in models:
            if log:
                log(f"== {model}, seed {seed}: {split_.describe()}")
            cfg = replace(config, model=model, seed=seed)
            result = fit(snapshot, split_, cfg, log=log, gds=gds, graph=graph)
            test, curve = evaluate_run(result, split_, snapshot)
            if log:
                log(
                    f"   test recall@20 {test['recall@20']:.4f}  ndcg@20 {test['ndcg@20']:.4f}"
                    f"  ({result.seconds:.0f} s)"
                )
            total = split_.train.shape[1] + split_.valid.shape[1] + split_.test.shape[1]
            held_out = split_.test.shape[1] / max(1, total)
            runs.append(Trial(model, seed, result, test, curve, held_out))
    return runs


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


# ---------------------------------------------------------------- reports

TABLE_METRICS = (
    "recall@10",
    "ndcg@10",
    "recall@20",
    "ndcg@20",
    "precision@20",
    "hit@20",
    "coverage@20",
    "tail_share@20",
)


def _mean_std(values: list[float]) -> str:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) == 1:
        return f"{arr[0]:.4f}"
    return f"{arr.mean():.4f} ± {arr.std(ddof=1):.4f}"


def markdown_table(runs: Sequence[Trial]) -> str:
    models = list(dict.fromkeys(r.label for r in runs))
    lines = [
        "| model | seeds | " + " | ".join(TABLE_METRICS) + " | best epoch | train s |",
        "|---|---:|" + "---:|" * len(TABLE_METRICS) + "---:|---:|",
    ]
    for m in models:
        rs = [r for r in runs if r.label == m]
        cells = [_mean_std([r.test.values[k] for r in rs]) for k in TABLE_METRICS]
        epochs = f"{np.mean([r.result.best_epoch for r in rs]):.0f}"
        secs = np.mean([r.result.seconds for r in rs])
        lines.append(f"| {m} | {len(rs)} | " + " | ".join(cells) + f" | {epochs} | {secs:.0f} |")
    slice_names = list(runs[0].test.slices) if runs else []
    if slice_names:
        lines += [
            "",
            "Slices (Recall@20 / NDCG@20, mean over seeds):",
            "",
            "| model | " + " | ".join(slice_names) + " |",
            "|---|" + "---:|" * len(slice_names),
        ]
        for m in models:
            rs = [r for r in runs if r.label == m]
            cells = []
            for s in slice_names:
                n = int(rs[0].test.slices[s]["users"])
                if n == 0:  # e.g. no user without friends: nothing to average
                    cells.append("- (0 users)")
                    continue
                rec = np.nanmean([r.test.slices[s]["recall@20"] for r in rs])
                ndcg = np.nanmean([r.test.slices[s]["ndcg@20"] for r in rs])
                cells.append(f"{rec:.4f} / {ndcg:.4f} ({n} users)")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(out: str | Path, runs: Sequence[Trial], title: str = "socialrec report") -> Path:
    """report.json, report.md and the PNG plots, in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps([r.summary() for r in runs], indent=1, default=_json_default)
    )
    md = [f"# {title}", "", markdown_table(runs), ""]
    tail = [r for r in runs if r.tail_curve]
    if tail:
        md += [
            "Long-tail trade-off (popularity-penalised re-ranking, first seed):",
            "",
            "| model | penalty | recall@20 | tail share@20 |",
            "|---|---:|---:|---:|",
        ]
        seen = set()
        for r in tail:
            if r.label in seen:
                continue
            seen.add(r.label)
            for p in r.tail_curve:
                md.append(
                    f"| {r.label} | {p['penalty']} | {p['recall@20']:.4f} | "
                    f"{p['tail_share@20']:.4f} |"
                )
    md += ["", "![training](training.png)", "", "![recall@K](recall_at_k.png)", ""]
    (out / "report.md").write_text("\n".join(md))
    _plots(out, runs)
    return out


def read_report(out: str | Path) -> list[Trial]:
    """The runs of a report written by :func:`write_report`."""
    return [Trial.from_summary(s) for s in json.loads((Path(out) / "report.json").read_text())]


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _plots(out: Path, runs: Sequence[Trial]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first: dict[str, Trial] = {}
    for r in runs:
        first.setdefault(r.label, r)
    fig, (ax_loss, ax_valid) = plt.subplots(1, 2, figsize=(11, 4))
    for name, r in first.items():
        hist = r.result.history
        if not hist:
            continue
        ax_loss.plot([h["epoch"] for h in hist], [h["loss"] for h in hist], label=name)
        valid = [h for h in hist if "valid_recall" in h]
        ax_valid.plot(
            [h["epoch"] for h in valid], [h["valid_recall"] for h in valid], marker=".", label=name
        )
    ax_loss.set(title="training BPR loss", xlabel="epoch", ylabel="loss")
    ax_valid.set(title="validation Recall@20", xlabel="epoch", ylabel="recall@20")
    for ax in (ax_loss, ax_valid):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # nothing trained: no empty legend
            ax.legend()
    fig.tight_layout()
    fig.savefig(out / "training.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name in first:
        curves = np.array([r.test.recall_curve for r in runs if r.label == name])
        ks = np.arange(1, curves.shape[1] + 1)
        ax.plot(ks, curves.mean(0), label=name)
    ax.set(title="test Recall@K", xlabel="K", ylabel="recall")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "recall_at_k.png", dpi=110)
    plt.close(fig)
