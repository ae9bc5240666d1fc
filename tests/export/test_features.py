"""Node features (socialrec/export/features.py): properties and GDS FastRP."""

from __future__ import annotations

import pytest

from socialrec.export import Exporter
from socialrec.export.features import FeatureSpec
from socialrec.graph.runner import Neo4jRunner
from tests.export.graphs import make_tiny

pytestmark = pytest.mark.integration


def test_features_properties_and_fastrp(db: Neo4jRunner) -> None:
    make_tiny(db)
    db.write(
        "MATCH (u:User) SET u.age = CASE u.id WHEN 'a' THEN 20 WHEN 'b' THEN 40 "
        "WHEN 'c' THEN 30 ELSE null END"
    )
    spec = FeatureSpec(properties={"user": ("age",)}, fastrp_dim=8)
    snap = Exporter(db, progress=False, features=spec).full()
    ages = dict(zip(snap.ids["user"].tolist(), snap.data["user"].x[:, 0].tolist(), strict=True))
    assert ages == {"a": 20.0, "b": 40.0, "c": 30.0, "d": 30.0}  # d: the mean
    assert snap.report.warnings[":User.age missing (filled with the mean)"] == 1
    for role, n in (("user", 4), ("item", 3), ("attribute", 2)):
        emb = snap.data[role].fastrp
        assert emb.shape == (n, 8) and bool(emb.isfinite().all())
    assert float(snap.data["user"].fastrp.abs().sum()) > 0
    assert db.read("CALL gds.graph.list() YIELD graphName RETURN count(*) AS n")[0]["n"] == 0
    db.write("MATCH (u:User {id: 'a'}) SET u.age = 'old'")
    with pytest.raises(Exception, match=r":User\.age holds a non-numeric value"):
        Exporter(db, progress=False, features=spec).full()
