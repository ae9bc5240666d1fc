"""An existing database socialrec did not create, built with raw Cypher.

``(:Person {personId})-[:KNOWS]->(:Person)`` with friendships stored in *both*
directions, ``(:Person)-[:RATED {rating, timestamp}]->(:Movie {movieId, title})``,
``(:Movie)-[:IN_GENRE]->(:Genre {name})``, a second product
``(:Person)-[:WATCHED]->(:Movie)``, nodes of unrelated labels, a person without
an id, and an index of the user's own on ``Person.personId``. Ids are strings
(``"p-17"``) or integers, by parameter.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialrec.graph.runner import Neo4jRunner

N_PEOPLE, N_MOVIES, N_GENRES = 60, 40, 4

MAPPING_TOML = """
[labels]
user = "Person"
item = "Movie"
attribute = "Genre"

[relationships]
interacted = "{interacted}"
friends = "KNOWS"
has_attribute = "IN_GENRE"

[properties]
user_id = "personId"
item_id = "movieId"
attribute_id = "name"
weight = "rating"
timestamp = "timestamp"
item_name = "title"
"""


@dataclass
class ExistingDb:
    runner: Neo4jRunner
    id_kind: str
    mapping: Path  # RATED
    second_mapping: Path  # WATCHED: another product in the same database

    def person(self, n: int) -> Any:
        return f"p-{n}" if self.id_kind == "str" else n

    def movie(self, n: int) -> Any:
        return f"m-{n}" if self.id_kind == "str" else 1000 + n

    def rate(self, person: Any, movie: Any) -> None:
        """The user's own change, as their application would write it: a new rating."""
        self.runner.write(
            """
            MATCH (p:Person {personId: $p}), (m:Movie {movieId: $m})
            CREATE (p)-[:RATED {rating: 5.0, timestamp: 1700000000}]->(m)
            """,
            {"p": person, "m": movie},
        )


def user_data_checksum(runner: Neo4jRunner) -> str:
    """Every node, relationship and property that is not socialrec's own."""
    nodes = runner.read(
        """
        MATCH (n) WHERE NOT n:RecommendationRun AND NOT n:SocialrecLock
        RETURN elementId(n) AS id, labels(n) AS labels,
               [k IN keys(n) WHERE NOT k STARTS WITH 'socialrec_' | [k, n[k]]] AS props
        """
    )
    rels = runner.read(
        """
        MATCH (a)-[r]->(b) WHERE type(r) <> 'RECOMMENDED'
        RETURN elementId(r) AS id, type(r) AS type, elementId(a) AS a, elementId(b) AS b,
               [k IN keys(r) | [k, r[k]]] AS props
        """
    )
    for row in nodes:
        row["labels"] = sorted(row["labels"])
    for rows in (nodes, rels):
        for row in rows:
            row["props"] = sorted(row["props"])
        rows.sort(key=lambda r: r["id"])
    blob = json.dumps([nodes, rels], sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def build(runner: Neo4jRunner, id_kind: str) -> None:
    rng = np.random.default_rng(7)

    def pid(n: int) -> Any:
        return f"p-{n}" if id_kind == "str" else n

    def mid(n: int) -> Any:
        return f"m-{n}" if id_kind == "str" else 1000 + n

    runner.write("CREATE INDEX person_by_id IF NOT EXISTS FOR (p:Person) ON (p.personId)")
    runner.write(
        "UNWIND $g AS g CREATE (:Genre {name: g})", {"g": [f"genre-{k}" for k in range(N_GENRES)]}
    )
    runner.write(
        "UNWIND $rows AS r CREATE (:Movie {movieId: r.id, title: r.title})",
        {"rows": [{"id": mid(m), "title": f"Movie {m}"} for m in range(N_MOVIES)]},
    )
    runner.write(
        """
        UNWIND $rows AS r MATCH (m:Movie {movieId: r.m}), (g:Genre {name: r.g})
        CREATE (m)-[:IN_GENRE]->(g)
        """,
        {"rows": [{"m": mid(m), "g": f"genre-{m % N_GENRES}"} for m in range(N_MOVIES)]},
    )
    runner.write(
        "UNWIND $ids AS id CREATE (:Person {personId: id, name: 'person ' + toString(id)})",
        {"ids": [pid(p) for p in range(N_PEOPLE)]},
    )
    # taste follows the genre of a person's community, with friends inside it
    ratings, watched, knows = [], [], []
    for p in range(N_PEOPLE):
        genre = p % N_GENRES
        liked = [m for m in range(N_MOVIES) if m % N_GENRES == genre]
        for m in rng.choice(liked, 5, replace=False):
            ratings.append(
                {
                    "p": pid(p),
                    "m": mid(int(m)),
                    "r": float(rng.integers(1, 6)),
                    "t": int(1_600_000_000 + rng.integers(0, 10**7)),
                }
            )
        for m in rng.choice(N_MOVIES, 2, replace=False):
            watched.append({"p": pid(p), "m": mid(int(m))})
        for q in (p + N_GENRES, p + 2 * N_GENRES):
            if q < N_PEOPLE:
                knows.append({"a": pid(p), "b": pid(q)})
    runner.write(
        """
        UNWIND $rows AS r MATCH (p:Person {personId: r.p}), (m:Movie {movieId: r.m})
        CREATE (p)-[:RATED {rating: r.r, timestamp: r.t}]->(m)
        """,
        {"rows": ratings},
    )
    runner.write(
        """
        UNWIND $rows AS r MATCH (p:Person {personId: r.p}), (m:Movie {movieId: r.m})
        CREATE (p)-[:WATCHED]->(m)
        """,
        {"rows": watched},
    )
    # both directions, as many databases store friendships
    runner.write(
        """
        UNWIND $rows AS r MATCH (a:Person {personId: r.a}), (b:Person {personId: r.b})
        CREATE (a)-[:KNOWS {since: 2020}]->(b), (b)-[:KNOWS {since: 2020}]->(a)
        """,
        {"rows": knows},
    )
    # what a real database also holds: other labels, and a person without an id
    runner.write(
        """
        CREATE (c:Company {name: 'Acme'}), (:Invoice {total: 12.5})
        WITH c MATCH (p:Person) WHERE p.personId IN $staff CREATE (c)-[:EMPLOYS]->(p)
        """,
        {"staff": [pid(0), pid(1)]},
    )
    runner.write(
        """
        MATCH (m:Movie {movieId: $m})
        CREATE (:Person {name: 'anonymous visitor'})-[:RATED {rating: 3.0}]->(m)
        """,
        {"m": mid(0)},
    )


@pytest.fixture(params=["str", "int"])
def existing_db(db: Neo4jRunner, tmp_path: Path, request: pytest.FixtureRequest) -> ExistingDb:
    build(db, request.param)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING_TOML.format(interacted="RATED"))
    second = tmp_path / "watched.toml"
    second.write_text(MAPPING_TOML.format(interacted="WATCHED"))
    return ExistingDb(db, request.param, mapping, second)
