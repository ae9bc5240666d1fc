"""Embeddings on nodes and the slot's vector index (socialrec/writeback/embeddings.py).

Recording fake; ``test_writer.py::test_embedding_slots_alternate_and_follow_the_model_size``
runs the same against the real server's vector indexes.
"""

from __future__ import annotations

import numpy as np
import torch

from socialrec.mapping import GraphMapping
from socialrec.score import Scorer
from socialrec.writeback.embeddings import clear_slot, ensure_vector_index, write_embeddings
from tests.fakes import RecordingRunner, query_name
from tests.helpers import checkpoint_for, synthetic_snapshot

MAPPING = GraphMapping()


def scorer(users: int = 30, items: int = 20, dim: int = 6) -> Scorer:
    snap = synthetic_snapshot(users, items)
    g = torch.Generator().manual_seed(0)
    ck = checkpoint_for(
        snap, torch.randn(users, dim, generator=g), torch.randn(items, dim, generator=g)
    )
    return Scorer.from_checkpoint(ck, snap)


def test_clearing_a_slot_empties_it_before_indexing_it() -> None:
    db = RecordingRunner()
    clear_slot(db, MAPPING, slot=1, dimensions=6)
    assert db.names() == ["clear_embeddings", "clear_embeddings", "item_vector_index"]
    assert db.names("reads") == ["vector_index_dimensions"]
    prop = "socialrec_user_interacted_item_embedding_1"
    assert all(f"`{prop}`" in q for q, _ in db.writes)


def test_a_full_run_writes_every_node_as_a_vector_property() -> None:
    db = RecordingRunner()
    s = scorer()
    users, items = write_embeddings(db, MAPPING, s, slot=1, incremental=False, per_transaction=8)
    assert (users, items) == (30, 20)
    names = db.names()
    assert names.count("write_user_embeddings") == 4 and names.count("write_item_embeddings") == 3
    assert len(names) == 7
    prop = "socialrec_user_interacted_item_embedding_1"
    writes = [(query_name(q), q, p) for q, p in db.writes]
    # the property name travels as a value: the procedure stores 32-bit floats
    assert all("db.create.setNodeVectorProperty(n, $property" in q for _, q, _ in writes)
    assert all(p["property"] == prop for _, _, p in writes)
    for node_type, emb in (("user", s.user_embedding), ("item", s.item_embedding)):
        sent: dict[object, list[float]] = {}
        for name, _, p in writes:
            if name == f"write_{node_type}_embeddings":
                sent.update(zip(p["ids"], p["vectors"], strict=True))
        ids = s.snapshot.ids[node_type]
        assert set(sent) == set(ids.tolist())
        assert np.allclose([sent[i] for i in ids.tolist()], emb.numpy(), atol=1e-6)


def test_an_incremental_run_writes_only_inductive_nodes_and_keeps_the_index() -> None:
    db = RecordingRunner()
    s = scorer()
    s.inductive["user"] = np.array([4])
    s.inductive["item"] = np.empty(0, dtype=np.int64)
    assert write_embeddings(db, MAPPING, s, slot=0, incremental=True, per_transaction=8) == (1, 0)
    assert db.names() == ["write_user_embeddings"]
    ((_, params),) = db.writes
    assert params["ids"] == [s.snapshot.ids["user"][4]]


def test_the_index_is_recreated_only_when_the_model_size_changed() -> None:
    same = RecordingRunner(answers={"vector_index_dimensions": [{"dimensions": 6}]})
    ensure_vector_index(same, MAPPING, 0, 6)
    assert same.names() == ["item_vector_index"]
    other = RecordingRunner(answers={"vector_index_dimensions": [{"dimensions": 64}]})
    ensure_vector_index(other, MAPPING, 0, 6)
    assert other.names() == ["drop_index", "item_vector_index"]
    assert other.writes[1][1] == {"name": "socialrec_user_interacted_item_items_0", "dimensions": 6}
