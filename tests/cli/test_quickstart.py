"""socialrec quickstart against the real server: LastFM in, names and Cypher out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialrec.graph.runner import Neo4jRunner

CLI = Callable[..., tuple[int, str, str]]


def test_quickstart_loads_trains_publishes_and_prints_the_mapped_cypher(
    db: Neo4jRunner, socialrec_cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALREC_HOME", str(tmp_path / "home"))  # its snapshot and model
    code, out, err = socialrec_cli("quickstart", "--epochs", "2")
    assert code == 0, err
    # names where the data has them
    assert "'Lady Gaga'" in out or "'Britney Spears'" in out, out
    users = db.read("MATCH (u:User) RETURN count(u) AS n")[0]["n"]
    served = db.read(
        "MATCH (u:User)-[r:RECOMMENDED]->(:Item) RETURN count(DISTINCT u) AS users, count(r) AS n"
    )[0]
    assert users == 1892 and served["users"] >= 0.99 * users and served["n"] >= 19 * served["users"]
    # the Cypher it prints is the query file rendered for the active mapping
    assert ":param namespace => 'user_interacted_item'" in out
    assert "MATCH (u:`User`" in out or "(u:`User`" in out
    assert (tmp_path / "home" / "models" / "quickstart.pt").exists()
