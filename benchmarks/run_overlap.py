"""How many published (user, item) pairs survive from one run to the next (issue 15).

Usage: python -m benchmarks.run_overlap [--dataset lastfm] [--model hybrid] [--seeds 0,1]

A diff-based writeback (write only the new pairs, retire the dropped ones) pays
only if consecutive runs share most of their pairs. Two cases of a nightly run:

- *retrained*: the same data, a model trained again from another seed (a nightly
  retrain on barely changed data differs from the last model at least this much);
- *reused*: the same model, after 1 % of the users gained one interaction each
  (their lists lose that item and one comes in; everyone else's stay the same).

The figure is the share of the first run's top-``k`` pairs also in the second's.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from benchmarks.common import dataset_snapshot, describe_device, write_section
from socialrec.pairs import pair_keys
from socialrec.topk import CSR, top_k
from socialrec.train import experiment
from socialrec.train.config import FAST_PRESET, TrainConfig
from socialrec.train.splits import split


def pairs(result: experiment.TrainResult, exclude: np.ndarray, k: int) -> np.ndarray:
    """Sorted keys of every user's top-``k`` (user, item) pairs."""
    users = np.arange(result.user_embedding.shape[0])
    n_items = result.item_embedding.shape[0]
    csr = CSR.from_edges(exclude, len(users))
    top = top_k(result.user_embedding, result.item_embedding, users, k, csr).items
    owner = np.repeat(users, k)
    keep = top.ravel() >= 0
    return np.sort(pair_keys(owner[keep], top.ravel()[keep], n_items))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="lastfm")
    parser.add_argument("--model", default="hybrid")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--section", default="Overlap of consecutive runs (issue 15)")
    args = parser.parse_args()
    snapshot = dataset_snapshot(args.dataset)
    seeds = [int(s) for s in args.seeds.split(",")]
    base = TrainConfig.from_dict({**FAST_PRESET, "device": "cpu", "model": args.model})
    started = time.perf_counter()
    sp = split(snapshot, "random", (0.8, 0.1, 0.1), 0)
    exclude = sp.train
    results = [experiment.fit(snapshot, sp, replace(base, seed=s)) for s in seeds]
    first = pairs(results[0], exclude, args.k)
    lines = ["| case | pairs kept from the first run | pairs to write anew |", "|---|---|---|"]
    for seed, result in zip(seeds[1:], results[1:], strict=True):
        kept = np.isin(first, pairs(result, exclude, args.k)).mean()
        lines.append(f"| retrained (seed {seeds[0]} -> {seed}) | {kept:.4f} | {1 - kept:.4f} |")
    # reused: 1 % of users each interact with one of their recommendations
    rng = np.random.default_rng(0)
    n_users = results[0].user_embedding.shape[0]
    movers = rng.choice(n_users, max(1, n_users // 100), replace=False)
    n_items = results[0].item_embedding.shape[0]
    taken = first.reshape(n_users, args.k)[movers, 0] % n_items  # keys sort by user
    changed = np.concatenate([exclude, np.stack([movers, taken])], axis=1)
    kept = np.isin(first, pairs(results[0], changed, args.k)).mean()
    lines.append(f"| reused, 1 % of users took a recommendation | {kept:.4f} | {1 - kept:.4f} |")
    minutes = (time.perf_counter() - started) / 60
    body = "\n".join(
        [
            f"{args.dataset}, `{args.model}`, top-{args.k} of every user, trained on 80 % of "
            f"each user's interactions (10 % validation for early stopping), recipe "
            f"{FAST_PRESET}; device {describe_device('cpu')}; {minutes:.0f} min. "
            "A diff-based writeback would write the last column's share of today's "
            "relationships and delete as many.",
            "",
            *lines,
        ]
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
