"""Bad input ends in one clear error line naming what to fix, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from socialrec.config import ConnectionSettings
from socialrec.export import GraphSnapshot
from socialrec.fileformat import digest
from tests.helpers import run_cli, synthetic_snapshot

NOWHERE = ConnectionSettings("bolt://127.0.0.1:1", "neo4j", "x")  # never reached


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["recommend", "u1", "--k", "100000000000000000000"], "--k"),
        (["recommend", "u1", "--k", "0"], "--k"),
        (["export", "--out", "x.pt", "--user", "1", "--hops", "-1"], "--hops"),
        (["writeback", "--checkpoint", "{ck}", "--k", "-5"], "writeback k must be"),
        (["writeback", "--checkpoint", "{ck}", "--keep-runs", "0"], "keep_runs must be"),
        (["load", "tsv", "--interactions", "{ck}", "--delimiter", ""], "--delimiter"),
        (["load", "tsv", "--interactions", "{ck}", "--batch-size", "0"], "--batch-size"),
        (["train", "--out", "o", "--snapshot", "{ck}", "--embedding-dim", "0"], "embedding_dim"),
    ],
)
def test_bad_options_are_named(
    args: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ck = tmp_path / "file.pt"
    ck.write_text("x")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli([a.format(ck=ck) for a in args], NOWHERE, monkeypatch, capsys)
    assert code != 0
    assert says in err and "Traceback" not in err


def test_a_uri_that_is_no_uri(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ConnectionSettings("not a uri", "neo4j", "x")
    code, _, err = run_cli(["inspect"], settings, monkeypatch, capsys)
    assert code == 1 and err.startswith("error: Neo4j URI 'not a uri' is not usable")


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


@pytest.mark.integration
def test_string_user_for_integer_ids(
    db: object,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from socialrec.graph.runner import Neo4jRunner
    from socialrec.load.writer import GraphWriter

    assert isinstance(db, Neo4jRunner)
    GraphWriter(db).interactions([1, 2], [10, 11], None, None)
    out = str(tmp_path / "x.pt")
    code, _, err = run_cli(
        ["export", "--out", out, "--user", "abc"], neo4j_settings, monkeypatch, capsys
    )
    assert code == 1 and "this graph's ids are integers, and 'abc' is not one" in err
    code, _, err = run_cli(
        ["export", "--out", out, "--user", "1"], neo4j_settings, monkeypatch, capsys
    )
    assert code == 0, err


def test_train_with_zero_epochs_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = synthetic_snapshot(users=60, items=30).save(tmp_path / "s.pt")
    args = ["train", "--snapshot", str(snap), "--out", str(tmp_path / "o"), "--epochs", "0"]
    code, _, err = run_cli(
        [*args, "--model", "mf", "--device", "cpu"], NOWHERE, monkeypatch, capsys
    )
    assert "warning: --epochs 0 trains nothing" in err
    assert code == 0, err
