"""Reading recommendations back: the same Cypher files a user runs in Neo4j Browser.

:func:`recommend` tries, in order, what ``socialrec recommend`` prints:

1. ``recommend.cypher``: the stored top-K of the current run;
2. ``recommend_cold_start.cypher``: a user the run did not score but who has
   friends or interactions with stored embeddings (computed in the database);
3. ``popular_fallback.cypher``: everyone else, including unknown users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from socialrec import queries
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping

SOURCES = ("recommend", "recommend_cold_start", "popular_fallback")

#: ``recommend_cold_start.cypher``'s recency decay :math:`\tau` in days: a
#: user's item (or friend) of 90 days before their newest weighs :math:`1/e`.
#: ``None``: everything alike. Graphs without interaction times are unaffected.
COLD_START_RECENCY_DAYS = 90.0


@dataclass
class Served:
    """Recommendations for one user and the query file that produced them."""

    user: Any
    source: str
    rows: list[dict[str, Any]] = field(default_factory=list)


def recommend(
    runner: QueryRunner,
    mapping: GraphMapping,
    user: Any,
    k: int = 10,
    recency_days: float | None = COLD_START_RECENCY_DAYS,
) -> Served:
    """The first of :data:`SOURCES` that has rows for ``user`` (``recency_days``:
    the cold-start query's decay)."""
    params = {
        "namespace": mapping.output_namespace,
        "user": user,
        "k": k,
        "recency_days": recency_days,
    }
    for source in SOURCES:
        rows = runner.read(queries.load(source, mapping), params)
        if rows:
            return Served(user, source, rows)
    return Served(user, "none")


def user_exists(runner: QueryRunner, mapping: GraphMapping, user: Any) -> bool:
    """Whether a node of the mapped user label has this id."""
    query = queries.render(
        "MATCH (u:${User} {${user_id}: $user}) RETURN count(u) > 0 AS ok", mapping
    )
    return bool(runner.read(query, {"user": user})[0]["ok"])


def explain(
    runner: QueryRunner, mapping: GraphMapping, user: Any, item: Any, limit: int = 3
) -> dict[str, Any]:
    """``explain.cypher`` for one (user, item): friends who interacted (with the
    date of their latest interaction), shared attributes, and the user's recent
    interactions with items alike (``recently``, with dates)."""
    rows = runner.read(
        queries.load("explain", mapping),
        {"namespace": mapping.output_namespace, "user": user, "item": item, "limit": limit},
    )
    return rows[0] if rows else {}
