r"""Why friends add little: homophily, friends' reach into the test part, the gate (issue 16).

Usage: python -m benchmarks.friends_study [--datasets lastfm,ciaodvd] [--seed 0]

For each dataset, on the papers' 70/10/20 split of ``--seed``:

1. **homophily**: the mean Jaccard similarity of friends' training item sets,
   against random user pairs (the ratio says how much more alike friends are);
2. **reach**: the share of test interactions whose item at least one friend
   interacted with in training, against the same for as many random non-friends,
   and against the share that the 100 most popular items cover; the share friends
   reach outside those items, and how many candidate items (a friend's, not the
   user's own) that reach is spread over;
3. **the gate**: ``social`` (the fast preset) is trained and, per layer, the mean
   of its gate over users with friends: the weight of the items' message against
   the friends' (1: friends ignored), and the relative size of the two messages;
4. **a direct friend boost**: the trained model's scores plus
   :math:`\beta\,\sigma_u\,[\text{a friend trained on } i]` (:math:`\sigma_u` the
   spread of the user's scores), :math:`\beta` chosen on validation Recall@20 and
   the test Recall@20 reported at 0 and at that :math:`\beta`: what the friends'
   items add when they are handed to the ranking explicitly, not learned.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import torch

from benchmarks.common import dataset_snapshot, write_section
from socialrec.export.snapshot import FRIENDS
from socialrec.models import SocialLGN
from socialrec.pairs import lookup_sorted, pair_keys
from socialrec.topk import CSR
from socialrec.train import experiment
from socialrec.train.config import FAST_PRESET, TrainConfig
from socialrec.train.splits import PAPER_RATIOS, split


def item_sets(edges: np.ndarray, n_users: int) -> list[set[int]]:
    sets: list[set[int]] = [set() for _ in range(n_users)]
    for u, i in edges.T.tolist():
        sets[u].add(i)
    return sets


def jaccard(sets: list[set[int]], a: np.ndarray, b: np.ndarray) -> float:
    values = [
        len(sets[x] & sets[y]) / len(sets[x] | sets[y])
        for x, y in zip(a.tolist(), b.tolist(), strict=True)
        if sets[x] or sets[y]
    ]
    return float(np.mean(values)) if values else float("nan")


def friend_item_keys(
    train: np.ndarray, a: np.ndarray, b: np.ndarray, n_users: int, n_items: int
) -> np.ndarray:
    """Sorted :func:`~socialrec.pairs.pair_keys` of every (u, i) with some v,
    (u, v) in the pairs (a, b), who trained on i: the items each user's friends
    reach."""
    pair, items = CSR.from_edges(train, n_users).gather(b)
    return np.unique(pair_keys(a[pair], items, n_items))


def reach(test: np.ndarray, reached: np.ndarray, n_items: int) -> np.ndarray:
    """Which test (u, i) are among the ``reached`` keys (:func:`friend_item_keys`)."""
    return lookup_sorted(reached, pair_keys(test[0], test[1], n_items))[1]


def candidates(
    train: np.ndarray, reached: np.ndarray, users: np.ndarray, n_users: int, n_items: int
) -> np.ndarray:
    """Per user of ``users``: how many ``reached`` items are not their own (the
    candidates a friend signal has to rank)."""
    _, own = lookup_sorted(sorted_keys(train, n_items), reached)
    return np.bincount(reached[~own] // n_items, minlength=n_users)[users]


#: Strengths of the direct friend boost (measure 4), 0 first.
BOOSTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def boosted_recall(
    user_emb: torch.Tensor,
    item_emb: torch.Tensor,
    truth: np.ndarray,
    exclude: np.ndarray,
    friend_items: CSR,
    chunk: int = 1024,
) -> list[float]:
    """Recall@20 of ``truth`` for each of :data:`BOOSTS`, each user's scores
    raised by ``beta * std`` on the items of ``friend_items``' row."""
    n_users, n_items = user_emb.shape[0], item_emb.shape[0]
    counts = np.bincount(truth[0], minlength=n_users)
    users = np.flatnonzero(counts)
    truth_keys = sorted_keys(truth, n_items)
    excluded = CSR.from_edges(exclude, n_users)
    total = np.zeros(len(BOOSTS))
    with torch.no_grad():
        for start in range(0, len(users), chunk):
            batch = users[start : start + chunk]
            scores = user_emb[torch.as_tensor(batch)] @ item_emb.T
            spread = scores.std(dim=1, keepdim=True)
            boost = torch.zeros_like(scores)
            rows, cols = friend_items.gather(batch)
            boost[torch.as_tensor(rows), torch.as_tensor(cols)] = 1.0
            rows, cols = excluded.gather(batch)
            scores[torch.as_tensor(rows), torch.as_tensor(cols)] = -torch.inf
            for b, beta in enumerate(BOOSTS):
                top = torch.topk(scores + beta * spread * boost, 20, dim=1).indices.numpy()
                _, hits = lookup_sorted(truth_keys, pair_keys(batch[:, None], top, n_items))
                total[b] += (hits.sum(1) / counts[batch]).sum()
    return (total / len(users)).tolist()


def sorted_keys(edges: np.ndarray, n_items: int) -> np.ndarray:
    return np.sort(pair_keys(edges[0], edges[1], n_items))


def gate_profile(model: SocialLGN, graph, has_friends: np.ndarray) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    """Per layer: mean gate on the item side, and |friends' message| / |items' message|."""
    out = []
    with torch.no_grad():
        u, i = model.user_layer0(graph), model.item_layer0(graph)
        mask = torch.as_tensor(has_friends)
        for k in range(model.num_layers):
            from_items = graph.item_to_user @ i
            from_friends = graph.friends @ u
            g = torch.sigmoid(model.gates[k](torch.cat([from_items, from_friends], dim=-1)))
            ratio = from_friends[mask].norm(dim=-1) / from_items[mask].norm(dim=-1).clamp(min=1e-9)
            out.append((float(g[mask].mean()), float(ratio.median())))
            u, i = model.fuse(k, from_items, from_friends), graph.user_to_item @ u
    return out


def study(name: str, seed: int) -> list[str]:
    snapshot = dataset_snapshot(name)
    sp = split(snapshot, "random", PAPER_RATIOS, seed)
    n_u, n_i = sp.num_users, sp.num_items
    friends = snapshot.data[FRIENDS].edge_index.numpy()
    one_way = friends[:, friends[0] < friends[1]]
    rng = np.random.default_rng(seed)
    ra = rng.integers(0, n_u, one_way.shape[1])
    rb = rng.integers(0, n_u, one_way.shape[1])
    sets = item_sets(sp.train, n_u)
    j_friends, j_random = jaccard(sets, one_way[0], one_way[1]), jaccard(sets, ra, rb)
    # random "friends": each user's friends replaced by as many random users
    degree = np.bincount(friends[0], minlength=n_u)
    fake_a = np.repeat(np.arange(n_u), degree)
    fake_b = rng.integers(0, n_u, len(fake_a))
    reached = friend_item_keys(sp.train, friends[0], friends[1], n_u, n_i)
    hit_friends = reach(sp.test, reached, n_i)
    r_friends = float(hit_friends.mean())
    r_random = float(
        reach(sp.test, friend_item_keys(sp.train, fake_a, fake_b, n_u, n_i), n_i).mean()
    )
    popular = np.argsort(-np.bincount(sp.train[1], minlength=n_i))[:100]
    in_popular = np.isin(sp.test[1], popular)
    r_popular = float(in_popular.mean())
    # what friends reach that popularity alone does not, and how many items a
    # friend signal must rank to find it
    r_beyond = float((hit_friends & ~in_popular).mean())
    per_user = candidates(sp.train, reached, np.unique(friends[0]), n_u, n_i)
    friend_items = CSR.from_edges(np.stack([reached // n_i, reached % n_i]), n_u)
    test_has_friend = float((degree[sp.test[0]] > 0).mean())
    config = replace(
        TrainConfig.from_dict({**FAST_PRESET, "device": "cpu"}), model="social", seed=seed
    )
    graph = experiment.training_graph(snapshot, sp, config)
    result = experiment.fit(snapshot, sp, config, graph=graph)
    model = SocialLGN(n_u, n_i, config.embedding_dim, config.num_layers)
    model.load_state_dict(result.state_dict)
    gates = gate_profile(model, graph, degree > 0)
    user_emb, item_emb = result.user_embedding.float(), result.item_embedding.float()
    valid = boosted_recall(user_emb, item_emb, sp.valid, sp.train, friend_items)
    chosen = int(np.argmax(valid))
    test = boosted_recall(
        user_emb, item_emb, sp.test, np.concatenate([sp.train, sp.valid], axis=1), friend_items
    )
    lines = [
        f"**{name}** ({n_u:,} users, {n_i:,} items, {one_way.shape[1]:,} friendships; "
        f"{100 * test_has_friend:.0f} % of test interactions are of users with friends)",
        "",
        "| measure | friends | random pairs | ratio |",
        "|---|---|---|---|",
        f"| Jaccard of training item sets | {j_friends:.4f} | {j_random:.4f} | "
        f"{j_friends / j_random:.1f}x |",
        f"| test interactions whose item a friend trained on | {r_friends:.3f} | "
        f"{r_random:.3f} | {r_friends / r_random:.1f}x |",
        "",
        f"The 100 most popular items cover {r_popular:.3f} of the test interactions; "
        f"friends reach {r_beyond:.3f} outside them. A user with friends has a median of "
        f"{np.median(per_user):.0f} items (mean {per_user.mean():.0f}) that a friend trained "
        "on and they did not. "
        f"`social` (fast preset, seed {seed}): valid Recall@20 {result.best_valid:.4f}; "
        "per layer, mean gate on the items' side over users with friends (1 = friends "
        "ignored) and the median size of the friends' message against the items': "
        + "; ".join(f"layer {k + 1}: gate {g:.2f}, size {r:.2f}" for k, (g, r) in enumerate(gates))
        + ".",
        "",
        "Direct friend boost on that model (valid Recall@20 per strength; the test at 0 "
        "and at the strength chosen on validation): "
        + ", ".join(f"{beta:g}: {v:.4f}" for beta, v in zip(BOOSTS, valid, strict=True))
        + f"; test {test[0]:.4f} -> {test[chosen]:.4f} at {BOOSTS[chosen]:g} "
        f"({100 * (test[chosen] / test[0] - 1):+.1f} %).",
        "",
    ]
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="lastfm,ciaodvd")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--section", default="Friends study (issue 16)")
    args = parser.parse_args()
    body: list[str] = []
    for name in args.datasets.split(","):
        body += study(name, args.seed)
    write_section(args.section, "\n".join(body))


if __name__ == "__main__":
    main()
