"""Batches of a run sent to Neo4j with a few transactions in flight, at a capped rate."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from socialrec.score.scorer import Recommendations


def send_pipelined(
    batches: Iterable[Recommendations],
    send: Callable[[Recommendations], dict[str, int]],
    done: Callable[[Recommendations, dict[str, int]], None],
    writers: int,
    max_rate: float = 0.0,
    check: Callable[[], None] = lambda: None,
) -> None:
    """``send`` each batch on one of ``writers`` threads; ``done`` with its counters, in order.

    Taking the next batch from ``batches`` (scoring it) overlaps the writers'
    transactions; at most ``writers`` batches are in flight. ``max_rate`` > 0
    holds each batch back until the relationships sent so far stay under that
    many a second; ``check`` runs before each batch (the writer lock). An error
    of any batch is raised, and batches not started yet are cancelled.
    """
    in_flight: deque[tuple[Future[dict[str, int]], Recommendations]] = deque()

    def finish_oldest() -> None:
        future, batch = in_flight.popleft()
        done(batch, future.result())

    pool = ThreadPoolExecutor(max_workers=writers, thread_name_prefix="socialrec-write")
    started, sent = time.perf_counter(), 0
    with pool:
        try:
            for batch in batches:
                check()
                if max_rate:
                    # the batch goes out when the rate so far would stay under the cap
                    time.sleep(max(0.0, sent / max_rate - (time.perf_counter() - started)))
                sent += len(batch)
                in_flight.append((pool.submit(send, batch), batch))
                if len(in_flight) > writers:
                    finish_oldest()
            while in_flight:
                finish_oldest()
        finally:
            for future, _ in in_flight:
                future.cancel()
