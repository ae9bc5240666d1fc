"""A writer lease held in Neo4j, so that one process at a time writes recommendations.

Every process that writes (``socialrec writeback``, ``sync``, the scheduler) takes
the lease ``(:SocialrecLock {name})`` first: an owner string and an expiry in
the server's clock. A background thread renews it every third of its time to
live while the work runs; a holder that dies stops renewing, and the next
process takes the lease over once it expires. Work checks :meth:`WriterLock.check`
between batches, so a process that lost its lease (a long GC pause, a network
partition) stops before writing anything more.

One more node of the label holds no lease: ``runs.RUN_SEQUENCE``, whose
``last_run`` numbers runs (``run_begin.cypher``); its write lock is what two
writers beginning at once take in turn.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from types import TracebackType

from socialrec import queries
from socialrec.errors import SocialrecError
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping

DEFAULT_LOCK = "writer"


def lock_name(mapping: GraphMapping, name: str = DEFAULT_LOCK) -> str:
    """One lock per namespace: writers of two mappings never wait for each other."""
    return f"{name}:{mapping.output_namespace}"


class LockError(SocialrecError):
    """The lease is held by someone else, or was lost while working."""


def default_owner() -> str:
    """``host:pid:random``: unique per lock taken, readable by operators."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` is a process of this host that no longer runs.

    Owners are ``host:pid:random``; another host's process, or a pid that is
    alive (possibly reused), is never declared dead: then the lease expires.
    """
    parts = (owner or "").split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class WriterLock:
    """A lease lock in Neo4j; use as a context manager.

    Args:
        runner (QueryRunner): the database.
        mapping (GraphMapping): for the lock label and the namespace.
        name (str): which lock of the namespace. (default: ``"writer"``)
        ttl (float): seconds the lease lasts without renewal. (default: ``60``)
        wait (float): seconds to keep trying while another owner holds it;
            ``0`` fails at once. (default: ``0``)
        owner (str, optional): the owner string. (default: ``host:pid:random``)
        takeover (str, optional): an owner whose lease may be taken at once
            because the caller knows it is dead (a scheduler's own failed
            attempt). (default: ``None``)
    """

    def __init__(
        self,
        runner: QueryRunner,
        mapping: GraphMapping,
        name: str = DEFAULT_LOCK,
        ttl: float = 60.0,
        wait: float = 0.0,
        owner: str | None = None,
        takeover: str | None = None,
    ) -> None:
        self.runner = runner
        self.name = lock_name(mapping, name)
        self.ttl = ttl
        self.wait = wait
        self.owner = owner or default_owner()
        self.takeover = takeover
        self._schema_q = queries.load("lock_schema", mapping)
        self._acquire_q = queries.load("lock_acquire", mapping)
        self._release_q = queries.load("lock_release", mapping)
        self._stop = threading.Event()
        # held while a renewal is in flight, so that release() waits for it: a
        # renewal sent after the release would take the freed lease again
        self._renewing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._lost: str | None = None
        self._last_ok = 0.0  # when the lease was last taken or renewed (monotonic)
        self.held = False

    def _try(self, stale: str | None = None, renew: bool = False) -> tuple[bool, str | None]:
        sent = time.monotonic()
        rows = self.runner.write_records(
            self._acquire_q,
            {
                "name": self.name,
                "owner": self.owner,
                "ttl_ms": int(self.ttl * 1000),
                "stale": stale or "",
                "renew": renew,
            },
        )
        holder = rows[0]["owner"] if rows else None
        if holder == self.owner:
            # the lease runs from the server's clock when it got the query: no
            # earlier than `sent` here, so `sent + ttl` never overstates it
            self._last_ok = sent
        return holder == self.owner, holder

    def _ensure_constraint(self) -> None:
        # A read first: schema writes take a global lock and would make every
        # acquire wait for other writers' transactions.
        found = self.runner.read(
            "SHOW CONSTRAINTS YIELD name WHERE name = 'socialrec_lock_name' RETURN name"
        )
        if not found:
            self.runner.write(self._schema_q)

    def acquire(self) -> WriterLock:
        self._ensure_constraint()
        deadline = time.monotonic() + self.wait
        while True:
            ok, holder = self._try(self.takeover)
            if not ok and holder is not None and owner_is_dead(holder):
                ok, holder = self._try(holder)
            if ok:
                break
            if time.monotonic() >= deadline:
                raise LockError(
                    f"another socialrec process ({holder}) holds the {self.name!r} lock; "
                    f"it expires at most {self.ttl:.0f} s after that process stops"
                )
            time.sleep(min(1.0, max(0.05, self.ttl / 10)))
        self.held = True
        self._lost = None
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew, name="socialrec-lock", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                with self._renewing:
                    if self._stop.is_set():
                        return
                    ok, holder = self._try(renew=True)
            except SocialrecError as e:  # keep trying until the lease runs out
                if time.monotonic() > self._last_ok + self.ttl:
                    self._lost = f"could not renew the {self.name!r} lock: {e}"
                    return
                continue
            if not ok:
                self._lost = f"the {self.name!r} lock was taken over by {holder}"
                return

    def check(self) -> None:
        """Raise :class:`LockError` if the lease was lost since it was taken."""
        if not self.held:
            raise LockError(f"the {self.name!r} lock is not held")
        if self._lost:
            raise LockError(self._lost)
        age = time.monotonic() - self._last_ok
        if age > self.ttl:
            raise LockError(
                f"the {self.name!r} lease expired {age - self.ttl:.1f} s ago without renewal; "
                "another writer may hold it now"
            )

    def release(self) -> None:
        self._stop.set()
        with self._renewing:  # no renewal in flight, none sent after this
            self._release()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _release(self) -> None:
        if self.held:
            self.held = False
            # Best effort, one attempt: an unreleased lease just expires.
            with contextlib.suppress(SocialrecError):
                self.runner.write_autocommit(
                    self._release_q, {"name": self.name, "owner": self.owner}
                )

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
