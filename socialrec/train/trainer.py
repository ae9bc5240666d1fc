"""BPR training with early stopping on the validation split.

One epoch: every training interaction (u, i) is paired with a negative item j
drawn uniformly from the items u has *not* interacted with in training, the
triples are shuffled and cut into batches; each batch propagates the whole
graph once (the operators are fixed, see :mod:`socialrec.models.propagation`),
and takes an Adam step on the BPR loss with L2 on the batch's layer-0
embeddings. Every ``eval_every`` epochs, Recall@K on the validation split picks
the best weights; ``patience`` evaluations without improvement stop training.
The test split is never looked at here.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from socialrec.errors import ConfigError
from socialrec.models import BASELINES, GraphRecommender, TrainGraph, build_model
from socialrec.models.base import normalize_output
from socialrec.progress import Stage
from socialrec.train import sampled
from socialrec.train.allocator import keep_freed_memory
from socialrec.train.baselines import baseline_embeddings
from socialrec.train.config import TrainConfig
from socialrec.train.distributed import local_device, rank_and_world
from socialrec.train.metrics import evaluate
from socialrec.train.negatives import NegativeSampler, hardest_negatives
from socialrec.train.splits import Split


@dataclass
class TrainResult:
    """The trained model's final embeddings and how training went."""

    config: TrainConfig
    user_embedding: torch.Tensor
    item_embedding: torch.Tensor
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_valid: float = 0.0
    seconds: float = 0.0
    state_dict: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "history": self.history,
            "best_epoch": self.best_epoch,
            "best_valid": self.best_valid,
            "seconds": self.seconds,
        }


def train(
    graph: TrainGraph,
    split: Split,
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    gds: Any = None,
    on_validation: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train ``config.model`` on ``split.train``, selecting on ``split.valid``.

    ``on_validation(epoch, recall)`` sees every validation result as it comes (a
    tuner prunes a hopeless trial by raising from it).

    ``gds`` (a ``graphdatascience`` client) is needed by ``gds_similarity`` only.
    """
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    rank, world = rank_and_world()
    # Every process draws the same permutation (so shards never overlap) but
    # its own negatives.
    rng = np.random.default_rng([config.seed, rank])
    device = local_device(config.resolved_device())
    if device.type == "cpu":
        keep_freed_memory()  # see socialrec.train.allocator: page faults cost more than SpMM
    if config.model in BASELINES:
        u, i = baseline_embeddings(config.model, split, gds, config.neighbours)
        return TrainResult(config, u, i, seconds=time.perf_counter() - started)
    model: GraphRecommender = build_model(
        config.model,
        graph,
        config.embedding_dim,
        config.num_layers,
        config.sequence_length,
        config.bottleneck_weight,
        config.attention_rate,
    ).to(device)
    # XSimGCL: noise on every layer's output and the contrastive loss, or neither.
    noise = config.noise if config.ssl_weight > 0 else 0.0
    g = graph.to(device)
    loader = None
    if config.fanout > 0:
        if world > 1:
            raise ConfigError("neighbour-sampled training (fanout > 0) runs in one process")
        loader = sampled.link_loader(
            graph, split.train, config.fanout, config.num_layers, config.batch_size
        )
    # Under torchrun: DDP averages gradients across processes at each step.
    step_model: torch.nn.Module = model
    if world > 1:
        step_model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    batch_size = max(1, config.batch_size // world)
    # The fused kernel updates all parameters in one pass (CPU and CUDA), a
    # fraction of the time of the per-parameter loop.
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, fused=True)
    sampler = NegativeSampler(split.train, split.num_items, rng)
    train_users, train_items = split.train[0], split.train[1]
    # The same validation users in every process: they must agree on when to stop.
    valid = _sample_users(split.valid, config.valid_users, np.random.default_rng(config.seed))
    best_state, best, best_epoch, bad = copy.deepcopy(model.state_dict()), -1.0, 0, 0
    average = WeightAverage(model, config.weight_average) if config.weight_average else None

    def kept() -> dict[str, Any]:
        """The weights that validation scores and training keeps."""
        return model.state_dict() if average is None else average.state

    history: list[dict[str, float]] = []
    # A bar on a terminal (the epoch lines then stay quiet); in a log, the lines.
    bar = Stage(f"train {config.model}", config.epochs, unit="epochs", enabled=log is not None)
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        # The loss is summed on the device and read once an epoch: a per-step
        # .item() would make the CPU wait for every CUDA step before queueing the next.
        total, steps = torch.zeros((), device=device), 0
        if loader is not None:
            batches = _sampled_batches(loader, device)
        else:
            order = np.random.default_rng([config.seed, epoch]).permutation(len(train_users))
            if world > 1:  # equal shards: every process takes the same number of steps
                order = order[: len(order) - len(order) % world][rank::world]
            batches = _full_graph_batches(
                g,
                order,
                train_users,
                train_items,
                sampler,
                config.negatives,
                batch_size,
                device,
            )
        for batch_graph, users, pos, neg, weight, edges in batches:
            out = step_model(batch_graph, noise)
            user_emb, item_emb = out.user, out.item
            rows = model.batch_users(out, batch_graph, users, edges)
            if config.loss == "softmax":
                loss, part = model.softmax_loss(
                    user_emb,
                    item_emb,
                    users,
                    pos,
                    neg,
                    config.weight_decay,
                    config.softmax_temperature,
                    graph=batch_graph,
                    weight=weight,
                    user_vectors=rows,
                )
            else:
                if neg.dim() == 2:
                    # a sequence model's rows are their own users
                    by_row = (user_emb, users) if rows is None else (rows, _rows(rows))
                    neg = hardest_negatives(by_row[0], item_emb, by_row[1], neg)
                loss, part = model.bpr_loss(
                    user_emb,
                    item_emb,
                    users,
                    pos,
                    neg,
                    config.weight_decay,
                    graph=batch_graph,
                    weight=weight,
                    user_vectors=rows,
                )
            auxiliary = model.auxiliary_loss(out, users, pos)
            if auxiliary is not None:
                loss = loss + auxiliary
            if noise:
                loss = loss + config.ssl_weight * model.contrastive_loss(
                    out, users, pos, config.ssl_temperature
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if average is not None:
                average.update()
            total += part.detach()
            steps += 1
        row = {
            "epoch": epoch,
            "loss": total.item() / max(steps, 1),
            "seconds": time.perf_counter() - t0,
        }
        if valid.shape[1] == 0:  # nothing to select on (a refit): the last epoch wins
            best_epoch = epoch
            if epoch == config.epochs:
                best_state = copy.deepcopy(kept())
            bar.set_note(f"loss {row['loss']:.4f}")
            if log and epoch % config.eval_every == 0 and not bar.drawing:
                log(f"epoch {epoch:4d}  loss {row['loss']:.4f}  ({_pace(history, row)})")
        elif epoch % config.eval_every == 0 or epoch == config.epochs:
            with contextlib.nullcontext() if average is None else average.swapped():
                recall = _valid_recall(model, g, valid, split.train, config)
            row["valid_recall"] = recall
            if on_validation is not None:
                on_validation(epoch, recall)
            if recall > best:
                best, best_epoch, bad = recall, epoch, 0
                best_state = copy.deepcopy(kept())
            else:
                bad += 1
            bar.set_note(f"loss {row['loss']:.4f}, valid recall {recall:.4f} (best {best:.4f})")
            if log and not bar.drawing:
                log(
                    f"epoch {epoch:4d}  loss {row['loss']:.4f}  valid recall@{config.valid_k} "
                    f"{recall:.4f}  ({_pace(history, row)})"
                )
        history.append(row)
        bar.update()
        if bad >= config.patience:
            break
    bar.close()
    model.load_state_dict(best_state)
    user_emb, item_emb = _scoring_embeddings(model, g, config)
    return TrainResult(
        config,
        user_emb.detach().cpu(),
        item_emb.detach().cpu(),
        history,
        best_epoch,
        best,
        time.perf_counter() - started,
        {k: v.detach().cpu() for k, v in best_state.items()},
    )


class WeightAverage:
    r"""An exponential moving average of a model's weights over the training
    steps, :math:`\bar\theta \leftarrow \beta \bar\theta + (1 - \beta)\theta`,
    validated and kept in place of the last step's weights (Polyak averaging:
    the average sits nearer the optimum than the noisy iterates around it)."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.model, self.decay = model, decay
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        # state_dict's tensors share the parameters' storage, which the optimizer
        # updates in place: pair them once instead of rebuilding the dict each step
        live = model.state_dict()
        self._pairs = [(self.state[k], v) for k, v in live.items() if v.is_floating_point()]

    def update(self) -> None:
        with torch.no_grad():
            for averaged, value in self._pairs:
                averaged.lerp_(value, 1.0 - self.decay)

    @contextlib.contextmanager
    def swapped(self) -> Iterator[None]:
        """The averaged weights in the model for the block, the live ones after."""
        live = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.model.load_state_dict(self.state)
        try:
            yield
        finally:
            self.model.load_state_dict(live)


#: (graph, users, positives, negatives, each positive's weight or ``None``, the
#: rows' indices among the training interactions or ``None``)
Batch = tuple[
    TrainGraph, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None
]


def _full_graph_batches(
    graph: TrainGraph,
    order: np.ndarray,
    train_users: np.ndarray,
    train_items: np.ndarray,
    sampler: NegativeSampler,
    negatives: int,
    batch_size: int,
    device: torch.device,
) -> Iterator[Batch]:
    """The epoch's (user, positive) pairs in ``order``, each with a sampled negative
    (``[B]``) or ``negatives`` candidates (``[B, negatives]``) and its recency
    weight (when the graph has them), in batches over the whole graph."""
    users = train_users[order]
    users_t = torch.from_numpy(users).to(device)
    pos_t = torch.from_numpy(train_items[order]).to(device)
    neg = sampler.sample(np.repeat(users, negatives)).reshape(len(users), negatives)
    neg_t = torch.from_numpy(neg[:, 0] if negatives == 1 else neg).to(device)
    order_t = torch.from_numpy(order).to(device)
    weight = graph.interaction_weight
    weight_t = None if weight is None else weight[order_t]
    for s in range(0, len(users_t), batch_size):
        sl = slice(s, s + batch_size)
        w = None if weight_t is None else weight_t[sl]
        yield graph, users_t[sl], pos_t[sl], neg_t[sl], w, order_t[sl]


def _sampled_batches(loader: Iterable[Any], device: torch.device) -> Iterator[Batch]:
    """One sampled subgraph per batch (see :mod:`socialrec.train.sampled`)."""
    for batch in loader:
        graph, users, pos, neg = sampled.batch_graph(batch)
        yield graph.to(device), users.to(device), pos.to(device), neg.to(device), None, None


def _rows(vectors: torch.Tensor) -> torch.Tensor:
    return torch.arange(len(vectors), device=vectors.device)


def _sample_users(edges: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """The edges of at most ``limit`` randomly chosen users."""
    users = np.unique(edges[0])
    if len(users) <= limit:
        return edges
    keep = np.zeros(int(edges[0].max()) + 1, dtype=bool)
    keep[rng.choice(users, limit, replace=False)] = True
    return edges[:, keep[edges[0]]]


def _pace(history: list[dict[str, float]], row: dict[str, float]) -> str:
    """Mean seconds per epoch so far (one epoch's figure swings with the machine)."""
    seconds = [h["seconds"] for h in history] + [row["seconds"]]
    return f"{sum(seconds) / len(seconds):.2f} s/epoch on average"


def _scoring_embeddings(
    model: GraphRecommender, graph: TrainGraph, config: TrainConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """The final embeddings whose inner products are the model's scores."""
    model.eval()
    with torch.no_grad():
        out = model(graph)
        user_emb, item_emb = model.final_users(out, graph), out.item
    if config.loss == "softmax":  # trained on cosine scores
        user_emb, item_emb = normalize_output(user_emb, item_emb)
    return user_emb, item_emb


def _valid_recall(
    model: GraphRecommender,
    graph: TrainGraph,
    valid: np.ndarray,
    train: np.ndarray,
    config: TrainConfig,
) -> float:
    user_emb, item_emb = _scoring_embeddings(model, graph, config)
    model.train()
    metrics = evaluate(user_emb, item_emb, valid, train, ks=(config.valid_k,), max_k=config.valid_k)
    return metrics[f"recall@{config.valid_k}"]
