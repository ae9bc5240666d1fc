"""socialrec export: full, subgraph, incremental, and what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from socialrec.export import GraphSnapshot
from socialrec.fileformat import digest
from socialrec.graph.runner import Neo4jRunner
from tests.helpers import load_tsv_args, synthetic_snapshot

CLI = Callable[..., tuple[int, str, str]]


@pytest.mark.integration
def test_export_full_subgraph_incremental_and_mismatch(
    db: Neo4jRunner,
    socialrec_cli: CLI,
    tmp_path: Path,
) -> None:
    from socialrec.export import GraphSnapshot

    rows = "u1\ti1\t2\t100\nu2\ti1\t1\t100\nu3\ti2\t1\t100\n"
    code, _, err = socialrec_cli(*load_tsv_args(tmp_path, rows, "u1\tu2\n"))
    assert code == 0, err
    full = tmp_path / "full.pt"
    code, out, err = socialrec_cli(*["export", "--out", str(full)])
    assert code == 0, err
    assert "nodes: user 3, item 2" in out
    snap = GraphSnapshot.load(full)
    assert snap.data["user", "friends", "user"].edge_index.shape[1] == 2

    sub = tmp_path / "sub.pt"
    code, out, err = socialrec_cli(*["export", "--out", str(sub), "--user", "u3", "--hops", "1"])
    assert code == 0, err
    assert sorted(GraphSnapshot.load(sub).ids["item"].tolist()) == ["i2"]

    db.write(
        "MATCH (u:User {id: 'u3'}), (i:Item {id: 'i1'}) "
        "CREATE (u)-[:INTERACTED {weight: 1.0, ts: 200}]->(i)"
    )
    inc = tmp_path / "inc.pt"
    code, out, err = socialrec_cli(*["export", "--out", str(inc), "--incremental-from", str(full)])
    assert code == 0, err
    assert "changed: 1 users" in out
    assert GraphSnapshot.load(inc).report.edges["interacts"] == 4

    mapping = tmp_path / "m.toml"
    mapping.write_text('[properties]\nweight = "rating"\n')
    code, _, err = socialrec_cli(
        *[
            "--mapping",
            str(mapping),
            "export",
            "--out",
            str(tmp_path / "x.pt"),
            "--incremental-from",
            str(full),
        ]
    )
    assert code == 1 and "current mapping" in err


def test_a_snapshot_with_edges_out_of_range_is_refused(tmp_path: Path) -> None:
    snap = synthetic_snapshot(users=40, items=20)
    path = snap.save(tmp_path / "s.pt")
    payload = torch.load(path, weights_only=True)
    payload.pop("digest")
    # corrupt the edges and re-sign, as a buggy tool (not a bit flip) would
    payload["data"]["user/interacts/item"]["edge_index"][1, 0] = 10_000
    payload["digest"] = digest(payload)
    torch.save(payload, path)
    with pytest.raises(Exception, match="points outside the 20 item nodes"):
        GraphSnapshot.load(path)
