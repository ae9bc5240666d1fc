"""WritebackConfig: every writeback option once, with its type, default and help.

Free of torch and numpy, so that the command line generates its options from it
(:mod:`socialrec.cli.options`) without importing either.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialrec.errors import ConfigError

#: Most recommendations a user a run stores; beyond this it is a data dump.
MAX_K = 10_000


@dataclass(frozen=True)
class WritebackConfig:
    """How a writeback runs.

    Args:
        k (int): recommendations per user. (default: ``20``)
        batch_size (int): relationships a transaction; 10,000 wrote 11 % faster
            than 20,000 and 50,000 on the 1 M-user graph ("Writeback profile" in
            benchmarks/RESULTS.md). (default: ``10000``)
        embeddings (bool): write embeddings and the item vector index.
            (default: ``True``)
        keep_runs (int): complete runs kept, the current one included; older
            ones are pruned. (default: ``3``)
        writers (int): transactions in flight at once. Two keep both of a
            small server's cores busy (relationship creation is single-threaded
            per transaction). (default: ``2``)
        device (str): where scores are computed. (default: ``"cpu"``)
        min_coverage (float): a full run must serve at least this fraction of
            the users the current run serves, else it is refused before it is
            published (a checkpoint of a subgraph, a filter that excludes most
            items...). (default: ``0.9``)
        allow_shrink (bool): publish a full run that serves fewer users than
            ``min_coverage`` allows (never an empty one). (default: ``False``)
        tail_penalty (float): long-tail re-ranking at scoring time, calibrated
            to each user: every head item (the 20 % most popular) loses this many
            of the user's score standard deviations times the user's long-tail
            share of interactions over the mean user's
            (:class:`socialrec.topk.TailPenalty`). Pairs with training's
            ``popularity_debias``; ``benchmarks/tail_curve.py`` measures the
            trade-off of both. (default: ``0.0``, ranking by score alone)
        ann_probes (int): ``0`` scores every item exactly; above it, a FAISS
            inverted-file index over the items is searched in this many lists a
            user (needs ``socialrec[ann]``; ``benchmarks/score_ann.py`` gives
            recall@20 against exact and the speed per setting). Not with
            ``tail_penalty``. (default: ``0``)
        diff (bool): a full sync that reuses the current run's model rewrites
            only the users whose top-K changed, and serves everyone else from the
            runs that wrote theirs (a diff run: :mod:`socialrec.writeback.served`);
            off, it rewrites every user. (default: ``True``)
        max_rate (float): most relationships a second the writer sends; below
            the server's rate it leaves the server's cores to the queries
            serving users while a large run is written. (default: ``0.0``,
            as fast as the server takes them)
    """

    k: int = 20
    batch_size: int = 10_000
    embeddings: bool = True
    keep_runs: int = 3
    writers: int = 2
    device: str = "cpu"
    min_coverage: float = 0.9
    allow_shrink: bool = False
    tail_penalty: float = 0.0
    ann_probes: int = 0
    max_rate: float = 0.0
    diff: bool = True

    def __post_init__(self) -> None:
        for name in ("k", "batch_size", "keep_runs", "writers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"writeback {name} must be a whole number >= 1, not {value!r}")
        if self.k > MAX_K:
            raise ConfigError(f"writeback k {self.k} is more than {MAX_K:,} items a user")
        if not self.tail_penalty >= 0.0:
            raise ConfigError(f"writeback tail_penalty must be >= 0, not {self.tail_penalty!r}")
        if not isinstance(self.ann_probes, int) or self.ann_probes < 0:
            raise ConfigError(f"writeback ann_probes must be >= 0, not {self.ann_probes!r}")
        if self.ann_probes and self.tail_penalty:
            raise ConfigError(
                "writeback ann_probes and tail_penalty: the tail penalty re-ranks by every "
                "item's score, approximate scoring looks at few; use one or the other"
            )
        if not self.max_rate >= 0.0:
            raise ConfigError(
                f"writeback max_rate must be >= 0 relationships/s (0: no limit), "
                f"not {self.max_rate!r}"
            )
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ConfigError(f"writeback min_coverage must be in [0, 1], not {self.min_coverage}")
