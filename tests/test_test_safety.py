"""The test suite never empties a database it was not given (issue: tests wiped NEO4J_URI)."""

import os
from pathlib import Path

import pytest

from socialrec.graph.runner import Neo4jRunner
from tests.conftest import (
    _USER_ENVIRONMENT,
    TEST_MARKER_INDEX,
    ForeignDatabaseError,
    claim_test_database,
)


def test_user_connection_variables_are_not_visible_to_tests() -> None:
    for name in _USER_ENVIRONMENT:
        if name == "SOCIALREC_CONFIG":
            # replaced by an empty file of the session's own
            assert os.environ[name].endswith("socialrec.toml")
            assert Path(os.environ[name]).read_text() == ""
        else:
            assert name not in os.environ


@pytest.mark.integration
def test_a_database_with_foreign_data_is_refused(db: Neo4jRunner) -> None:
    db.write("CREATE (:Customer {name: 'somebody else'})")
    db.write(f"DROP INDEX {TEST_MARKER_INDEX}")
    try:
        with pytest.raises(ForeignDatabaseError, match="1 nodes that the tests did not create"):
            claim_test_database(db)
        # nothing was deleted by the refusal
        assert db.read("MATCH (c:Customer) RETURN count(c) AS n")[0]["n"] == 1
    finally:
        db.write("MATCH (c:Customer) DELETE c")
        claim_test_database(db)  # empty again: claimed, marker back
    marked = db.read(
        "SHOW INDEXES YIELD name WHERE name = $n RETURN name", {"n": TEST_MARKER_INDEX}
    )
    assert marked
