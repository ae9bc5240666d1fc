import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import neo4j
import pytest

from socialrec.errors import ServerError
from socialrec.server.local import (
    LocalNeo4j,
    ServerSettings,
    auto_pagecache,
    physical_memory,
    socialrec_home,
)


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
    # bulk writers fill a disk with the default two days of transaction logs
    assert "db.tx_log.rotation.retention_policy=1G size" in text
    assert f"server.directories.data={tmp_path / 'instances' / 't' / 'data'}" in text


def test_auto_pagecache_holds_the_store_within_the_machines_memory() -> None:
    gib = 1 << 30
    assert auto_pagecache(0, 24 * gib) == 1 * gib  # an empty store still gets room to grow
    assert auto_pagecache(4 * gib, 24 * gib) == 7 * gib  # the store and half again, + 1 GiB
    assert auto_pagecache(40 * gib, 24 * gib) == 24 * gib * 2 // 5  # capped at 40 %
    assert auto_pagecache(0, 1 * gib) == 512 << 20  # never below 512 MiB


def test_auto_pagecache_follows_the_store_on_disk(tmp_path: Path) -> None:
    server = LocalNeo4j(ServerSettings(name="t", home=tmp_path))
    assert ServerSettings().pagecache == "auto"
    empty = server._config_text()
    store = tmp_path / "instances" / "t" / "data" / "databases" / "neo4j"
    store.mkdir(parents=True)
    with open(store / "neostore.relationshipstore.db", "wb") as f:
        f.truncate(3 << 30)  # a sparse 3 GiB store file
    grown = server._config_text()
    size = {
        text: int(line.split("=")[1].rstrip("m"))
        for text in (empty, grown)
        for line in text.splitlines()
        if line.startswith("server.memory.pagecache.size=")
    }
    assert size[empty] == auto_pagecache(0, physical_memory()) >> 20
    assert size[grown] == auto_pagecache(3 << 30, physical_memory()) >> 20


def test_a_store_that_outgrew_its_page_cache_is_pointed_out(tmp_path: Path) -> None:
    """The page cache is sized at start: a load afterwards can leave it far too small."""
    server = LocalNeo4j(ServerSettings(name="t", home=tmp_path))
    conf = tmp_path / "instances" / "t" / "conf" / "neo4j.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(server._config_text())  # started on an empty store
    assert server.page_cache_advice() is None
    store = tmp_path / "instances" / "t" / "data" / "databases" / "neo4j"
    store.mkdir(parents=True)
    with open(store / "neostore.relationshipstore.db", "wb") as f:
        f.truncate(3 << 30)  # then loaded: a sparse 3 GiB store file
    advice = server.page_cache_advice()
    assert advice is not None and "3.0 GiB" in advice and "socialrec neo4j stop" in advice
    conf.write_text(server._config_text())  # restarted: sized from the store again
    assert server.page_cache_advice() is None
    pinned = LocalNeo4j(ServerSettings(name="t", home=tmp_path, pagecache="512m"))
    assert pinned.page_cache_advice() is None


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
            records, _, _ = d.execute_query(
                "SHOW SETTINGS YIELD name, value "
                "WHERE name = 'db.tx_log.rotation.retention_policy' RETURN value"
            )
            assert records[0]["value"] == "1G size"  # the server took it (and started)
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
