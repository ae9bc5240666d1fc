"""A run's embeddings on user and item nodes, and the vector index over its items.

Each run writes its slot (see :mod:`.runs`): a full run empties the slot the
current run does not use, (re)creates the slot's cosine vector index and writes
every node into it (``recommend_cold_start.cypher`` and
``similar_items.cypher`` query it); an incremental run shares the current
run's slot and adds only the nodes that got an embedding inductively.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from socialrec import queries
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping
from socialrec.score.scorer import Scorer
from socialrec.writeback.runs import embedding_property, item_index_name


def clear_slot(runner: QueryRunner, mapping: GraphMapping, slot: int, dimensions: int) -> None:
    """Empty the slot a full run is about to fill, and make sure its vector index exists.

    The slot is the one the current run does not use, so no query reads it.
    """
    extra = {"embedding": embedding_property(mapping, slot)}
    for statement in queries.load_all("clear_embeddings", mapping, extra):
        runner.write_autocommit(statement)
    ensure_vector_index(runner, mapping, slot, dimensions)


def write_embeddings(
    runner: QueryRunner,
    mapping: GraphMapping,
    scorer: Scorer,
    slot: int,
    incremental: bool,
    per_transaction: int,
    check: Callable[[], None] = lambda: None,
) -> tuple[int, int]:
    """Write the slot's embeddings; ``(users, items)`` written. ``check`` runs per batch.

    A full run writes every node with an embedding into a slot :func:`clear_slot`
    emptied; an incremental run only the nodes embedded inductively.
    """
    if incremental:
        user_rows, item_rows = scorer.inductive["user"], scorer.inductive["item"]
    else:
        user_rows = np.flatnonzero(scorer.user_known)
        item_rows = np.flatnonzero(scorer.item_known)
    prop = embedding_property(mapping, slot)
    for node_type, rows, emb in (
        ("user", user_rows, scorer.user_embedding),
        ("item", item_rows, scorer.item_embedding),
    ):
        query = queries.load(f"write_{node_type}_embeddings", mapping)
        ids = scorer.snapshot.ids[node_type]
        for start in range(0, len(rows), per_transaction):
            check()
            part = rows[start : start + per_transaction]
            vectors = emb[torch.as_tensor(part)].tolist()
            runner.write(query, {"ids": ids[part].tolist(), "vectors": vectors, "property": prop})
    return len(user_rows), len(item_rows)


def ensure_vector_index(
    runner: QueryRunner, mapping: GraphMapping, slot: int, dimensions: int
) -> None:
    """The slot's item vector index, recreated when the model's size changed."""
    name = item_index_name(mapping, slot)
    rows = runner.read(queries.load("vector_index_dimensions", mapping), {"name": name})
    if rows and rows[0]["dimensions"] != dimensions:
        runner.write(queries.load("drop_index", mapping), {"name": name})
    extra = {"embedding": embedding_property(mapping, slot)}
    runner.write(
        queries.load("item_vector_index", mapping, extra), {"name": name, "dimensions": dimensions}
    )
