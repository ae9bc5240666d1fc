import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import neo4j
import pytest

from socialrec.errors import ServerError
from socialrec.server.local import LocalNeo4j, ServerSettings, socialrec_home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_config_binds_loopback_and_unrestricts_gds(tmp_path: Path) -> None:
    server = LocalNeo4j(
        ServerSettings(
            name="t", bolt_port=1234, http_port=5678, home=tmp_path, heap="1g", pagecache="256m"
        )
    )
    text = server._config_text()
    assert "server.bolt.listen_address=127.0.0.1:1234" in text
    assert "server.http.listen_address=127.0.0.1:5678" in text
    assert "dbms.security.procedures.unrestricted=gds.*" in text
    assert "server.memory.pagecache.size=256m" in text
    assert f"server.directories.data={tmp_path / 'instances' / 't' / 'data'}" in text


@pytest.mark.parametrize("bad", [{"name": "../x"}, {"heap": "lots"}, {"pagecache": "2"}])
def test_invalid_settings(bad: dict) -> None:
    with pytest.raises(ServerError):
        ServerSettings(**bad)


def test_home_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOCIALREC_HOME", str(tmp_path))
    assert socialrec_home() == tmp_path
    assert ServerSettings().jar_dir.parent == tmp_path / "jars"


def test_stop_never_kills_a_process_it_did_not_start(tmp_path: Path) -> None:
    server = LocalNeo4j(ServerSettings(name="t", home=tmp_path))
    server.pid_file.parent.mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        server.pid_file.write_text(f"{other.pid}\n")  # a stale or forged pid file
        assert server.status().running is False
        assert server.stop() is False
        assert other.poll() is None  # still alive
    finally:
        other.kill()
        other.wait()


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = LocalNeo4j(ServerSettings(name="t", home=tmp_path, bolt_port=port))
        with pytest.raises(ServerError, match=f"port {port} is already in use"):
            server.start()


@pytest.mark.integration
@pytest.mark.skipif(
    not (shutil.which("java") or os.environ.get("JAVA_HOME")) or not shutil.which("mvn"),
    reason="needs Java and Maven",
)
def test_start_status_stop_a_second_instance() -> None:
    settings = ServerSettings(
        name="pytest-lifecycle",
        bolt_port=free_port(),
        http_port=free_port(),
        heap="512m",
        pagecache="64m",
    )
    server = LocalNeo4j(settings)
    server.stop()
    try:
        status = server.start()
        assert status.running and status.pid
        assert server.start().pid == status.pid  # idempotent: same process
        creds = server.credentials()
        assert creds is not None and creds["uri"] == settings.uri
        assert oct(server.credentials_file.stat().st_mode & 0o777) == "0o600"
        with neo4j.GraphDatabase.driver(creds["uri"], auth=(creds["user"], creds["password"])) as d:
            records, _, _ = d.execute_query("RETURN gds.version() AS v")
            # the GDS this instance was provisioned with, whatever version that is
            assert records[0]["v"] == settings.gds_version
        # The password never reaches the console log.
        assert creds["password"] not in server.log_file.read_text(errors="replace")
    finally:
        assert server.stop() is True
    assert server.status().running is False
    assert (
        not Path(f"/proc/{status.pid}").exists()
        or b"CommunityEntryPoint" not in Path(f"/proc/{status.pid}/cmdline").read_bytes()
    )
    assert server.stop() is False
