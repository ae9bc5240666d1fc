"""TrainConfig: every training option once, with its type, default and help.

Kept free of torch so that the command line can generate its options from it
(:mod:`socialrec.cli.options`) without importing torch for every command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from socialrec.errors import ConfigError
from socialrec.models.registry import MODELS

if TYPE_CHECKING:
    import torch

LOSSES = ("bpr", "softmax")
RECENCY_REFERENCES = ("user", "global")
#: The kinds of train / validation / test split (:mod:`socialrec.train.splits`).
SPLIT_KINDS = ("random", "temporal", "loo", "time_cut")

#: The quickstart's recipe: smaller and faster than the defaults, so that a
#: laptop's CPU trains LastFM in a couple of minutes. The defaults below are the
#: recipe chosen on LastFM and CiaoDVD validation; both are measured in
#: benchmarks/RESULTS.md ("Training defaults").
FAST_PRESET: dict[str, int | float] = {
    "embedding_dim": 64,
    "lr": 0.005,
    "negatives": 8,
    "epochs": 40,
}


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters.

    Args:
        model (str): ``popularity``, ``gds_similarity``, ``mf``, ``lightgcn``,
            ``social``, ``attention``, ``gbsr``, ``hybrid`` or ``sequence`` (needs
            interaction times). (default: ``"social"``)
        embedding_dim (int): size d of every user and item embedding; 64 trains a
            graph of millions of users in far less memory. (default: ``256``)
        num_layers (int): propagation layers. (default: ``3``)
        lr (float): Adam learning rate. (default: ``0.002``)
        weight_decay (float): L2 weight :math:`\\lambda` on layer-0 embeddings.
            (default: ``1e-4``)
        batch_size (int): BPR triples per step. (default: ``4096``)
        epochs (int): maximum epochs. (default: ``400``)
        eval_every (int): epochs between validation runs. (default: ``5``)
        patience (int): validation runs without improvement before stopping:
            training ends at most ``patience * eval_every`` epochs after the
            best one. (default: ``4``)
        valid_k (int): cut-off of the validation Recall@K that early stopping
            watches (``WritebackConfig.k`` is the recommendations per user).
            (default: ``20``)
        valid_users (int): validation ranks at most this many users (a seeded
            sample), so that model selection stays cheap on large graphs; the
            test evaluation always ranks every user. (default: ``20000``)
        seed (int): seed for initialisation and sampling. (default: ``0``)
        device (str): ``"cpu"``, ``"cuda"`` or ``"auto"``. (default: ``"auto"``)
        neighbours (int): similar users per user, ``gds_similarity`` only.
            (default: ``50``)
        ssl_weight (float): weight of the XSimGCL contrastive regulariser added
            to BPR (graph models; 0 turns it and the noise off). (default: ``0.0``)
        ssl_temperature (float): its InfoNCE temperature. (default: ``0.2``)
        noise (float): magnitude of the noise added to every layer's output
            while training with ``ssl_weight > 0``. (default: ``0.1``)
        negatives (int): candidate negatives drawn per positive; with more than
            one, BPR uses the candidate the current model scores highest (dynamic
            negative sampling, `Zhang et al. 2013
            <https://doi.org/10.1145/2484028.2484126>`_), a harder and more
            informative negative than a uniform one (it converges in fewer
            epochs; see ``benchmarks/RESULTS.md``). Full-graph
            training only (sampled batches bring one negative each). (default: ``16``)
        fanout (int): 0 trains on the full graph; more trains on sampled
            neighbourhoods of at most this many neighbours per relation and hop
            (:mod:`socialrec.train.sampled`; needs pyg-lib or torch-sparse).
            (default: ``0``)
        refit (bool): after early stopping has picked the number of epochs on
            the validation part, train again from scratch on training +
            validation for that many epochs (:func:`socialrec.train.experiment.fit`).
            The test part is still never seen. (default: ``False``)
        loss (str): ``"bpr"`` (BPR on one negative, the hardest candidate when
            ``negatives > 1``) or ``"softmax"``: sampled softmax over the
            positive and all ``negatives`` candidates on cosine scores
            (:meth:`~socialrec.models.base.GraphRecommender.softmax_loss`); the
            final embeddings are then unit length. (default: ``"bpr"``)
        softmax_temperature (float): its temperature :math:`\\tau`. (default: ``0.1``)
        weight_average (float): decay :math:`\\beta` of an exponential moving
            average of the weights over the training steps, which validation
            scores and training keeps in place of the last step's weights
            (:class:`~socialrec.train.trainer.WeightAverage`); 0 turns it off.
            (default: ``0.0``)
        ensemble (int): models trained from different seeds whose scores are
            averaged, served as one concatenated embedding
            (:func:`socialrec.train.experiment.fit`). (default: ``1``)
        recency_days (float): time-aware training: each interaction weighs
            exp(-age / recency_days), its age in days, in the graph's
            propagation and in the loss
            (:func:`socialrec.models.train_graph.recency_weights`). 0 turns it
            off; without interaction times it has no effect (and says so).
            Full-graph training only. (default: ``0.0``)
        recency_reference (str): where ages are counted from: ``"user"`` (each
            user's newest interaction: every user's latest weighs 1; for
            predicting each user's next step) or ``"global"`` (the newest
            interaction of anyone: what is popular lately rises; for
            predicting the graph's future). (default: ``"user"``)
        period_days (float): time-aware training: time is cut into periods of
            this many days, each with a learned vector added to the user's
            vector of every interaction in it ("what is popular then", the
            time-binned bias of TimeSVD++); users are served with their latest
            period's (:meth:`socialrec.models.base.GraphRecommender.use_periods`).
            0 turns it off; without interaction times it has no effect.
            Full-graph training only. (default: ``0.0``)
        popularity_debias (float): long-tail training: each training positive
            weighs (its item's popularity / the top item's) to the power
            -popularity_debias, clipped at 100x (inverse-propensity weighting,
            :func:`socialrec.models.train_graph.popularity_weights`). 0 turns it
            off; more trades accuracy for long-tail items, and the published
            recommendations follow. (default: ``0.0``)
        confidence (float): weighted interactions (play counts, ratings: the
            mapping's weight property): each training interaction weighs its
            log-weight relative to its user's mean, to this power, in the
            graph's propagation and in the loss
            (:func:`socialrec.models.train_graph.confidence_weights`). 0 turns
            it off; without weights it has no effect (and says so). Full-graph
            training only. (default: ``0.0``)
        sequence_length (int): the latest interactions per user that the
            ``sequence`` model attends over. (default: ``20``)
        bottleneck_weight (float): ``gbsr`` only: the weight of its HSIC
            penalty between the denoised and the full friend graph's embeddings
            (0 keeps the learned friendship mask without it). (default: ``5.0``)
        attention_rate (float): ``attention`` only: how fast its attention
            vectors learn relative to the embeddings (they enter the scores
            scaled by this, so Adam moves their effect this much slower). Chosen
            on validation: on LastFM and CiaoDVD the faster the attention
            learns, the more it overfits (``benchmarks/RESULTS.md``, issue 16).
            (default: ``0.02``)
    """

    model: str = "social"
    embedding_dim: int = 256
    num_layers: int = 3
    lr: float = 0.002
    weight_decay: float = 1e-4
    batch_size: int = 4096
    epochs: int = 400
    eval_every: int = 5
    patience: int = 4
    valid_k: int = 20
    valid_users: int = 20_000
    seed: int = 0
    device: str = "auto"
    neighbours: int = 50
    ssl_weight: float = 0.0
    ssl_temperature: float = 0.2
    noise: float = 0.1
    negatives: int = 16
    fanout: int = 0
    refit: bool = False
    loss: str = "bpr"
    softmax_temperature: float = 0.1
    weight_average: float = 0.0
    ensemble: int = 1
    recency_days: float = 0.0
    recency_reference: str = "user"
    period_days: float = 0.0
    popularity_debias: float = 0.0
    confidence: float = 0.0
    sequence_length: int = 20
    bottleneck_weight: float = 5.0
    attention_rate: float = 0.02

    def __post_init__(self) -> None:
        for name in ("embedding_dim", "num_layers", "batch_size", "eval_every", "negatives"):
            minimum = 0 if name == "num_layers" else 1
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ConfigError(f"{name} must be a whole number >= {minimum}, not {value!r}")
        for name in ("epochs", "patience", "fanout", "neighbours"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, not {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, not {self.lr!r}")
        if self.model not in MODELS:
            raise ConfigError(f"model {self.model!r}: choose one of {', '.join(MODELS)}")
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        if not 0 <= self.weight_average < 1:
            raise ConfigError(f"weight_average must be in [0, 1), not {self.weight_average!r}")
        if self.ensemble < 1:
            raise ConfigError(f"ensemble must be at least 1, not {self.ensemble}")
        if not self.recency_days >= 0:
            raise ConfigError(f"recency_days must be >= 0, not {self.recency_days!r}")
        if not self.period_days >= 0:
            raise ConfigError(f"period_days must be >= 0, not {self.period_days!r}")
        if not self.popularity_debias >= 0:
            raise ConfigError(f"popularity_debias must be >= 0, not {self.popularity_debias!r}")
        if not self.confidence >= 0:
            raise ConfigError(f"confidence must be >= 0, not {self.confidence!r}")
        if self.recency_reference not in RECENCY_REFERENCES:
            raise ConfigError(
                f"recency_reference must be one of {', '.join(RECENCY_REFERENCES)}, "
                f"not {self.recency_reference!r}"
            )
        if not self.attention_rate >= 0:
            raise ConfigError(f"attention_rate must be >= 0, not {self.attention_rate!r}")
        if not self.bottleneck_weight >= 0:
            raise ConfigError(f"bottleneck_weight must be >= 0, not {self.bottleneck_weight!r}")
        if self.sequence_length < 1:
            raise ConfigError(f"sequence_length must be at least 1, not {self.sequence_length}")
        if self.fanout > 0 and (
            self.recency_days > 0
            or self.period_days > 0
            or self.confidence > 0
            or self.model == "sequence"
        ):
            raise ConfigError(
                "recency_days, period_days, confidence and the sequence model train "
                "on the full graph: leave fanout at 0"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """A config saved by any socialrec version (a checkpoint's or a report's).

        Settings renamed since are read under their new name (``k`` is now
        ``valid_k``); settings this version does not know are left out.
        """
        renamed = {"k": "valid_k"}
        known = {f.name for f in fields(cls)}
        values = {renamed.get(key, key): value for key, value in data.items()}
        return cls(**{key: value for key, value in values.items() if key in known})

    def resolved_device(self) -> torch.device:
        import torch  # here, so that the CLI builds its options without importing torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


@dataclass(frozen=True)
class TuneConfig:
    """How a tuning study runs.

    Args:
        trials (int): trials at most, those of a resumed study included.
            (default: ``30``)
        budget (str): wall time at most for this invocation, such as ``90s``,
            ``30m`` or ``2h``; empty for none. (default: ``"30m"``)
        max_epochs (int): epochs at most per trial (early stopping usually ends
            it sooner). (default: ``200``)
        prune (bool): stop a trial whose validation recall falls below the
            median of earlier trials at the same epoch. (default: ``True``)
        seed (int): the split's and the sampler's seed. (default: ``0``)
    """

    trials: int = 30
    budget: str = "30m"
    max_epochs: int = 200
    prune: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ConfigError(f"trials must be at least 1, not {self.trials}")
        if self.max_epochs < 1:
            raise ConfigError(f"max_epochs must be at least 1, not {self.max_epochs}")
        self.budget_seconds()  # a malformed budget fails here, before any training

    def budget_seconds(self) -> float | None:
        """The budget in seconds (``None``: no time limit)."""
        text = self.budget.strip().lower()
        if not text:
            return None
        found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|m|h)?", text)
        if not found:
            raise ConfigError(f"budget {self.budget!r}: give a time such as 90s, 30m or 2h")
        unit = {"s": 1, "m": 60, "h": 3600}[found.group(2) or "s"]
        return float(found.group(1)) * unit
