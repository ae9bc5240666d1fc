"""The command line, end to end against the real server."""

import json
from pathlib import Path

import numpy as np
import pytest

from socialrec.config import ConnectionSettings
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.synthetic import SyntheticConfig, SyntheticGraph
from tests.helpers import run_cli


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


@pytest.mark.integration
def test_load_tsv_inspect_and_mapping_mismatch(
    db: Neo4jRunner,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inter = tmp_path / "i.tsv"
    inter.write_text("u1\ti1\t2\nu2\ti1\t1\n")
    friends = tmp_path / "f.tsv"
    friends.write_text("u1\tu2\n")
    code, out, err = run_cli(
        [
            "load",
            "tsv",
            "--interactions",
            str(inter),
            "--weight-col",
            "3",
            "--friendships",
            str(friends),
        ],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "interactions" in out and "2 rows" in out

    code, out, _ = run_cli(["inspect"], neo4j_settings, monkeypatch, capsys)
    assert code == 0
    assert "GDS:   2.13" in out
    assert "labels.user" in out and "ok" in out

    mapping = tmp_path / "m.toml"
    mapping.write_text('[labels]\nuser = "Person"\n')
    code, out, err = run_cli(
        ["--mapping", str(mapping), "inspect"], neo4j_settings, monkeypatch, capsys
    )
    assert code == 1 and "MISSING" in out and "does not match" in err


@pytest.mark.integration
def test_malformed_file_exit_code_and_message(
    db: Neo4jRunner,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n3\n")
    code, _, err = run_cli(
        ["load", "tsv", "--interactions", str(bad), "--id-type", "int"],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 1
    assert f"error: {bad}:2: expected at least 2" in err


@pytest.mark.integration
def test_load_synthetic_matches_the_generator(
    db: Neo4jRunner,
    neo4j_settings: ConnectionSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [
        "load",
        "synthetic",
        "--users",
        "400",
        "--items",
        "150",
        "--attributes",
        "10",
        "--communities",
        "5",
        "--seed",
        "3",
    ]
    code, _, err = run_cli(args, neo4j_settings, monkeypatch, capsys)
    assert code == 0, err
    config = SyntheticConfig(users=400, items=150, attributes=10, communities=5, seed=3)
    chunks = list(SyntheticGraph(config).user_chunks())
    fa = np.concatenate([c.friend_a for c in chunks])
    fb = np.concatenate([c.friend_b for c in chunks])
    n_pairs = len(np.unique(np.stack([fa, fb]), axis=1).T)
    n_inter = sum(len(c.users) for c in chunks)
    got = db.read("MATCH ()-[r:INTERACTED]->() RETURN count(r) AS n")[0]["n"]
    assert got == n_inter
    got = db.read("MATCH ()-[r:FRIENDS_WITH]->() RETURN count(r) AS n")[0]["n"]
    assert got == n_pairs
    kinds = db.read("MATCH (a:Attribute) RETURN DISTINCT a.kind AS k")
    assert kinds == [{"k": "genre"}]


@pytest.mark.integration
def test_export_full_subgraph_incremental_and_mismatch(
    db: Neo4jRunner,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from socialrec.export import GraphSnapshot

    inter = tmp_path / "i.tsv"
    inter.write_text("u1\ti1\t2\t100\nu2\ti1\t1\t100\nu3\ti2\t1\t100\n")
    friends = tmp_path / "f.tsv"
    friends.write_text("u1\tu2\n")
    code, _, err = run_cli(
        [
            "load",
            "tsv",
            "--interactions",
            str(inter),
            "--weight-col",
            "3",
            "--time-col",
            "4",
            "--friendships",
            str(friends),
        ],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    full = tmp_path / "full.pt"
    code, out, err = run_cli(["export", "--out", str(full)], neo4j_settings, monkeypatch, capsys)
    assert code == 0, err
    assert "nodes: user 3, item 2" in out
    snap = GraphSnapshot.load(full)
    assert snap.data["user", "friends", "user"].edge_index.shape[1] == 2

    sub = tmp_path / "sub.pt"
    code, out, err = run_cli(
        ["export", "--out", str(sub), "--user", "u3", "--hops", "1"],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert sorted(GraphSnapshot.load(sub).ids["item"].tolist()) == ["i2"]

    db.write(
        "MATCH (u:User {id: 'u3'}), (i:Item {id: 'i1'}) "
        "CREATE (u)-[:INTERACTED {weight: 1.0, ts: 200}]->(i)"
    )
    inc = tmp_path / "inc.pt"
    code, out, err = run_cli(
        ["export", "--out", str(inc), "--incremental-from", str(full)],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "changed: 1 users" in out
    assert GraphSnapshot.load(inc).report.edges["interacts"] == 4

    mapping = tmp_path / "m.toml"
    mapping.write_text('[properties]\nweight = "rating"\n')
    code, _, err = run_cli(
        [
            "--mapping",
            str(mapping),
            "export",
            "--out",
            str(tmp_path / "x.pt"),
            "--incremental-from",
            str(full),
        ],
        neo4j_settings,
        monkeypatch,
        capsys,
    )
    assert code == 1 and "current mapping" in err


def test_train_and_evaluate_from_a_snapshot_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from socialrec.checkpoint import Checkpoint
    from tests.helpers import synthetic_snapshot

    snap_path = synthetic_snapshot(users=200, items=80).save(tmp_path / "s.pt")
    common = [
        "--snapshot",
        str(snap_path),
        "--epochs",
        "3",
        "--eval-every",
        "1",
        "--embedding-dim",
        "8",
        "--num-layers",
        "1",
        "--device",
        "cpu",
    ]
    code, out, err = run_cli(
        [
            "train",
            *("--model", "lightgcn", "--loss", "softmax", "--softmax-temperature", "0.2"),
            *("--out", str(tmp_path / "run"), *common),
        ],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    checkpoint = Checkpoint.load(tmp_path / "run" / "checkpoint.pt")
    assert checkpoint.model == "lightgcn"
    assert checkpoint.config["loss"] == "softmax"
    assert checkpoint.config["softmax_temperature"] == 0.2
    assert "| lightgcn | 1 |" in out
    code, out, err = run_cli(
        [
            "evaluate",
            "--models",
            "popularity,mf",
            "--seeds",
            "0,1",
            "--ensemble",
            "2",
            "--out",
            str(tmp_path / "cmp"),
            *common,
        ],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "| mf (ensemble of 2) | 2 |" in (tmp_path / "cmp" / "report.md").read_text()
    report = json.loads((tmp_path / "cmp" / "report.json").read_text())
    assert [r["train"]["config"]["ensemble"] for r in report] == [2, 2, 2, 2]
    code, _, err = run_cli(
        ["evaluate", "--models", "nope", "--out", str(tmp_path / "x"), *common],
        None,
        monkeypatch,
        capsys,
    )
    assert code == 2 and "unknown models" in err


@pytest.mark.integration
def test_train_writeback_recommend_and_runs(
    db: Neo4jRunner,
    neo4j_settings: ConnectionSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def cli(*args: str) -> str:
        code, out, err = run_cli(list(args), neo4j_settings, monkeypatch, capsys)
        assert code == 0, err
        return out

    cli("load", "synthetic", "--users", "300", "--items", "120", "--attributes", "6", "--seed", "1")
    snap = str(tmp_path / "snap.pt")
    cli("export", "--out", snap)
    model = tmp_path / "model"
    cli(
        "train", "--model", "social", "--snapshot", snap, "--epochs", "2", "--eval-every", "1",
        "--embedding-dim", "8", "--device", "cpu", "--out", str(model),
    )  # fmt: skip
    checkpoint = str(model / "checkpoint.pt")
    out = cli("writeback", "--checkpoint", checkpoint, "--snapshot", snap, "--k", "5")
    assert "300 users" in out and "1,500 RECOMMENDED" in out
    n = db.read("MATCH (:User)-[r:RECOMMENDED]->(:Item) RETURN count(r) AS n")[0]["n"]
    assert n == 1500

    # candidate filters: one attribute only, and never the items matching a predicate
    attr = db.read("MATCH (a:Attribute) RETURN a.id AS a ORDER BY a LIMIT 1")[0]["a"]
    banned = [r["i"] for r in db.read("MATCH (i:Item) RETURN i.id AS i ORDER BY i LIMIT 20")]
    cli(
        "writeback", "--checkpoint", checkpoint, "--snapshot", snap, "--k", "3",
        "--attribute", str(attr), "--exclude-items-where", "n.id IN $banned",
        "--param", f"banned={banned}",
    )  # fmt: skip
    bad = db.read(
        """
        MATCH (run:RecommendationRun {current: true})
        MATCH (:User)-[r:RECOMMENDED]->(i:Item) WHERE r.run_id IN run.serves
          AND (i.id IN $banned OR NOT EXISTS { (i)-[:HAS_ATTRIBUTE]->(:Attribute {id: $a}) })
        RETURN count(r) AS n
        """,
        {"banned": banned, "a": attr},
    )[0]["n"]
    assert bad == 0

    user = db.read(
        "MATCH (u:User)-[r:RECOMMENDED]->() WHERE size(r.because) > 0 RETURN u.id AS u LIMIT 1"
    )[0]["u"]
    out = cli("recommend", str(user), "--k", "3", "--explain")
    assert "cypher/recommend.cypher" in out and "friends:" in out
    # an id that names nobody is an error, not the popular list (integer ids here)
    code, out, err = run_cli(["recommend", "99999"], neo4j_settings, monkeypatch, capsys)
    assert code == 1 and "no User node has id = 99999" in err
    code, out, err = run_cli(
        ["recommend", str(user), "--k", "0"], neo4j_settings, monkeypatch, capsys
    )
    assert code == 2 and "--k" in err
    out = cli("runs")
    lines = [ln for ln in out.splitlines() if " complete " in ln]
    assert len(lines) == 2 and "yes" in lines[0]
