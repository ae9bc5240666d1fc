import pytest

from socialrec.errors import MappingError
from socialrec.graph.inspection import check_mapping, overview, require_mapping
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping

pytestmark = pytest.mark.integration


def test_overview_counts_labels_and_types(db: Neo4jRunner) -> None:
    w = GraphWriter(db)
    w.interactions([1, 2, 2], [10, 10, 11])
    w.friendships([1], [2])
    db.write("CREATE (:`odd label`)-[:`odd type`]->(:`odd label`)")
    o = overview(db)
    assert o.labels == {"User": 2, "Item": 2, "odd label": 2}
    assert o.relationship_types == {"INTERACTED": 3, "FRIENDS_WITH": 1, "odd type": 1}
    checks = {c.role: c for c in check_mapping(GraphMapping(), o)}
    assert checks["labels.user"].ok and checks["labels.user"].count == 2
    assert checks["labels.attribute"].ok and checks["labels.attribute"].count == 0  # optional


def test_mismatched_mapping_lists_what_the_database_has(db: Neo4jRunner) -> None:
    GraphWriter(db).interactions([1, 2], [10, 10])
    with pytest.raises(MappingError) as err:
        require_mapping(db, GraphMapping(user="Person", interacted="RATED"))
    message = str(err.value)
    assert "labels.user = 'Person' not found" in message
    assert "relationships.interacted = 'RATED' not found" in message
    assert "Item (1), User (2)" in message and "INTERACTED (2)" in message
    assert require_mapping(db, GraphMapping()).labels["User"] == 2
