"""An attribute is (kind, id): a city 1 and a category 1 are two attributes everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialrec.export import Exporter
from socialrec.export.snapshot import HAS
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import FileFormat, load_interactions, load_item_attributes
from socialrec.load.writer import GraphWriter
from socialrec.writeback import candidate_mask
from socialrec.writeback.runs import WritebackError

pytestmark = pytest.mark.integration


def test_two_attribute_files_with_the_same_ids_stay_apart(db: Neo4jRunner, tmp_path: Path) -> None:
    (tmp_path / "i.tsv").write_text("u1\ta\nu1\tb\nu2\tb\n")
    (tmp_path / "categories.tsv").write_text("a\t1\nb\t2\n")
    (tmp_path / "cities.tsv").write_text("a\t2\nb\t1\n")
    writer = GraphWriter(db)
    writer.apply_schema()
    fmt = FileFormat()
    load_interactions(writer, tmp_path / "i.tsv", fmt, progress=False)
    load_item_attributes(writer, tmp_path / "categories.tsv", fmt, kind="category", progress=False)
    load_item_attributes(writer, tmp_path / "cities.tsv", fmt, kind="city", progress=False)
    links = {
        (r["i"], r["k"], r["a"])
        for r in db.read(
            "MATCH (i:Item)-[:HAS_ATTRIBUTE]->(a:Attribute) "
            "RETURN i.id AS i, a.kind AS k, a.id AS a"
        )
    }
    assert links == {("a", "category", "1"), ("b", "category", "2"), ("a", "city", "2"),
                     ("b", "city", "1")}  # fmt: skip
    assert db.read("MATCH (a:Attribute) RETURN count(a) AS n")[0]["n"] == 4

    snap = Exporter(db, progress=False).full()
    assert sorted(snap.ids["attribute"].tolist()) == ["category:1", "category:2", "city:1",
                                                      "city:2"]  # fmt: skip
    index = snap.data[HAS].edge_index.numpy()
    pairs = {(snap.ids["item"][i], snap.ids["attribute"][a]) for i, a in index.T}
    assert ("a", "city:2") in pairs and ("a", "city:1") not in pairs
    # only items in city 1: item b
    mask = candidate_mask(snap, attributes=["city:1"])
    assert mask is not None and snap.ids["item"][mask].tolist() == ["b"]
    with pytest.raises(WritebackError, match="ambiguous"):
        candidate_mask(snap, attributes=["1"])
