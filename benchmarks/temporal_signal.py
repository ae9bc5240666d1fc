"""Is there time in CiaoDVD's leave-last-out test? Popularity then vs all-time (issue 17).

Usage: python -m benchmarks.temporal_signal [--window 180] [--seed 0]

For each user's held-out last rating (``--split loo``), two non-personalised
rankings of the items the user has not rated (training and validation masked):
the all-time most popular in training, and the most popular in training during
the ``--window`` days before the test rating's date. If the second hits the test
item more often, what the whole graph does at a user's time predicts their next
step: the signal that ``--period-days`` learns and ``--recency-days`` (a user's
own history, re-weighed) cannot.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import ciaodvd_snapshot, write_section
from socialrec.export.snapshot import INTERACTS
from socialrec.train.splits import split

DAY = 86_400
CANDIDATES = 400  # enough ranked items that 20 unseen remain for every user


def hit_rate(ranked: list[np.ndarray], test_items: np.ndarray, seen: list[set[int]]) -> float:
    hits = 0
    for ranking, item, mine in zip(ranked, test_items.tolist(), seen, strict=True):
        top = [x for x in ranking.tolist() if x not in mine][:20]
        hits += item in top
    return hits / len(test_items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--section", default="CiaoDVD, time in the leave-last-out test (issue 17)")
    args = parser.parse_args()
    snapshot = ciaodvd_snapshot()
    sp = split(snapshot, "loo", seed=args.seed)
    store = snapshot.data[INTERACTS]
    edges, times = store.edge_index.numpy(), store.edge_time.numpy()
    when = dict(
        zip(zip(edges[0].tolist(), edges[1].tolist(), strict=True), times.tolist(), strict=True)
    )
    assert sp.train_time is not None
    n_items = sp.num_items
    seen: dict[int, set[int]] = {}
    for u, i in np.concatenate([sp.train, sp.valid], axis=1).T.tolist():
        seen.setdefault(u, set()).add(i)
    users, items = sp.test[0], sp.test[1]
    test_time = np.array([when[(u, i)] for u, i in sp.test.T.tolist()])
    mine = [seen.get(u, set()) for u in users.tolist()]
    all_time = np.argsort(-np.bincount(sp.train[1], minlength=n_items))[:CANDIDATES]
    order = np.argsort(sp.train_time, kind="stable")
    t_sorted, i_sorted = sp.train_time[order], sp.train[1][order]
    recent = []
    for t in test_time.tolist():
        lo = np.searchsorted(t_sorted, t - args.window * DAY)
        hi = np.searchsorted(t_sorted, t, side="right")
        counts = np.bincount(i_sorted[lo:hi], minlength=n_items)
        recent.append(np.argsort(-counts)[:CANDIDATES] if hi > lo else all_time)
    h_all = hit_rate([all_time] * len(users), items, mine)
    h_recent = hit_rate(recent, items, mine)
    span = np.median((test_time - (test_time.min())) / (365 * DAY))
    body = (
        f"CiaoDVD `loo` split (seed {args.seed}): {len(users):,} test users, test dates over "
        f"{(test_time.max() - test_time.min()) / (365 * DAY):.1f} years (median "
        f"{span:.1f} years after the earliest). HitRate@20 of the held-out rating, unseen "
        "items only:\n\n"
        "| ranking | HitRate@20 |\n|---|---|\n"
        f"| the all-time most popular (training) | {h_all:.4f} |\n"
        f"| the most popular of the {args.window} days before the test date | "
        f"{h_recent:.4f} |\n"
    )
    write_section(args.section, body)


if __name__ == "__main__":
    main()
