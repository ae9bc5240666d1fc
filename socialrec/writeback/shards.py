"""One writeback across ``torchrun`` ranks: each rank scores and writes its users.

Scoring is the writeback's compute (1 M users x 200 k items is about 2.6 TFLOP)
and every rank can do its part of it on its own GPU or cores, so
``torchrun --nproc_per_node N -m socialrec.cli writeback ...`` splits the users
``users[rank::N]`` (interleaved, so heavy and light users spread evenly) and
keeps every guarantee of the single-process writer by giving rank 0 every step
that changes what is served:

1. rank 0 takes the writer lock, cleans up and records the run; it sends the
   run plan to the other ranks;
2. rank 0 writes the embeddings; every rank scores its users and writes their
   ``RECOMMENDED`` relationships into the (not yet current) run;
3. every rank reports its counts, or its error, to all (a barrier: nothing is
   being written after it);
4. rank 0 publishes when every rank succeeded, and otherwise deletes the run
   (what every rank wrote) and marks it failed; it tells the others which.

A rank killed outright takes the group down (``torchrun`` stops the others):
the run is left ``running`` and not current, and the next writer cleans it up as
orphaned, exactly as after a single writer's ``kill -9``. Outside ``torchrun``
:class:`Shards` is one rank and every exchange is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch.distributed as dist

from socialrec.train.distributed import rank_and_world

T = TypeVar("T")


@dataclass(frozen=True)
class Shards:
    """This process's place among the ranks that share a writeback.

    Args:
        rank (int): this process. (default: ``0``)
        world (int): how many processes. (default: ``1``)
    """

    rank: int = 0
    world: int = 1

    @classmethod
    def from_process_group(cls) -> Shards:
        """The ranks of the initialised ``torch.distributed`` group (one without)."""
        rank, world = rank_and_world()
        return cls(rank, world)

    @property
    def publisher(self) -> bool:
        """Rank 0: the one that locks, begins, publishes or abandons the run."""
        return self.rank == 0

    def mine(self, users: np.ndarray) -> np.ndarray:
        """This rank's users: every ``world``-th one, from ``rank``."""
        return users[self.rank :: self.world]

    def broadcast(self, value: T) -> T:
        """Rank 0's ``value``, on every rank (the others pass a placeholder)."""
        if self.world == 1:
            return value
        box: list[Any] = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order, on every rank."""
        if self.world == 1:
            return [value]
        out: list[Any] = [None] * self.world
        dist.all_gather_object(out, value)
        return out
