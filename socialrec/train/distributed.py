"""Data-parallel training under ``torchrun`` (PyTorch DistributedDataParallel).

Each process holds the whole (full-graph) model and propagates the whole graph,
and trains on its own shard of every epoch's BPR triples; DDP averages the
gradients across processes at each step, so all processes keep identical
weights. NCCL is used on GPUs, gloo on CPUs::

    torchrun --nproc_per_node 4 -m socialrec.cli train --snapshot s.pt --model social --out run

Only rank 0 writes checkpoints and reports. Outside ``torchrun`` (no
``WORLD_SIZE``) everything here is a no-op and training runs in one process.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def init_from_env() -> tuple[int, int]:
    """Join the process group ``torchrun`` describes; ``(rank, world size)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and dist.is_available() and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return rank_and_world()


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    return rank_and_world()[0] == 0


def local_device(requested: torch.device) -> torch.device:
    """This process's GPU under ``torchrun`` (``LOCAL_RANK``), else ``requested``."""
    if requested.type == "cuda" and rank_and_world()[1] > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return requested
