"""The indexes socialrec needs (socialrec/graph/indexes.py): reuse the user's, create the rest.

Recording fake for the decisions; ``tests/existing_db`` runs them on a real server.
"""

from __future__ import annotations

from typing import Any

from socialrec.graph.indexes import apply_schema, drop_schema, owned_schema
from socialrec.mapping import GraphMapping
from tests.fakes import RecordingRunner

MOVIES = GraphMapping(
    user="Person",
    item="Movie",
    interacted="RATED",
    user_id="personId",
    item_id="movieId",
    timestamp="timestamp",
)


def index(name: str, label: str, *props: str, constraint: str | None = None, **kw: Any) -> dict:
    return {
        "name": name,
        "type": kw.get("type", "RANGE"),
        "entityType": kw.get("entity", "NODE"),
        "labelsOrTypes": [label],
        "properties": list(props),
        "owningConstraint": constraint,
    }


def fake(indexes: list[dict], constraints: list[str] = ()) -> RecordingRunner:  # type: ignore[assignment]
    def answer(query: str, params: dict) -> list[dict]:
        if query.startswith("SHOW INDEXES"):
            return indexes
        if query.startswith("SHOW CONSTRAINTS"):
            return [{"name": c} for c in constraints]
        return []

    return RecordingRunner(answer=answer)


def test_the_users_own_indexes_and_constraints_are_reused_not_duplicated() -> None:
    db = fake(
        [
            index("person_id", "Person", "personId"),  # the user's plain index
            index("movie_key", "Movie", "movieId", constraint="movie_unique"),
            index("rated_at", "RATED", "timestamp", entity="RELATIONSHIP"),
        ]
    )
    steps = {s.target: s for s in apply_schema(db, MOVIES)}
    person = steps[":Person(personId)"]
    assert (person.action, person.name) == ("reused", "person_id")
    assert "not a uniqueness constraint" in person.note
    assert (steps[":Movie(movieId)"].action, steps[":Movie(movieId)"].name) == (
        "reused",
        "movie_unique",
    )
    assert steps["[:RATED](timestamp)"].action == "reused"
    # only the attribute constraint was missing, so that is the only write
    created = [s for s in steps.values() if s.action == "created"]
    assert [s.target for s in created] == [":Attribute(kind, id)"]
    assert [p["name"] for _, p in db.writes] == [created[0].name]
    assert created[0].name.startswith("socialrec_")


def test_an_empty_database_gets_every_index_named_socialrec() -> None:
    db = fake([])
    steps = apply_schema(db, MOVIES)
    assert {s.action for s in steps} == {"created"}
    names = [p["name"] for _, p in db.writes]
    assert len(names) == len(steps) == 4 and all(n.startswith("socialrec_") for n in names)


def test_only_socialrecs_own_schema_is_listed_and_dropped() -> None:
    db = fake(
        [
            index("person_id", "Person", "personId"),
            index("socialrec_time_rated_timestamp", "RATED", "timestamp"),
            index(
                "socialrec_unique_movie_movieid",
                "Movie",
                "movieId",
                constraint="socialrec_unique_movie_movieid",
            ),
            index("socialrec_person_rated_movie_items_0", "Movie", "e", type="VECTOR"),
            index("socialrec_other_items_0", "Movie", "e", type="VECTOR"),
        ],
        constraints=["socialrec_unique_movie_movieid", "movie_unique"],
    )
    everything = owned_schema(db)
    assert ("CONSTRAINT", "socialrec_unique_movie_movieid") in everything
    assert ("INDEX", "socialrec_unique_movie_movieid") not in everything  # goes with it
    assert all(name.startswith("socialrec_") for _, name in everything)
    one = owned_schema(db, "person_rated_movie")
    assert one == [("INDEX", "socialrec_person_rated_movie_items_0")]
    drop_schema(db, one)
    assert db.writes == [("DROP INDEX $name IF EXISTS", {"name": one[0][1]})]
