"""``socialrec tune``: the training recipe for *this* graph, chosen on validation only.

A defaults recipe is the best guess for an unknown graph; a user's own graph
deserves its own. :func:`tune` runs an Optuna study (TPE sampler, median
pruning of trials that fall behind at the same epoch) over the options that
matter most on the LastFM and CiaoDVD sweeps (embedding size, learning rate,
L2, layers, negatives; the recency decay and periods where interactions have
times, the confidence exponent where they have weights), each trial a full
training run with early stopping on the split's validation part. The test
part is never read: the objective is validation Recall@20 and NDCG@20 (their
mean, as ``benchmarks/recipe_sweep`` ranks), so ``socialrec evaluate
--recipe`` afterwards still reports honest test figures. A new study's first
trial is the base recipe (the defaults), so a small budget can only improve
on them: TPE's first ten trials are random, and on CiaoDVD or LastFM a few
random trials on 2 cores rarely beat a recipe chosen on validation.

The study lives in a journal file in the output folder, so a stopped tune
resumes where it was (``--trials`` counts the trials already run). The winner
is written as ``recipe.toml``, a ``[train]`` table that ``train``, ``evaluate``
(``--recipe``) and ``sync`` (``[sync] recipe = ...``) read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from socialrec.errors import ConfigError
from socialrec.export.snapshot import GraphSnapshot
from socialrec.models import NEURAL_MODELS, TrainGraph
from socialrec.models.train_graph import usable_weights
from socialrec.progress import on_terminal
from socialrec.train.config import RECENCY_REFERENCES, TrainConfig, TuneConfig
from socialrec.train.experiment import training_graph
from socialrec.train.metrics import evaluate
from socialrec.train.splits import Split, split
from socialrec.train.trainer import train

STUDY = "socialrec"


#: The recency decays (days; 0: none) a study tries when interactions have times.
RECENCY_DAYS = [0.0, 30.0, 90.0, 365.0, 1095.0]
#: The period lengths (days; 0: none) a study tries when interactions have times.
PERIOD_DAYS = [0.0, 30.0, 90.0, 180.0, 365.0]
#: The confidence exponents (0: none) a study tries when interactions have weights.
CONFIDENCE = [0.0, 1.0, 2.0, 3.0]
#: The weight-average decays (0: none) a study tries; 0.999 averages over about
#: a thousand steps (LastFM: 50 epochs).
WEIGHT_AVERAGE = [0.0, 0.999]


def suggest(trial: Any, model: str, timed: bool = False, weighted: bool = False) -> dict[str, Any]:
    """One point of the search space (the ``TrainConfig`` fields it sets);
    ``timed``: the interactions have times, so the recency decay is searched too;
    ``weighted``: they have weights that differ, so the confidence is too."""
    params: dict[str, Any] = {
        "embedding_dim": trial.suggest_categorical("embedding_dim", [64, 128, 256]),
        "lr": trial.suggest_float("lr", 5e-4, 1e-2, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-3, log=True),
        "negatives": trial.suggest_categorical("negatives", [1, 4, 8, 16, 32]),
        "weight_average": trial.suggest_categorical("weight_average", WEIGHT_AVERAGE),
    }
    if model != "mf":  # MF has no layers
        params["num_layers"] = trial.suggest_int("num_layers", 1, 4)
    # the models' own knobs
    if model == "attention":
        params["attention_rate"] = trial.suggest_float("attention_rate", 1e-3, 1.0, log=True)
    if model == "gbsr":
        params["bottleneck_weight"] = trial.suggest_categorical("bottleneck_weight", [0, 1, 5, 20])
    if timed:
        params["recency_days"] = trial.suggest_categorical("recency_days", RECENCY_DAYS)
        params["recency_reference"] = trial.suggest_categorical(
            "recency_reference", list(RECENCY_REFERENCES)
        )
        params["period_days"] = trial.suggest_categorical("period_days", PERIOD_DAYS)
    if weighted:
        params["confidence"] = trial.suggest_categorical("confidence", CONFIDENCE)
    return params


class _BaseTrial:
    """Answers :func:`suggest` with the base recipe's values, where they lie in the
    search space (``None`` where not: Optuna samples those), so the space is
    defined once and the defaults are a point of it."""

    def __init__(self, base: TrainConfig) -> None:
        self.base = base

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        value = getattr(self.base, name)
        return value if value in choices else None

    def suggest_float(self, name: str, low: float, high: float, log: bool = False) -> Any:
        value = getattr(self.base, name)
        return value if low <= value <= high else None

    suggest_int = suggest_float


def base_point(
    base: TrainConfig, model: str, timed: bool = False, weighted: bool = False
) -> dict[str, Any]:
    """The base recipe as a point of :func:`suggest`'s space: a new study's first
    trial, so that the tuned recipe is never behind the defaults on validation,
    even when the budget buys only a few trials."""
    point = suggest(_BaseTrial(base), model, timed, weighted)
    return {k: v for k, v in point.items() if v is not None}


def study_storage(out: str | Path) -> Any:
    """The Optuna storage of the study kept in ``out/study.journal``."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(Path(out) / "study.journal")))


@dataclass
class TuneResult:
    """The study's winner and what it cost."""

    recipe: dict[str, Any]
    valid: dict[str, float]
    trials: int
    pruned: int
    seconds: float
    top: list[dict[str, Any]] = field(default_factory=list)


def _graph_fingerprint(snapshot: GraphSnapshot, split_: Split) -> str:
    return (
        f"{snapshot.schema_hash[:16]}:{split_.num_users}x{split_.num_items}:"
        f"{split_.train.shape[1]}/{split_.valid.shape[1]}"
    )


def tune(
    snapshot: GraphSnapshot,
    model: str,
    out: str | Path,
    config: TuneConfig | None = None,
    base: TrainConfig | None = None,
    split_: Split | None = None,
    log: Callable[[str], None] | None = None,
) -> TuneResult:
    """Search a recipe for ``model`` on ``snapshot``; write ``out/recipe.toml``.

    Args:
        snapshot (GraphSnapshot): the graph.
        model (str): a trained model (``lightgcn``, ``social``, ...).
        out (str | Path): the folder of the study journal and the recipe.
        config (TuneConfig, optional): trials, budget, pruning.
        base (TrainConfig, optional): the settings the search does not vary
            (device, batch size, loss...). (default: the defaults)
        split_ (Split, optional): the split to tune on (default: random
            0.8 / 0.1 / 0.1 of ``config.seed``); only its train and valid parts
            are read.
        log (callable, optional): receives a line per finished trial.
    """
    import optuna

    config = config or TuneConfig()
    base = base or TrainConfig()
    if model not in NEURAL_MODELS:
        raise ConfigError(f"tune trains models; {model!r} has nothing to tune")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    split_ = split_ or split(snapshot, "random", (0.8, 0.1, 0.1), config.seed)
    if split_.valid.shape[1] == 0:
        raise ConfigError("tune needs a validation part: give ratios with a valid share > 0")
    timed = split_.train_time is not None and bool((split_.train_time >= 0).any())
    weights = np.array([]) if split_.train_weight is None else split_.train_weight
    known = weights[usable_weights(weights)]
    weighted = len(known) > 0 and bool(known.min() < known.max())
    # by time and weight options: each graph built once
    graphs: dict[tuple[float, str, float, float], TrainGraph] = {}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = study_storage(out)
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=10)
        if config.prune
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(
        study_name=STUDY,
        storage=storage,
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=config.seed),
        pruner=pruner,
        load_if_exists=True,
    )
    identity = {"model": model, "graph": _graph_fingerprint(snapshot, split_)}
    for key, value in identity.items():
        saved = study.user_attrs.get(key)
        if saved is None:
            study.set_user_attr(key, value)
        elif saved != value:
            raise ConfigError(
                f"{out} holds a study of {key} {saved!r}, not {value!r}: give another --out, "
                "or remove that folder to start over"
            )
    if not study.trials:  # a new study starts from the defaults; a resumed one goes on
        study.enqueue_trial(base_point(base, model, timed, weighted))

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, model, timed, weighted)
        cfg = replace(
            base, **params, model=model, seed=config.seed, epochs=config.max_epochs, refit=False
        )
        options = (cfg.recency_days, cfg.recency_reference, cfg.period_days, cfg.confidence)
        if options not in graphs:
            graphs[options] = training_graph(snapshot, split_, cfg)
        graph = graphs[options]

        def report(epoch: int, recall: float) -> None:
            trial.report(recall, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()

        result = train(graph, split_, cfg, on_validation=report)
        valid = evaluate(
            result.user_embedding, result.item_embedding, split_.valid, split_.train, ks=(20,)
        )
        trial.set_user_attr("recall@20", valid["recall@20"])
        trial.set_user_attr("ndcg@20", valid["ndcg@20"])
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("seconds", result.seconds)
        return (valid["recall@20"] + valid["ndcg@20"]) / 2

    def finished(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if log is None:
            return
        if trial.state == optuna.trial.TrialState.PRUNED:
            log(f"trial {trial.number}: pruned at epoch {trial.last_step} {trial.params}")
        elif trial.state == optuna.trial.TrialState.COMPLETE:
            a = trial.user_attrs
            log(
                f"trial {trial.number}: valid recall@20 {a['recall@20']:.4f} ndcg@20 "
                f"{a['ndcg@20']:.4f} (epoch {a['best_epoch']}, {a['seconds']:.0f} s) "
                f"{trial.params}"
            )

    def counted() -> int:
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        return len(study.get_trials(deepcopy=False, states=states))

    started = time.perf_counter()
    remaining = config.trials - counted()
    if remaining > 0:
        study.optimize(
            objective,
            n_trials=remaining,
            timeout=config.budget_seconds(),
            callbacks=[finished],
            show_progress_bar=on_terminal() and log is not None,
            catch=(),
        )
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        raise ConfigError(
            "no trial finished within the budget: give a larger --budget or fewer --max-epochs"
        )
    best = study.best_trial
    recipe = dict(best.params)
    top = sorted(complete, key=lambda t: -(t.value or 0.0))[:5]
    trials = counted()
    result = TuneResult(
        recipe=recipe,
        valid={k: float(best.user_attrs[k]) for k in ("recall@20", "ndcg@20")},
        trials=trials,
        pruned=trials - len(complete),
        seconds=time.perf_counter() - started,
        top=[
            {"number": t.number, "value": t.value, "params": t.params, **t.user_attrs} for t in top
        ],
    )
    write_recipe(out / "recipe.toml", model, result)
    return result


def write_recipe(path: Path, model: str, result: TuneResult) -> Path:
    """``recipe.toml``: a ``[train]`` table, with how it was found as comments."""
    lines = [
        f"# socialrec tune: {model}, {result.trials} trials ({result.pruned} pruned), "
        "chosen on validation only",
        f"# best: valid Recall@20 {result.valid['recall@20']:.4f}, "
        f"NDCG@20 {result.valid['ndcg@20']:.4f}",
        "# socialrec train/evaluate --recipe FILE; or [sync] recipe = FILE",
        "[train]",
        f'model = "{model}"',
    ]
    for key, value in sorted(result.recipe.items()):
        lines.append(f"{key} = {value!r}")
    path.write_text("\n".join(lines) + "\n")
    return path


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The ``[train]`` table of a recipe file, checked against ``TrainConfig``."""
    import tomllib

    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("train", {})
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the recipe: {e}") from e
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{path}: no [train] table (write one with `socialrec tune`)")
    unknown = sorted(set(table) - set(TrainConfig.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"{path}: [train] has unknown settings {unknown}")
    TrainConfig(**table)  # values that cannot train fail here, named
    return dict(table)
