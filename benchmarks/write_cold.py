"""The first writeback after a restart: where its time goes against a warm one.

Usage: python -m benchmarks.write_cold [--users 50000] [--rounds 2] [--variants A,B]
       [--jvm-flags "-XX:..."]

"Writeback, GDS write path and warm rates" measured the first writeback after a
server restart at about half the rate of the same writes on a warm server. This
script separates the candidate causes on the benchmark instance's 1 M-user graph
(benchmarks/export_rate.py loads it). Each variant writes the same ``--users``
users' top-20 with the shipped query (``cypher/write_recommendations.cypher``),
10,000 relationships a transaction, two in flight, as the writer does, and
deletes them again:

* ``warm``: no restart, the server has just written the same rows;
* ``kept`` (warm, a previous run's rows still there): as ``warm``, but the same rows
  were written once more first and kept, as a full rewrite finds the run it
  replaces (each user and item has twice the RECOMMENDED relationships);
* ``restart``: the server restarted (the store files stay in the OS's cache);
* ``dropped`` (restart, OS cache dropped): restarted after ``drop_caches`` (a server
  after a reboot), where the privilege to drop the cache exists;
* ``read`` (restart, pages read first): restarted, then the same rows' lookups read
  once without writing (index and node records in the page cache);
* ``jit`` (restart, write path run first): restarted, then 100,000 relationships
  for *other* users written and deleted (JIT and query cache warm, the measured
  users' records not read);
* ``product`` (warm, the product's ``Writeback.run``): the same users'
  top-20, scored beforehand, written by the writer as a full run (run node,
  id mapping, batching, publish); socialrec's output is uninstalled before and after, so
  each run starts from no RECOMMENDED relationships, as the raw variants do.

For each: relationships/s over the whole write and over its first and last
fifths, and, read from ``/proc`` for the server's JVM during the measured write,
its CPU seconds in all, in the JIT compiler threads and in GC, and the bytes it
read (``rchar``: page-cache faults served from the OS cache or the disk;
``read_bytes``: from the disk).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import write_profile as wp
from benchmarks.common import bench_runner, bench_server, write_section
from benchmarks.writeback_rate import SNAPSHOT, Precomputed, popularity_model
from socialrec import queries
from socialrec.export import GraphSnapshot
from socialrec.graph.runner import Neo4jRunner
from socialrec.mapping import GraphMapping
from socialrec.score import Scorer
from socialrec.writeback import Writeback, WritebackConfig
from socialrec.writeback.uninstall import uninstall

TICK = os.sysconf("SC_CLK_TCK")
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


@dataclass
class ThreadCpu:
    """CPU seconds of a process's threads by name, sampled while they live.

    The JVM starts and stops JIT compiler threads as work comes (dynamic
    compiler threads), so one reading at the end would miss those gone.
    """

    pid: int
    seconds: dict[int, tuple[str, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                name = (task / "comm").read_text().strip()
                stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended between listing and reading
            self.seconds[int(task.name)] = (name, (int(stat[11]) + int(stat[12])) / TICK)

    def run(self) -> None:
        """Sample every 0.25 s until :meth:`stop`."""
        while not self._stop.wait(0.25):
            self.sample()

    def stop(self) -> None:
        self._stop.set()

    def spent_since(self, before: ThreadCpu) -> dict[str, float]:
        """CPU seconds by kind (JIT, GC, all) since ``before``, thread by thread."""
        out = {"jit": 0.0, "gc": 0.0, "all": 0.0}
        for tid, (name, s) in self.seconds.items():
            s -= before.seconds.get(tid, (name, 0.0))[1]
            out["all"] += s
            if "CompilerThre" in name:
                out["jit"] += s
            elif name.startswith(("GC Thread", "G1 ")):
                out["gc"] += s
        return out


def io_bytes(pid: int) -> dict[str, int]:
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return {"rchar": int(fields["rchar"]), "read_bytes": int(fields["read_bytes"])}


def timed(pid: int, write: Callable[[Callable[[], None]], int]) -> dict[str, Any]:
    """Rates, CPU and I/O of the server while ``write`` runs.

    ``write`` gets a function to call after each batch it commits (the
    rates of the first and last fifths come from those calls; NaN when it
    never calls it) and returns how many relationships it wrote.
    """
    done: list[float] = []
    before_cpu, before_io = ThreadCpu(pid), io_bytes(pid)
    before_cpu.sample()
    during = ThreadCpu(pid, dict(before_cpu.seconds))
    sampler = threading.Thread(target=during.run, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    rels = write(lambda: done.append(time.perf_counter() - t0))
    seconds = time.perf_counter() - t0
    during.stop()
    sampler.join()
    during.sample()
    after_io = io_bytes(pid)
    done.sort()
    fifth = max(1, len(done) // 5)
    per_batch = rels / len(done) if done else 0.0
    return {
        "rate": rels / seconds,
        "first": fifth * per_batch / done[fifth - 1] if done else float("nan"),
        "last": fifth * per_batch / (done[-1] - done[-fifth - 1]) if done else float("nan"),
        "seconds": seconds,
        "cpu": during.spent_since(before_cpu),
        "rchar": after_io["rchar"] - before_io["rchar"],
        "read_bytes": after_io["read_bytes"] - before_io["read_bytes"],
    }


def raw_write(runner: Neo4jRunner, query: str, work: list[dict[str, Any]]) -> Callable:
    """``work`` written with ``query``, two transactions in flight, as ``timed`` runs it."""

    def write(tick: Callable[[], None]) -> int:
        def one(params: dict[str, Any]) -> None:
            runner.write(query, params)
            tick()

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(one, work))
        return sum(len(r) for b in work for r in b["items"])

    return write


def product_write(runner: Neo4jRunner, scorer: Scorer, users: np.ndarray) -> Callable:
    """The same users written by ``Writeback.run`` as a full run (the product's path)."""

    def write(tick: Callable[[], None]) -> int:
        config = WritebackConfig(k=wp.PER_USER, embeddings=False, keep_runs=1)
        report = Writeback(runner, GraphMapping(), config).run(scorer, "popularity", users=users)
        return report.relationships

    return write


def restart(drop_os_cache: bool = False) -> tuple[Neo4jRunner, int]:
    server = bench_server()
    server.stop()
    if drop_os_cache:
        os.sync()
        DROP_CACHES.write_text("3\n")
    runner = bench_runner(pagecache="auto")  # starts it again
    pid = server.status().pid
    assert pid is not None
    return runner, pid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--variants", help="a subset: warm,kept,restart,dropped,read,jit,product (comma-separated)"
    )
    parser.add_argument(
        "--jvm-flags", help="extra JVM flags for the restarted server (as JAVA_TOOL_OPTIONS)"
    )
    args = parser.parse_args()
    if os.environ.get("NEO4J_URI"):
        raise SystemExit("write_cold restarts the local benchmark server: unset NEO4J_URI")
    if args.jvm_flags:
        os.environ["JAVA_TOOL_OPTIONS"] = args.jvm_flags  # the server inherits the environment
    snap = GraphSnapshot.load(SNAPSHOT)
    rng = np.random.default_rng(3)
    picked = rng.choice(snap.num_nodes("user"), args.users + 5_000, replace=False)
    users, others = np.sort(picked[: args.users]), np.sort(picked[args.users :])
    work = wp.batches(wp.model_rows(snap, users), 500)
    other_work = wp.batches(wp.model_rows(snap, others), 500)
    shipped = queries.load("write_recommendations", GraphMapping())
    can_drop = os.access(DROP_CACHES, os.W_OK)
    variants = {  # key: what the table says
        "warm": "warm",
        "kept": "warm, a previous run's rows still there",
        "restart": "restart",
        "dropped": "restart, OS cache dropped",
        "read": "restart, pages read first",
        "jit": "restart, write path run first",
        "product": "warm, the product's `Writeback.run`",
    }
    if not can_drop:
        del variants["dropped"]
    if args.variants:
        variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}
    if "product" in variants:  # scored beforehand: the writes are measured alone
        model = popularity_model(snap)
        scorer = Precomputed(model, list(model.top_k(wp.PER_USER, users, chunk=500)))
    results: dict[str, list[dict]] = {}
    runner, pid = restart()
    uninstall(runner, GraphMapping())
    wp.clean(runner)
    timed(pid, raw_write(runner, shipped, work))  # the "warm" variant's previous write
    wp.clean(runner)
    for _ in range(args.rounds):
        for key, name in variants.items():
            if key not in ("warm", "kept", "product"):
                runner.close()
                runner, pid = restart(drop_os_cache=key == "dropped")
            if key == "read":
                wp.rate(runner.read, wp.LOOKUP + "RETURN count(*)", work, 1)
            if key == "kept":  # as in a full rewrite: the old run is still served
                wp.rate(runner.write, shipped, work, 2)
            if key == "jit":
                wp.rate(runner.write, shipped, other_work, 2)
                wp.clean(runner)
            if key == "product":
                res = timed(pid, product_write(runner, scorer, users))
                uninstall(runner, GraphMapping())
            else:
                res = timed(pid, raw_write(runner, shipped, work))
                wp.clean(runner)
            results.setdefault(name, []).append(res)
            print(
                f"{name}: {res['rate']:,.0f}/s (first fifth {res['first']:,.0f}, last "
                f"{res['last']:,.0f}), cpu {res['cpu']}, rchar {res['rchar'] / 2**20:,.0f} MiB, "
                f"read_bytes {res['read_bytes'] / 2**20:,.0f} MiB",
                flush=True,
            )
    sizes = wp.store_sizes(runner)
    runner.close()

    def med(name: str, key: str, sub: str | None = None) -> float:
        return float(np.median([r[key][sub] if sub else r[key] for r in results[name]]))

    def rate(x: float) -> str:
        return "-" if np.isnan(x) else f"{x:,.0f}"

    rels = sum(len(r) for b in work for r in b["items"])
    lines = [
        f"{args.users:,} random users' top-20 ({rels:,} relationships) written with the shipped "
        "query, 10,000 a transaction, 2 in flight, then deleted; variants alternate, "
        f"{args.rounds} rounds, medians. {sizes} Server JVM figures from /proc during the "
        "measured write only."
        + ("" if can_drop else " (No privilege to drop the OS cache here: that row is absent.)"),
        "",
        "| variant | relationships/s | first fifth | last fifth | server CPU s | JIT CPU s "
        "| GC CPU s | read MiB (rchar) | from disk MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {name} | {med(name, 'rate'):,.0f} | {rate(med(name, 'first'))} | "
            f"{rate(med(name, 'last'))} | {med(name, 'cpu', 'all'):.1f} | "
            f"{med(name, 'cpu', 'jit'):.1f} | {med(name, 'cpu', 'gc'):.1f} | "
            f"{med(name, 'rchar') / 2**20:,.0f} | {med(name, 'read_bytes') / 2**20:,.0f} |"
            for name in variants.values()
        ),
    ]
    name = "Writeback after a restart, cold vs warm (issue 15)"
    if args.jvm_flags:
        name += f", JVM {args.jvm_flags}"
    if args.variants:
        name += f", variants {args.variants}"
    write_section(name, "\n".join(lines))


if __name__ == "__main__":
    main()
