"""The server's Java and command line (socialrec/server/java.py)."""

from __future__ import annotations

import pytest

from socialrec.errors import ServerError
from socialrec.server.java import find_java, jvm_command


def test_the_command_fixes_the_heap_and_runs_the_main_class_last() -> None:
    cmd = jvm_command("/opt/java", "2g", "a.jar:b.jar", "org.example.Main")
    assert cmd[:3] == ["/opt/java", "-Xms2g", "-Xmx2g"]
    assert cmd[-3:] == ["-cp", "a.jar:b.jar", "org.example.Main"]
    assert "--add-opens=java.base/java.nio=ALL-UNNAMED" in cmd


def test_a_missing_java_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", "/nonexistent/java/home")
    with pytest.raises(ServerError, match="set JAVA_HOME"):
        find_java()
