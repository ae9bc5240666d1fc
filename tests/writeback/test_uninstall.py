"""``socialrec uninstall`` (socialrec/writeback/uninstall.py): only socialrec's own output goes.

Against the in-memory lease server; ``tests/existing_db/test_pipeline.py`` checks
on a real server that the user's data is byte-for-byte what it was.
"""

from __future__ import annotations

from typing import Any

import pytest

from socialrec.mapping import GraphMapping
from socialrec.writeback import LockError
from socialrec.writeback.uninstall import uninstall
from tests.fakes import LeaseServer, query_name

MAPPING = GraphMapping()
KEYS = [
    "id",
    "name",
    "socialrec_user_interacted_item_embedding_0",
    "socialrec_other_embedding_1",
    "socialrec",  # a user's own property that merely starts like ours
]


def database(live_writers: list[str] = ()) -> LeaseServer:  # type: ignore[assignment]
    def answer(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if "db.propertyKeys" in query:
            return [{"k": k} for k in KEYS]
        if "l.expires_at > timestamp()" in query:
            return [{"who": w} for w in live_writers]
        return []

    return LeaseServer(
        answers={"uninstall_runs": [{"id": "r1"}, {"id": "r2"}]},
        answer=answer,
        counters={
            "run_delete_recommendations": {"relationships_deleted": 10},
            "uninstall_property": {"properties_set": 3},
        },
    )


def removed_properties(db: LeaseServer) -> list[str]:
    return [q for q, _ in db.writes if query_name(q) == "uninstall_property"]


def test_a_namespace_uninstall_removes_only_that_namespaces_output() -> None:
    db = database()
    report = uninstall(db, MAPPING)
    assert report.runs == 2 and report.relationships == 20
    assert report.properties == ["socialrec_user_interacted_item_embedding_0"]
    (only,) = removed_properties(db)
    assert "`socialrec_user_interacted_item_embedding_0`" in only
    runs = next(p for q, p in db.reads if query_name(q) == "uninstall_runs")
    assert runs == {"namespace": "user_interacted_item"}
    assert "uninstall_recommended" not in db.names()  # other namespaces' rows stay


def test_everything_removes_every_namespace_and_is_refused_beside_a_live_writer() -> None:
    db = database()
    report = uninstall(db, MAPPING, everything=True)
    assert sorted(report.properties) == [
        "socialrec_other_embedding_1",
        "socialrec_user_interacted_item_embedding_0",
    ]
    assert "uninstall_recommended" in db.names()
    with pytest.raises(LockError, match=r"writers are running \(writer:other \(host:9:ab\)\)"):
        uninstall(database(["writer:other (host:9:ab)"]), MAPPING, everything=True)
