"""Mapped names that match nothing (socialrec/export/mapping_checks.py), without a server.

The same checks against a real database with a misspelled mapping are in
``tests/existing_db/test_mapping_checks.py``.
"""

from __future__ import annotations

import numpy as np
import torch

from socialrec.export.mapping_checks import warn_unmatched_names
from socialrec.export.snapshot import INTERACTS
from socialrec.graph.inspection import DatabaseOverview
from tests.helpers import snapshot_from_arrays

INTER = np.array([[0, 1], [0, 1]])
FRIENDS = np.array([[0], [1]])
HAS = np.array([[0], [0]])


def test_a_database_that_has_every_mapped_name_gets_no_warning() -> None:
    snap = snapshot_from_arrays(2, 2, 1, INTER, FRIENDS, HAS)
    m = snap.mapping
    db = DatabaseOverview(
        labels={m.user: 2, m.item: 2, m.attribute: 1},
        relationship_types={m.interacted: 2, m.friends: 2, m.has_attribute: 1},
    )
    warn_unmatched_names(snap, db)
    assert snap.report.warnings == {}


def test_absent_friends_attributes_and_weights_are_named_and_counted() -> None:
    snap = snapshot_from_arrays(2, 2, 1, INTER, FRIENDS, HAS)
    snap.data[INTERACTS].edge_weight = torch.full((2,), float("nan"))
    m = snap.mapping
    db = DatabaseOverview(labels={m.user: 2, m.item: 2}, relationship_types={m.interacted: 2})
    warn_unmatched_names(snap, db)
    warnings = snap.report.warnings
    friends = next(w for w in warnings if "friendships" in w)
    assert repr(m.friends) in friends and warnings[friends] == 2  # both users
    attributes = next(w for w in warnings if "attributes" in w)
    assert repr(m.attribute) in attributes and warnings[attributes] == 2  # both items
    weights = next(w for w in warnings if "weight" in w)
    assert repr(m.weight) in weights and warnings[weights] == 2  # both interactions
    # A command that did not read weights does not claim they are missing.
    snap.report.warnings.clear()
    warn_unmatched_names(snap, db, weights_read=False)
    assert not any("weight" in w for w in snap.report.warnings)
