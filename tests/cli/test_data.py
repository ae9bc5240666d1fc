"""socialrec load / inspect / schema, end to end against the real server."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from socialrec.graph.runner import Neo4jRunner
from socialrec.load.synthetic import SyntheticConfig, SyntheticGraph
from tests.helpers import load_tsv_args

CLI = Callable[..., tuple[int, str, str]]


@pytest.mark.integration
def test_load_tsv_inspect_and_mapping_mismatch(
    db: Neo4jRunner,
    socialrec_cli: CLI,
    tmp_path: Path,
) -> None:
    args = load_tsv_args(tmp_path, "u1\ti1\t2\nu2\ti1\t1\n", "u1\tu2\n")
    code, out, err = socialrec_cli(*args)
    assert code == 0, err
    assert "interactions" in out and "2 rows" in out

    code, out, _ = socialrec_cli(*["inspect"])
    assert code == 0
    # whatever server and GDS the user runs: the version is reported, not assumed
    assert re.search(r"GDS:\s+\d+\.\d+", out), out
    assert "labels.user" in out and "ok" in out

    mapping = tmp_path / "m.toml"
    mapping.write_text('[labels]\nuser = "Person"\n')
    code, out, err = socialrec_cli(*["--mapping", str(mapping), "inspect"])
    assert code == 1 and "MISSING" in out and "does not match" in err


@pytest.mark.integration
def test_malformed_file_exit_code_and_message(
    db: Neo4jRunner,
    socialrec_cli: CLI,
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("1\t2\n3\n")
    code, _, err = socialrec_cli(*["load", "tsv", "--interactions", str(bad), "--id-type", "int"])
    assert code == 1
    assert f"error: {bad}:2: expected at least 2" in err


@pytest.mark.integration
def test_load_synthetic_matches_the_generator(db: Neo4jRunner, socialrec_cli: CLI) -> None:
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
    code, _, err = socialrec_cli(*args)
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


def count(db: Neo4jRunner) -> int:
    return db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]


@pytest.mark.integration
def test_a_bad_file_anywhere_loads_nothing_and_says_where(
    db: Neo4jRunner, socialrec_cli: CLI, tmp_path: Path
) -> None:
    good = tmp_path / "i.csv"
    good.write_text("".join(f"u{n},m{n % 7}\n" for n in range(50)))
    late_bad = tmp_path / "late.csv"
    late_bad.write_text(good.read_text() + "u99\n")  # line 51 has one column

    def load(*args: str) -> tuple[int, str, str]:
        return socialrec_cli("load", "tsv", "--delimiter", ",", *args)

    code, _, err = load("--interactions", str(good), "--friendships", str(tmp_path / "nope.csv"))
    assert code == 1 and "nope.csv:0: file not found" in err
    code, _, err = load("--interactions", str(late_bad), "--batch-size", "10")
    assert code == 1 and "late.csv:51: expected at least 2" in err
    assert count(db) == 0  # not even the first batches

    friends = tmp_path / "f.csv"
    # both directions, and a repeated row: one friendship each
    friends.write_text("u1,u2\nu2,u1\nu1,u2\nu3,u4\n")
    code, out, err = load("--interactions", str(good), "--friendships", str(friends))
    assert code == 0, err
    assert "the database gained: users +50, items +7, interactions +50, friendships +2" in out
    code, out, err = load("--interactions", str(good), "--friendships", str(friends))
    assert code == 0 and "the database gained: nothing (all of it was there already)" in out


@pytest.mark.integration
def test_header_bom_and_quotes_in_a_csv(
    db: Neo4jRunner, socialrec_cli: CLI, tmp_path: Path
) -> None:
    f = tmp_path / "ratings.csv"
    f.write_bytes('\ufeffuser,item\n"Smith, J",m1\nu2,m1\n'.encode())
    args = ["load", "tsv", "--delimiter", ",", "--interactions", str(f)]
    code, _, err = socialrec_cli(*args)
    assert code == 0 and "ratings.csv:1: looks like a header (user, item); pass --header" in err
    db.write("MATCH (n) DETACH DELETE n")
    code, _, err = socialrec_cli(*args, "--header")
    assert code == 0 and "looks like a header" not in err
    users = sorted(r["id"] for r in db.read("MATCH (u:User) RETURN u.id AS id"))
    assert users == ["Smith, J", "u2"]
