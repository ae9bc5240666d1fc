from importlib import resources

import pytest

from socialrec import queries
from socialrec.errors import MappingError, SocialrecError
from socialrec.mapping import GraphMapping


def test_placeholders_become_quoted_mapping_names() -> None:
    m = GraphMapping(user="Person", item="Movie", interacted="RATED", user_id="personId")
    q = queries.load("merge_interactions", m)
    assert "MERGE (u:`Person` {`personId`: $users[k]})" in q
    assert "MERGE (i:`Movie` {`id`: $items[k]})" in q
    assert "[r:`RATED`]" in q
    assert "${" not in q
    assert q.name == "merge_interactions.cypher"


def test_every_query_file_renders_with_no_placeholder_left() -> None:
    m = GraphMapping()
    files = [
        p.name.removesuffix(".cypher")
        for p in resources.files("socialrec.cypher").iterdir()
        if p.name.endswith(".cypher")
    ]
    assert "schema_unique_id" in files and "merge_interactions" in files
    # run-time placeholders: a writeback slot's embedding property, the label and
    # key of a schema statement, a property that uninstall removes
    extra = {
        "embedding": "socialrec_embedding_0",
        "label": "User",
        "key": "id",
        "kind": "kind",
        "name": "name",
        "property": "socialrec_x_embedding_0",
    }
    for name in files:
        for statement in queries.load_all(name, m, extra):
            assert "${" not in statement, name
            assert statement.strip(), name


def test_run_time_placeholders_are_validated_and_quoted() -> None:
    slot = {"embedding": "socialrec_embedding_1"}
    q = queries.load("item_vector_index", GraphMapping(), slot)
    assert "ON i.`socialrec_embedding_1`" in q
    with pytest.raises(MappingError, match="not a valid identifier"):
        queries.load("item_vector_index", GraphMapping(), {"embedding": "x` = 1 //"})
    with pytest.raises(SocialrecError, match="unknown placeholder"):
        queries.load("item_vector_index", GraphMapping())


def test_schema_statements_are_idempotent_and_named_by_parameter() -> None:
    m = GraphMapping(user="Person", user_id="personId")
    q = queries.load("schema_unique_id", m, {"label": m.user, "key": m.user_id})
    assert "CREATE CONSTRAINT $name IF NOT EXISTS FOR (n:`Person`)" in q
    assert "n.`personId` IS UNIQUE" in q
    assert "IF NOT EXISTS" in queries.load("schema_time_index", m)


def test_unknown_placeholder_and_missing_file_are_errors() -> None:
    with pytest.raises(SocialrecError, match="unknown placeholder"):
        queries.render("MATCH (n:${Nope}) RETURN n", GraphMapping())
    with pytest.raises(SocialrecError, match="no query file"):
        queries.load("does_not_exist", GraphMapping())
    with pytest.raises(SocialrecError, match="not 1"):
        queries.load("writeback_schema", GraphMapping())
