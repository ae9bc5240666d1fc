import math

import numpy as np
import torch

from socialrec.train.metrics import evaluate, rank_items


def embeddings_for(scores: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """User/item embeddings whose inner products are exactly ``scores``."""
    return torch.tensor(scores, dtype=torch.float64), torch.eye(
        scores.shape[1], dtype=torch.float64
    )


def test_hand_computed_case() -> None:
    # 2 users, 5 items. User 0 ranks 4 > 3 > 2 > 1 > 0; item 4 is excluded (train).
    scores = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.3, 0.2, 0.1]])
    u, i = embeddings_for(scores)
    truth = np.array([[0, 0, 1], [1, 3, 4]])  # user 0: {1, 3}; user 1: {4}
    exclude = np.array([[0], [4]])
    m = evaluate(u, i, truth, exclude, ks=(2,), max_k=4)
    # user 0 ranking: 3, 2, 1, 0 -> hits at ranks 1 and 3; user 1: 0, 1, 2, 3 -> none in top 4.
    assert m["precision@2"] == (1 / 2 + 0) / 2
    assert m["recall@2"] == (1 / 2 + 0) / 2
    assert m["hit@2"] == 0.5
    idcg = 1 + 1 / math.log2(3)
    assert math.isclose(m["ndcg@2"], (1 / idcg + 0) / 2)
    assert m.recall_curve[:4] == [0.25, 0.25, 0.5, 0.5]
    assert m.users == 2


def test_excluded_items_are_never_recommended() -> None:
    rng = np.random.default_rng(0)
    u, i = embeddings_for(rng.random((30, 40)))
    exclude = np.stack([rng.integers(0, 30, 300), rng.integers(0, 40, 300)])
    top = rank_items(u, i, np.arange(30), exclude, k=10, chunk=7)
    banned = set(zip(exclude[0].tolist(), exclude[1].tolist(), strict=True))
    assert all((user, item) not in banned for user in range(30) for item in top[user])


def test_perfect_and_slices_and_tail() -> None:
    truth = np.array([[0, 1, 2], [0, 1, 2]])
    u, i = embeddings_for(np.eye(3))
    pop = np.array([10, 1, 1])
    m = evaluate(
        u,
        i,
        truth,
        np.empty((2, 0), int),
        ks=(1,),
        max_k=1,
        popularity=pop,
        slices={"first": np.array([True, False, False])},
    )
    assert m["recall@1"] == 1.0 and m["ndcg@1"] == 1.0
    assert m["coverage@1"] == 1.0
    assert math.isclose(m["tail_share@1"], 2 / 3)
    assert m.slices["first"]["users"] == 1.0 and m.slices["first"]["recall@1"] == 1.0


def test_the_tail_penalty_moves_towards_the_tail() -> None:
    rng = np.random.default_rng(1)
    pop = np.arange(50)[::-1].astype(float) ** 2
    u = torch.ones(20, 1, dtype=torch.float64)
    i = torch.tensor(pop[:, None] / pop.max() + rng.random((50, 1)) * 0.3)
    truth = np.stack([np.arange(20), rng.integers(0, 50, 20)])
    plain = evaluate(u, i, truth, np.empty((2, 0), int), ks=(10,), popularity=pop)
    tail = evaluate(u, i, truth, np.empty((2, 0), int), ks=(10,), popularity=pop, tail_penalty=5.0)
    assert tail["tail_share@10"] > plain["tail_share@10"]
