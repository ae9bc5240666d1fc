"""Mapped names that match nothing: counted as export warnings on every command.

Optional parts of a mapping may be absent, but a misspelled one (``KNOWZ``,
``ratng``) would silently train a social model without friends or weights.
"""

from __future__ import annotations

import torch

from socialrec.export.snapshot import INTERACTS, GraphSnapshot
from socialrec.graph.inspection import DatabaseOverview


def warn_unmatched_names(
    snapshot: GraphSnapshot, db: DatabaseOverview, weights_read: bool = True
) -> None:
    """Count, as export warnings, mapped names that match nothing in the database.

    Optional parts may be absent, but a misspelled one (``KNOWZ``, ``ratng``)
    silently trains a social model without friends or with no weights: every
    command that exports says so.
    """
    m, report = snapshot.mapping, snapshot.report
    n_users = snapshot.num_nodes("user")
    if db.relationship_types.get(m.friends, 0) == 0:
        report.warn(
            f"users without friendships: relationships.friends = {m.friends!r} matches no "
            "relationship (social models learn nothing from friends)",
            n_users,
        )
    if db.labels.get(m.attribute, 0) == 0 or db.relationship_types.get(m.has_attribute, 0) == 0:
        report.warn(
            f"items without attributes: labels.attribute = {m.attribute!r} / "
            f"relationships.has_attribute = {m.has_attribute!r} match nothing",
            snapshot.num_nodes("item"),
        )
    inter = snapshot.data[INTERACTS]
    weight = getattr(inter, "edge_weight", None)
    if weights_read and weight is not None and len(weight) and bool(torch.isnan(weight).all()):
        report.warn(
            f"interactions without weight: properties.weight = {m.weight!r} is on none of "
            f"the :{m.interacted} relationships (every interaction weighs the same)",
            len(weight),
        )
