"""The baselines as embeddings (socialrec/train/baselines.py)."""

from __future__ import annotations

import numpy as np
import pytest

from socialrec.errors import ConfigError
from socialrec.train.baselines import baseline_embeddings
from socialrec.train.splits import split
from tests.helpers import snapshot_from_arrays

NONE = np.empty((2, 0), dtype=int)


def test_popularity_scores_are_training_counts_for_every_user() -> None:
    inter = np.array([[0, 1, 2, 0, 1, 2, 0], [2, 2, 2, 0, 0, 1, 3]])
    snap = snapshot_from_arrays(
        3, 4, 1, inter, np.empty((2, 0), dtype=int), np.empty((2, 0), dtype=int)
    )
    sp = split(snap, "random", (1.0, 0.0, 0.0), seed=0)
    users, items = baseline_embeddings("popularity", sp)
    scores = (users @ items.T).numpy()
    counts = np.bincount(sp.train[1], minlength=4)
    assert np.array_equal(scores, np.tile(counts, (3, 1)))


def test_gds_similarity_needs_a_connection_and_unknown_names_are_errors() -> None:
    inter = np.array([[0, 1], [0, 1]])
    snap = snapshot_from_arrays(
        2, 2, 1, inter, np.empty((2, 0), dtype=int), np.empty((2, 0), dtype=int)
    )
    sp = split(snap, "random", (1.0, 0.0, 0.0), seed=0)
    with pytest.raises(ConfigError, match="needs a connection with GDS"):
        baseline_embeddings("gds_similarity", sp)
    with pytest.raises(ConfigError, match="'mf' is not a baseline"):
        baseline_embeddings("mf", sp)
