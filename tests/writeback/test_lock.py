"""The writer lease in Neo4j: exclusive, renewed, taken over after expiry."""

from __future__ import annotations

import time

import pytest

from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.writeback import LockError, WriterLock

pytestmark = pytest.mark.integration


def test_second_owner_is_refused_while_the_first_holds_it(db: Neo4jRunner) -> None:
    with WriterLock(db, GraphMapping(), ttl=2, owner="a"):
        time.sleep(2.5)  # longer than the ttl: renewal keeps it
        with pytest.raises(LockError, match="another socialrec process \\(a\\)"):
            WriterLock(db, GraphMapping(), owner="b").acquire()
    with WriterLock(db, GraphMapping(), owner="b") as b:
        b.check()


def test_expired_lease_is_taken_over_and_the_old_holder_notices(db: Neo4jRunner) -> None:
    a = WriterLock(db, GraphMapping(), ttl=1, owner="a").acquire()
    a._stop.set()  # a "hangs": it stops renewing
    a._thread.join()  # type: ignore[union-attr]
    b = WriterLock(db, GraphMapping(), ttl=30, owner="b", wait=5).acquire()
    try:
        ok, holder = a._try()
        assert not ok and holder == "b"
    finally:
        b.release()


def test_lost_lease_fails_check(db: Neo4jRunner) -> None:
    with WriterLock(db, GraphMapping(), ttl=0.6, owner="a") as a:
        db.write(
            "MATCH (l:SocialrecLock) SET l.owner = 'intruder', l.expires_at = timestamp() + 60000"
        )
        time.sleep(0.6)
        with pytest.raises(LockError, match="taken over by intruder"):
            a.check()


def test_a_dead_process_of_this_host_is_taken_over_at_once(db: Neo4jRunner) -> None:
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs
    dead = f"{socket.gethostname()}:{gone.pid}:deadbeef"
    alive = f"{socket.gethostname()}:1:cafecafe"  # pid 1 runs
    elsewhere = f"another-host:{gone.pid}:0badf00d"
    name = WriterLock(db, GraphMapping()).name
    for holder, taken in ((dead, True), (alive, False), (elsewhere, False)):
        db.write(
            "MERGE (l:SocialrecLock {name: $n}) "
            "SET l.owner = $o, l.expires_at = timestamp() + 60000",
            {"n": name, "o": holder},
        )
        lock = WriterLock(db, GraphMapping(), owner="me")
        if taken:
            t = time.monotonic()
            with lock:  # no 60 s wait for the lease of a kill -9'd writer
                lock.check()
            assert time.monotonic() - t < 5
        else:
            with pytest.raises(LockError, match="holds the"):
                lock.acquire()


def test_check_sees_an_expired_lease_even_if_renewal_never_reported(db: Neo4jRunner) -> None:
    lock = WriterLock(db, GraphMapping(), ttl=0.5, owner="a").acquire()
    try:
        lock._stop.set()  # the renew thread is stuck: it reports nothing
        lock._thread.join()  # type: ignore[union-attr]
        time.sleep(0.7)
        with pytest.raises(LockError, match="expired"):
            lock.check()
    finally:
        lock.release()
