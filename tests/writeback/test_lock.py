"""The writer lease in Neo4j: exclusive, renewed, taken over after expiry."""

from __future__ import annotations

import time

import pytest

from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.writeback import LockError, WriterLock
from tests.fakes import LeaseServer


@pytest.mark.integration
def test_second_owner_is_refused_while_the_first_holds_it(db: Neo4jRunner) -> None:
    with WriterLock(db, GraphMapping(), ttl=2, owner="a"):
        time.sleep(2.5)  # longer than the ttl: renewal keeps it
        with pytest.raises(LockError, match="another socialrec process \\(a\\)"):
            WriterLock(db, GraphMapping(), owner="b").acquire()
    with WriterLock(db, GraphMapping(), owner="b") as b:
        b.check()


@pytest.mark.integration
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


@pytest.mark.integration
def test_a_renewal_never_takes_back_a_released_lease(db: Neo4jRunner) -> None:
    a = WriterLock(db, GraphMapping(), ttl=30, owner="a").acquire()
    a.release()
    # a renewal that reached the server after the release (the race that left a
    # finished sync's lease held for its ttl): it must not take the free lease
    ok, holder = a._try(renew=True)
    assert not ok and holder is None
    with WriterLock(db, GraphMapping(), owner="b") as b:
        b.check()
        assert a._try(renew=True) == (False, "b")


@pytest.mark.integration
def test_release_waits_for_a_renewal_in_flight(db: Neo4jRunner) -> None:
    lock = WriterLock(db, GraphMapping(), ttl=0.3, owner="a").acquire()
    for _ in range(20):  # releases land at every point of the renewal cycle
        time.sleep(0.037)
        lock.release()
        with WriterLock(db, GraphMapping(), owner="b"):
            pass  # free at once: nothing renewed a's lease after its release
        lock = WriterLock(db, GraphMapping(), ttl=0.3, owner="a").acquire()
    lock.release()


@pytest.mark.integration
def test_lost_lease_fails_check(db: Neo4jRunner) -> None:
    with WriterLock(db, GraphMapping(), ttl=0.6, owner="a") as a:
        db.write(
            "MATCH (l:SocialrecLock) SET l.owner = 'intruder', l.expires_at = timestamp() + 60000"
        )
        time.sleep(0.6)
        with pytest.raises(LockError, match="taken over by intruder"):
            a.check()


@pytest.mark.integration
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


@pytest.mark.integration
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


# The state machine against the in-memory lease table (no server, milliseconds).


def test_the_constraint_is_created_once_and_read_before_it_is_written() -> None:
    server = LeaseServer()
    for owner in ("a", "b"):
        with WriterLock(server, GraphMapping(), owner=owner):
            pass
    assert server.names().count("lock_schema") == 1
    # every acquire reads first: a schema write would wait for other writers
    assert sum("SHOW CONSTRAINTS" in q for q, _ in server.reads) == 2


def test_one_owner_at_a_time_per_namespace_and_release_frees_it() -> None:
    server = LeaseServer()
    first = WriterLock(server, GraphMapping(), owner="a").acquire()
    with pytest.raises(LockError, match=r"\(a\) holds the 'writer:user_interacted_item' lock"):
        WriterLock(server, GraphMapping(), owner="b").acquire()
    # another mapping's namespace has its own lock
    other = GraphMapping(interacted="WATCHED")
    with WriterLock(server, other, owner="b") as lock:
        lock.check()
    first.release()
    assert server.locks["writer:user_interacted_item"]["owner"] is None
    with WriterLock(server, GraphMapping(), owner="b") as lock:
        lock.check()
    with pytest.raises(LockError, match="not held"):
        lock.check()


def test_an_expired_lease_is_taken_over_and_the_old_holder_stops() -> None:
    server = LeaseServer()
    old = WriterLock(server, GraphMapping(), owner="a", ttl=0.3).acquire()
    server.now_ms += 10_000  # the server's clock: a's lease ran out
    new = WriterLock(server, GraphMapping(), owner="b", ttl=60).acquire()
    time.sleep(0.25)  # a's renewal (every ttl / 3) finds b holding it
    with pytest.raises(LockError, match="taken over by b"):
        old.check()
    new.check()
    old.release()  # releasing a lost lease leaves the new holder alone
    assert server.locks["writer:user_interacted_item"]["owner"] == "b"
    new.release()


def test_a_lease_that_cannot_be_renewed_fails_check_once_it_runs_out() -> None:
    server = LeaseServer()
    lock = WriterLock(server, GraphMapping(), owner="a", ttl=0.3).acquire()
    server.unreachable = True  # renewals fail (transiently) from now on
    lock.check()  # still within its time to live
    time.sleep(0.45)
    with pytest.raises(LockError, match=r"could not renew|expired"):
        lock.check()
    lock.release()  # best effort: no error although the server is gone


def test_takeover_of_a_known_dead_owner_and_waiting_for_a_release() -> None:
    import threading

    server = LeaseServer()
    WriterLock(server, GraphMapping(), owner="attempt-1").acquire()._stop.set()
    # a scheduler knows its own failed attempt is dead: no wait for the lease
    with WriterLock(server, GraphMapping(), owner="attempt-2", takeover="attempt-1") as lock:
        lock.check()
    holder = WriterLock(server, GraphMapping(), owner="c").acquire()
    threading.Timer(0.2, holder.release).start()
    t = time.monotonic()
    with WriterLock(server, GraphMapping(), owner="d", wait=5.0, ttl=1.0) as lock:
        lock.check()
    assert time.monotonic() - t < 3  # it got the lock when c let go, not at the deadline
