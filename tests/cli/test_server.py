"""socialrec neo4j status / stop (socialrec/cli/server.py) on an instance that never ran.

Starting and stopping a real instance is tests/server/test_local.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli


def test_status_of_an_instance_that_never_ran_exits_3_and_stop_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOCIALREC_HOME", str(tmp_path))
    code, out, _ = run_cli(["--instance", "nowhere", "neo4j", "status"], None, monkeypatch, capsys)
    assert code == 3
    assert "not running" in out and str(tmp_path / "instances" / "nowhere") in out
    code, out, _ = run_cli(["--instance", "nowhere", "neo4j", "stop"], None, monkeypatch, capsys)
    assert code == 0 and "was not running" in out
    assert not (tmp_path / "instances" / "nowhere" / "run").exists()
