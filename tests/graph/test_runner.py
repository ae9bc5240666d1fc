import pytest

from socialrec.config import ConnectionSettings
from socialrec.errors import DatabaseError
from socialrec.graph.runner import Neo4jRunner
from socialrec.queries import Query

pytestmark = pytest.mark.integration


def test_read_write_and_counters(db: Neo4jRunner) -> None:
    counters = db.write("UNWIND range(1, 3) AS i CREATE (:T {i: i})")
    assert counters["nodes_created"] == 3
    assert db.read("MATCH (t:T) RETURN t.i AS i ORDER BY i") == [{"i": 1}, {"i": 2}, {"i": 3}]


def test_database_error_names_the_query_file_and_keeps_the_cause(db: Neo4jRunner) -> None:
    with pytest.raises(DatabaseError, match=r"cypher/broken\.cypher.*SyntaxError") as err:
        db.read(Query("MATCH (n RETURN n", "broken.cypher"))
    assert err.value.__cause__ is not None


def test_wrong_password_is_reported_without_the_password(
    neo4j_settings: ConnectionSettings,
) -> None:
    wrong = ConnectionSettings(neo4j_settings.uri, neo4j_settings.user, "definitely-wrong-pw")
    with Neo4jRunner(wrong) as runner, pytest.raises(DatabaseError) as err:
        runner.verify()
    assert "definitely-wrong-pw" not in str(err.value)
    assert "refused user" in str(err.value)


def test_unreachable_server() -> None:
    with (
        Neo4jRunner(
            ConnectionSettings("bolt://127.0.0.1:1", "neo4j", "x"), max_retry_time=0.5
        ) as runner,
        pytest.raises(DatabaseError, match="cannot reach"),
    ):
        runner.verify()
