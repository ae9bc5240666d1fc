"""The root group: connection settings and mapping checks before any query, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialrec.config import ConnectionSettings
from tests.helpers import NOWHERE, run_cli


def test_hostile_mapping_is_refused_before_any_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[labels]\nuser = "a`) DETACH DELETE n //"\n')
    settings = ConnectionSettings("bolt://127.0.0.1:1", "neo4j", "x")  # never reached
    code, _, err = run_cli(["--mapping", str(mapping), "schema"], settings, monkeypatch, capsys)
    assert code == 1
    assert err.startswith("error: ") and "labels.user" in err and "not a valid identifier" in err


def test_no_server_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("SOCIALREC_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["inspect"], None, monkeypatch, capsys)
    assert code == 1 and "NEO4J_URI" in err and "socialrec neo4j start" in err
    code, out, _ = run_cli(["neo4j", "status"], None, monkeypatch, capsys)
    assert code == 3 and "not running" in out


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
