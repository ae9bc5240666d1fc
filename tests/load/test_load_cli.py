"""`socialrec load tsv` on real-world files: nothing is written unless every file reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialrec.graph.runner import Neo4jRunner

CLI = Callable[..., tuple[int, str, str]]

pytestmark = pytest.mark.integration


def count(db: Neo4jRunner) -> int:
    return db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]


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
