"""socialrec writeback / recommend / runs against the real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialrec.graph.runner import Neo4jRunner

CLI = Callable[..., tuple[int, str, str]]


@pytest.mark.integration
def test_train_writeback_recommend_and_runs(
    db: Neo4jRunner,
    socialrec_cli: CLI,
    tmp_path: Path,
) -> None:
    def cli(*args: str) -> str:
        code, out, err = socialrec_cli(*list(args))
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
        "MATCH (u:User)-[r:RECOMMENDED]->(i) "
        "WHERE EXISTS { (u)-[:FRIENDS_WITH]-(:User)-[:INTERACTED]->(i) } RETURN u.id AS u LIMIT 1"
    )[0]["u"]
    out = cli("recommend", str(user), "--k", "3", "--explain")
    assert "cypher/recommend.cypher" in out and "friends:" in out
    # an id that names nobody is an error, not the popular list (integer ids here)
    code, out, err = socialrec_cli(*["recommend", "99999"])
    assert code == 1 and "no User node has id = 99999" in err
    code, out, err = socialrec_cli(*["recommend", str(user), "--k", "0"])
    assert code == 2 and "--k" in err
    out = cli("runs")
    lines = [ln for ln in out.splitlines() if " complete " in ln]
    assert len(lines) == 2 and "yes" in lines[0]


@pytest.mark.integration
def test_string_user_for_integer_ids(
    db: object,
    socialrec_cli: CLI,
    tmp_path: Path,
) -> None:
    from socialrec.graph.runner import Neo4jRunner
    from socialrec.load.writer import GraphWriter

    assert isinstance(db, Neo4jRunner)
    GraphWriter(db).interactions([1, 2], [10, 11], None, None)
    out = str(tmp_path / "x.pt")
    code, _, err = socialrec_cli(*["export", "--out", out, "--user", "abc"])
    assert code == 1 and "this graph's ids are integers, and 'abc' is not one" in err
    code, _, err = socialrec_cli(*["export", "--out", out, "--user", "1"])
    assert code == 0, err


@pytest.mark.integration
def test_integer_user_id_found_whatever_node_comes_first(
    db: Neo4jRunner, socialrec_cli: CLI
) -> None:
    from socialrec.load.writer import GraphWriter

    # the first User in store order has no id, another a string id: neither
    # decides how "1" is read
    db.write("CREATE (:User {name: 'no id yet'}), (:User {id: 'u-7'})")
    GraphWriter(db).interactions([1, 2], [10, 11], None, None)
    code, out, err = socialrec_cli(*["recommend", "1"])
    assert code == 0, err
    assert "no recommendations for 1: no current run" in out
    code, out, err = socialrec_cli(*["recommend", "u-7"])
    assert code == 0 and "no recommendations for 'u-7'" in out, err
