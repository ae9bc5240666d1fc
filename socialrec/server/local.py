"""A real Neo4j 5.26 LTS Community server with OpenGDS, provisioned without Docker.

No Neo4j tarball is published on Maven Central, but every jar of the server and
of OpenGDS is. So :func:`~socialrec.server.jars.provision` resolves them with Maven into a
cache folder outside the repository (first run downloads, later runs reuse it),
and :class:`LocalNeo4j` lays out a Neo4j home (``conf/``, ``data/``,
``logs/``, ``plugins/``) and launches ``org.neo4j.server.CommunityEntryPoint``
as a detached JVM bound to 127.0.0.1.

Two details that the official launcher script normally handles:

* launching the main class directly ignores ``server.jvm.additional``, so the
  JVM flags (heap, the ``--add-opens`` Neo4j's default config lists) go on the
  command line (:func:`~socialrec.server.java.jvm_command`);
* the GDS *extension* registers through ServiceLoader (so its jars must be on
  the classpath) but GDS *procedures* are discovered by scanning the jars in
  ``plugins/``; the official layout has ``plugins/*`` on the classpath too, so
  the GDS jars are linked into ``plugins/`` and also stay on the classpath.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from socialrec.config import ConnectionSettings
from socialrec.errors import ServerError
from socialrec.server.jars import gds_jars, provision
from socialrec.server.java import find_java, jvm_command

NEO4J_VERSION = "5.26.24"
GDS_VERSION = "2.13.9"

_MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
_ADMIN_CLASS = "org.neo4j.cli.AdminTool"


def socialrec_home() -> Path:
    """Where socialrec keeps downloaded jars and server instances."""
    return Path(os.environ.get("SOCIALREC_HOME", Path.home() / ".socialrec"))


@dataclass(frozen=True)
class ServerSettings:
    """How to run the local server.

    Args:
        name (str): instance name; each instance has its own data and port.
            (default: ``"default"``)
        bolt_port (int): Bolt port on 127.0.0.1. (default: ``7687``)
        http_port (int): HTTP port (Neo4j Browser) on 127.0.0.1. (default: ``7474``)
        heap (str): JVM heap, e.g. ``"3g"``. (default: ``"3g"``)
        pagecache (str): page cache size, or ``"auto"``: sized at every start
            from the store on disk by :func:`auto_pagecache`. (default: ``"auto"``)
        password (str | None): initial password of user ``neo4j``; random and
            stored in the instance folder (mode 0600) when not given.
        home (Path | None): root folder. (default: ``$SOCIALREC_HOME`` or
            ``~/.socialrec``)

    The defaults leave most of a 2-core, 24 GB machine to PyTorch.
    """

    name: str = "default"
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "3g"
    pagecache: str = "auto"
    password: str | None = field(default=None, repr=False)
    home: Path | None = None
    neo4j_version: str = NEO4J_VERSION
    gds_version: str = GDS_VERSION

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            raise ServerError(f"instance name {self.name!r}: use letters, digits, '.', '_', '-'")
        for size, what in ((self.heap, "heap"), (self.pagecache, "pagecache")):
            if not re.fullmatch(r"\d+[kmgKMG]", size) and not (
                what == "pagecache" and size == "auto"
            ):
                raise ServerError(f"{what} {size!r}: give a size such as 512m or 3g")

    @property
    def root(self) -> Path:
        return self.home or socialrec_home()

    @property
    def jar_dir(self) -> Path:
        return self.root / "jars" / f"neo4j-{self.neo4j_version}-gds-{self.gds_version}"

    @property
    def instance_dir(self) -> Path:
        return self.root / "instances" / self.name

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"


MIB = 1 << 20


def physical_memory() -> int:
    """Bytes of memory this machine has."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def auto_pagecache(store_bytes: int, memory_bytes: int) -> int:
    """The page cache ``pagecache="auto"`` gives a store of ``store_bytes``.

    The whole store plus half again and 1 GiB of room to grow (a writeback of
    20 M recommendations adds gigabytes between restarts), so that serving reads
    and writeback's lookups hit memory, not disk: with the 1 M-user store larger
    than a fixed 2 GiB cache, serving p99 during a writeback was 860 ms. At most
    40 % of the machine's memory, which leaves the rest to the heap and to
    PyTorch; at least 512 MiB.
    """
    want = store_bytes * 3 // 2 + 1024 * MIB
    return max(512 * MIB, min(want, memory_bytes * 2 // 5))


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    uri: str
    instance_dir: Path
    detail: str = ""


class LocalNeo4j:
    """One local Neo4j instance: its home folder, process and credentials.

    Args:
        settings (ServerSettings): ports, memory, where it lives.
    """

    def __init__(self, settings: ServerSettings | None = None) -> None:
        self.settings = settings or ServerSettings()
        self.home = self.settings.instance_dir

    # -- files ---------------------------------------------------------------

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "socialrec-neo4j.pid"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "console.log"

    def credentials(self) -> dict[str, str] | None:
        """``{uri, user, password}`` of this instance, if it was ever started."""
        if not self.credentials_file.exists():
            return None
        data: dict[str, str] = json.loads(self.credentials_file.read_text())
        return data

    def connection(self) -> ConnectionSettings:
        """How to reach this (started) instance over Bolt."""
        creds = self.credentials()
        if creds is None:
            raise ServerError(
                f"local Neo4j {self.settings.name!r} was never started: `socialrec neo4j start`"
            )
        return ConnectionSettings(creds["uri"], creds["user"], creds["password"])

    def log_tail(self, lines: int = 40) -> str:
        """The end of the console log and the last WARN/ERROR lines of debug.log."""
        parts = []
        if self.log_file.exists():
            text = self.log_file.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {self.log_file}\n" + "\n".join(text))
        debug = self.home / "logs" / "debug.log"
        if debug.exists():
            problems = [
                line
                for line in debug.read_text(errors="replace").splitlines()
                if " WARN " in line or " ERROR " in line
            ][-lines:]
            parts.append(f"--- {debug} (WARN/ERROR)\n" + "\n".join(problems))
        return "\n".join(parts)

    # -- process -------------------------------------------------------------

    def _recorded_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if self._is_our_process(pid) else None

    def _is_our_process(self, pid: int) -> bool:
        """True only for a live JVM running this instance's home: a recycled pid is not ours."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            try:
                os.kill(pid, 0)
            except OSError:
                return False
            return True  # no /proc (macOS): trust the pid file
        args = [a.decode(errors="replace") for a in cmdline]
        return _MAIN_CLASS in args and f"--home-dir={self.home}" in args

    def status(self) -> ServerStatus:
        pid = self._recorded_pid()
        if pid is None:
            return ServerStatus(False, None, self.settings.uri, self.home, "not running")
        creds = self.credentials() or {}
        return ServerStatus(True, pid, creds.get("uri", self.settings.uri), self.home, "running")

    def start(self, timeout: float = 180.0, log: bool = True) -> ServerStatus:
        """Start the server unless it already runs; wait until GDS answers.

        Idempotent: a second call finds the recorded process and returns.
        """
        current = self.status()
        if current.running:
            self._wait_ready(current.pid, timeout)
            return current
        self._check_port_free(self.settings.bolt_port, "Bolt")
        self._check_port_free(self.settings.http_port, "HTTP")
        java, _ = find_java()
        jar_dir = provision(self.settings, log=log)
        self._lay_out_home(jar_dir)
        classpath = f"{jar_dir}/*"
        if not self.credentials_file.exists():
            if (self.home / "data" / "databases").exists():
                raise ServerError(
                    f"{self.home} holds a database but no credentials.json; restore the file "
                    "or delete the instance folder to start afresh"
                )
            self._set_initial_password(java, classpath)
        cmd = [
            *jvm_command(java, self.settings.heap, classpath, _MAIN_CLASS),
            f"--home-dir={self.home}",
            f"--config-dir={self.home / 'conf'}",
            "--console-mode",
        ]
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        with self.log_file.open("ab") as out:
            # A new session: the server outlives this process and ignores its Ctrl-C.
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.home,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        self._save_credentials({**(self.credentials() or {}), "uri": self.settings.uri})
        self._wait_ready(proc.pid, timeout, proc)
        return self.status()

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the process this instance started (by recorded pid) and nothing else.

        Returns whether a process was stopped.
        """
        pid = self._recorded_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._is_our_process(pid):
            _reap(pid)
            time.sleep(0.2)
        if self._is_our_process(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
            _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    # -- helpers -------------------------------------------------------------

    def _lay_out_home(self, jar_dir: Path) -> None:
        for sub in ("conf", "data", "logs", "plugins", "run", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        plugins = self.home / "plugins"
        for old in plugins.glob("*.jar"):
            old.unlink()
        for jar in gds_jars(jar_dir):
            (plugins / jar.name).symlink_to(jar)
        (self.home / "conf" / "neo4j.conf").write_text(self._config_text())

    def _store_bytes(self) -> int:
        databases = self.home / "data" / "databases"
        return sum(f.stat().st_size for f in databases.rglob("*") if f.is_file())

    def _pagecache(self) -> str:
        if self.settings.pagecache != "auto":
            return self.settings.pagecache
        return f"{auto_pagecache(self._store_bytes(), physical_memory()) // MIB}m"

    def page_cache_advice(self) -> str | None:
        """What to do when the store has outgrown the page cache ``auto`` gave it.

        Neo4j sizes its page cache once, at start: a server started empty and
        then loaded with the 1 M-user graph (8.6 GiB) kept a 1 GiB cache, and an
        incremental sync's publish then spent minutes reading the disk
        ("Pruning and the because lists" in benchmarks/RESULTS.md). ``None``
        when the cache is pinned, big enough, or already at its cap.
        """
        conf = self.home / "conf" / "neo4j.conf"
        if self.settings.pagecache != "auto" or not conf.exists():
            return None
        found = re.search(r"^server\.memory\.pagecache\.size=(\d+)m$", conf.read_text(), re.M)
        if not found:
            return None
        cache, store = int(found.group(1)) * MIB, self._store_bytes()
        wanted = auto_pagecache(store, physical_memory())
        if store <= cache or wanted <= cache:
            return None
        gib = 1 << 30
        return (
            f"the store ({store / gib:.1f} GiB) has outgrown the page cache it was started "
            f"with ({cache / gib:.1f} GiB): restart the server (socialrec neo4j stop, then "
            f"start) to give it {wanted / gib:.1f} GiB; until then writebacks and serving "
            "read from disk"
        )

    def _config_text(self) -> str:
        s = self.settings
        home = self.home
        return "\n".join(
            [
                "# Written by socialrec at every start; edit ServerSettings instead.",
                "server.default_listen_address=127.0.0.1",
                "server.default_advertised_address=127.0.0.1",
                f"server.bolt.listen_address=127.0.0.1:{s.bolt_port}",
                f"server.bolt.advertised_address=127.0.0.1:{s.bolt_port}",
                "server.http.enabled=true",
                f"server.http.listen_address=127.0.0.1:{s.http_port}",
                f"server.http.advertised_address=127.0.0.1:{s.http_port}",
                "server.https.enabled=false",
                f"server.memory.heap.initial_size={s.heap}",
                f"server.memory.heap.max_size={s.heap}",
                f"server.memory.pagecache.size={self._pagecache()}",
                # Large UNWIND batches and exports need room per transaction.
                "dbms.memory.transaction.total.max=0",
                # Neo4j keeps 2 days of transaction logs by default; four 1 M-user
                # syncs left 47 GB of them and filled this machine's disk (the
                # server then turns read-only). Recovery needs only the logs since
                # the last checkpoint, and Community has no online backup to feed.
                "db.tx_log.rotation.retention_policy=1G size",
                "dbms.security.procedures.unrestricted=gds.*",
                "dbms.security.procedures.allowlist=gds.*",
                "dbms.usage_report.enabled=false",
                f"server.directories.data={home / 'data'}",
                f"server.directories.logs={home / 'logs'}",
                f"server.directories.plugins={home / 'plugins'}",
                f"server.directories.run={home / 'run'}",
                f"server.directories.import={home / 'import'}",
                "",
            ]
        )

    def _set_initial_password(self, java: str, classpath: str) -> None:
        password = self.settings.password or secrets.token_urlsafe(18)
        if len(password) < 8:
            raise ServerError("the Neo4j password must have at least 8 characters")
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        # The password is an argument of a short-lived local process and is
        # masked in any error text; it is never printed.
        result = subprocess.run(
            [
                *jvm_command(java, self.settings.heap, classpath, _ADMIN_CLASS),
                "dbms",
                "set-initial-password",
                password,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(
                "neo4j-admin set-initial-password failed: "
                + (result.stderr or result.stdout).replace(password, "***")[-1000:]
            )
        self._save_credentials({"uri": self.settings.uri, "user": "neo4j", "password": password})

    def _save_credentials(self, creds: dict[str, str]) -> None:
        fd = os.open(self.credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(creds, f)

    def _check_port_free(self, port: int, what: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise ServerError(
                    f"{what} port {port} is already in use by another process; pick another "
                    "port (--bolt-port/--http-port) or point NEO4J_URI at that server"
                )

    def _wait_ready(
        self, pid: int | None, timeout: float, proc: subprocess.Popen[bytes] | None = None
    ) -> None:
        """Poll until ``RETURN gds.version()`` answers, or fail with the log tail."""
        import neo4j  # the driver is only needed once a server runs

        creds = self.credentials() or {}
        auth = (creds.get("user", "neo4j"), creds.get("password", ""))
        uri = creds.get("uri", self.settings.uri)  # a running server keeps its port
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
            while time.monotonic() < deadline:
                if proc is not None and proc.poll() is not None:
                    raise ServerError(
                        f"Neo4j exited with code {proc.returncode} while starting\n"
                        + self.log_tail()
                    )
                try:
                    # A plain session run: no managed-transaction retries while polling.
                    with driver.session() as session:
                        session.run("RETURN gds.version() AS v").consume()
                    return
                except Exception as e:  # not up yet: connection refused, starting...
                    last_error = e
                    time.sleep(1.0)
        raise ServerError(
            f"Neo4j did not answer `RETURN gds.version()` within {timeout:.0f}s "
            f"(last error: {last_error})\n{self.log_tail()}"
        )


def _reap(pid: int) -> None:
    """Collect a child we started ourselves so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
