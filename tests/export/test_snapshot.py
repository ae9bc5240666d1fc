from pathlib import Path

import numpy as np
import pytest
import torch

from socialrec.export.snapshot import (
    FRIENDS,
    INTERACTS,
    REV_INTERACTS,
    ExportReport,
    GraphSnapshot,
    SnapshotMismatchError,
)
from socialrec.export.tables import EdgeList, NodeTable, build_hetero_data
from socialrec.mapping import GraphMapping


def tiny(ids_dtype: type = np.int64) -> GraphSnapshot:
    users = NodeTable(
        "user",
        np.arange(3),
        np.array([10, 20, 30], dtype=ids_dtype)
        if ids_dtype is np.int64
        else np.array(["a", "b", "c"], dtype=object),
    )
    items = NodeTable("item", np.arange(2), np.array([7, 8]))
    attrs = NodeTable("attribute", np.arange(1), np.array([1]))
    inter = EdgeList(
        np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([1.0, 2.0, np.nan]), np.array([5, 6, -1])
    )
    friends = EdgeList(np.array([0, 1]), np.array([1, 0]))
    has = EdgeList(np.array([0]), np.array([0]), np.array([3.0]))
    data = build_hetero_data(users, items, attrs, inter, friends, has)
    return GraphSnapshot(
        data=data,
        ids={"user": users.ids, "item": items.ids, "attribute": attrs.ids},
        mapping=GraphMapping(),
        watermark=6,
        report=ExportReport(nodes={"user": 3}),
        degrees={"user.interacted": np.array([1, 1, 1])},
    )


def test_hetero_data_layout() -> None:
    data = tiny().data
    assert data[INTERACTS].edge_index.tolist() == [[0, 1, 2], [0, 0, 1]]
    assert torch.equal(data[REV_INTERACTS].edge_index, data[INTERACTS].edge_index.flip(0))
    assert data[INTERACTS].edge_weight.dtype == torch.float32
    assert data[FRIENDS].edge_index.tolist() == [[0, 1], [1, 0]]
    assert data["user"].num_nodes == 3 and data["attribute"].num_nodes == 1


@pytest.mark.parametrize("dtype", [np.int64, object])
def test_round_trip_loads_with_weights_only(tmp_path: Path, dtype: type) -> None:
    snap = tiny(dtype)
    path = snap.save(tmp_path / "s.pt")
    torch.load(path, weights_only=True)  # no pickled code inside
    back = GraphSnapshot.load(path, mapping=GraphMapping())
    assert back.ids["user"].tolist() == snap.ids["user"].tolist()
    assert torch.equal(back.data[INTERACTS].edge_index, snap.data[INTERACTS].edge_index)
    assert torch.allclose(
        back.data[INTERACTS].edge_weight, snap.data[INTERACTS].edge_weight, equal_nan=True
    )
    assert back.watermark == 6 and back.report.nodes == {"user": 3}
    assert back.degrees["user.interacted"].tolist() == [1, 1, 1]


def test_mismatched_mapping_is_refused(tmp_path: Path) -> None:
    path = tiny().save(tmp_path / "s.pt")
    with pytest.raises(SnapshotMismatchError, match="current mapping"):
        GraphSnapshot.load(path, mapping=GraphMapping(user="Person"))


def test_garbage_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a snapshot")
    with pytest.raises(SnapshotMismatchError, match="not a socialrec snapshot"):
        GraphSnapshot.load(bad)
    torch.save({"kind": "socialrec-snapshot", "format_version": 99}, bad)
    with pytest.raises(SnapshotMismatchError, match="format 99"):
        GraphSnapshot.load(bad)
    with pytest.raises(SnapshotMismatchError, match="no such file"):
        GraphSnapshot.load(tmp_path / "missing.pt")


def test_index_of_maps_ids_back() -> None:
    snap = tiny()
    assert snap.index_of("user", [30, 10, 99]).tolist() == [2, 0, -1]
    assert tiny(object).index_of("user", ["c", "zz"]).tolist() == [2, -1]


def test_schema_hash_depends_on_features() -> None:
    a, b = tiny(), tiny()
    b.data["user"].x = torch.zeros(3, 2)
    assert a.schema_hash != b.schema_hash
