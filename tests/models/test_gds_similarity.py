"""gds_similarity against a real GDS: Jaccard user-kNN scores, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec.config import ConnectionSettings
from socialrec.graph.gds import open_gds
from socialrec.models.gds_similarity import node_similarity_embeddings

pytestmark = pytest.mark.integration


def jaccard_knn_scores(train: np.ndarray, n_users: int, n_items: int, k: int) -> np.ndarray:
    r = np.zeros((n_users, n_items))
    r[train[0], train[1]] = 1
    inter = r @ r.T
    sizes = r.sum(1)
    union = sizes[:, None] + sizes[None, :] - inter
    sim = np.where(union > 0, inter / np.maximum(union, 1), 0)
    np.fill_diagonal(sim, 0)
    for u in range(n_users):  # keep each user's k most similar
        sim[u, np.argsort(-sim[u], kind="stable")[k:]] = 0
    return sim @ r


def test_scores_match_hand_computed_jaccard_knn(
    db: object, neo4j_settings: ConnectionSettings
) -> None:
    train = np.array([[0, 0, 0, 1, 1, 2, 2, 3, 3, 4], [0, 1, 2, 0, 1, 2, 3, 3, 4, 5]])
    gds = open_gds(neo4j_settings)
    try:
        s, r_t = node_similarity_embeddings(gds, train, 5, 6, k=10)
        assert not gds.graph.list().__len__()  # the in-memory graph was dropped
    finally:
        gds.close()
    scores = (s @ r_t.T).numpy()
    assert np.allclose(scores, jaccard_knn_scores(train, 5, 6, k=10), atol=1e-6)
    # user 1 ({0, 1}) is most like user 0 ({0, 1, 2}): item 2 is its best new item
    assert int(np.argmax(np.where(scores[1] > 0, scores[1], -1) * (np.arange(6) >= 2))) == 2
