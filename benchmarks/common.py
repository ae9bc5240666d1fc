"""Helpers shared by the benchmark scripts: a scratch server and RESULTS.md sections.

Benchmarks wipe the database they use, so by default they run on their own
local instance (``bench``, Bolt port 27687), never on the user's data. Point
``NEO4J_URI`` at a server only together with ``--wipe-my-database``.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from socialrec.config import ConnectionSettings
from socialrec.graph.runner import Neo4jRunner
from socialrec.server.local import LocalNeo4j, ServerSettings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def bench_server(pagecache: str = "auto") -> LocalNeo4j:
    """The local benchmark instance (port 27687) that ``bench_runner`` starts."""
    return LocalNeo4j(
        ServerSettings(
            name="bench", bolt_port=27687, http_port=27474, heap="4g", pagecache=pagecache
        )
    )


def bench_runner(wipe_allowed: bool = False, pagecache: str | None = None) -> Neo4jRunner:
    """The benchmark server; ``pagecache`` given: restarted with that page cache."""
    from_env = ConnectionSettings.from_env()
    if from_env is not None:
        if not wipe_allowed:
            sys.exit("NEO4J_URI is set: benchmarks wipe the database; add --wipe-my-database")
        settings = from_env
    else:
        server = bench_server(pagecache or "auto")
        if pagecache is not None:
            server.stop()
        server.start()
        settings = server.connection()
    runner = Neo4jRunner(settings)
    runner.verify()
    return runner


def wipe(runner: Neo4jRunner) -> None:
    runner.write_autocommit("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 50000 ROWS")


def machine() -> str:
    """The machine and the numeric libraries' versions: a fresh install may pull newer
    torch or numpy wheels, and their kernels change the last digits of the figures."""
    from importlib.metadata import version

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {version('torch')}, numpy {version('numpy')}"
    )


def describe_device(device: Any, workers: int = 1) -> str:
    """``cpu`` (with its threads) or the GPU's name, for result tables; ``workers``
    > 1: that many one-thread processes ran side by side."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        name = f"`cuda` ({torch.cuda.get_device_name(device)})"
    elif workers > 1:  # each worker runs one thread: the process's count says nothing
        name = "`cpu`"
    else:
        name = f"`cpu` ({torch.get_num_threads()} threads)"
    if workers > 1:
        name += f", {workers} one-thread processes side by side"
    return name


def command_line() -> str:
    return shlex.join(["python", "-m", "benchmarks." + Path(sys.argv[0]).stem, *sys.argv[1:]])


def commit() -> str:
    """The checkout's commit when the benchmark started (the code it measures; a
    commit made while it runs is not), ``+changes`` when the working tree differed
    from it (RESULTS.md itself aside: an earlier section written in the same
    session is not a change to the code measured)."""
    global _STARTED_AT
    if _STARTED_AT is None:
        from socialrec.train.report import checkout_commit

        _STARTED_AT = checkout_commit(exclude=("benchmarks/RESULTS.md",)) or "unknown"
    return _STARTED_AT


_STARTED_AT: str | None = None
commit()  # at import, that is, when the benchmark starts


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section ``name`` of RESULTS.md, keeping the others.

    Text written by hand between ``<!-- notes:start -->`` and ``<!-- notes:end -->``
    inside the section (what the figures say, older figures kept for comparison)
    survives a rerun: it is carried to the end of the new section.
    """
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(
        rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S
    )
    old = pattern.search(text)
    notes = re.search(r"<!-- notes:start -->.*?<!-- notes:end -->", old[0], re.S) if old else None
    if notes and "<!-- notes:start -->" not in body:
        body = f"{body.strip()}\n\n{notes[0]}"
    block = (
        f"<!-- {name}:start -->\n## {name}\n\n"
        f"Command: `{command_line()}`  \n"
        f"Commit: {commit()}  \n"
        f"Machine: {machine()}; run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
        f"{body.strip()}\n<!-- {name}:end -->"
    )
    text = pattern.sub(lambda _: block, text) if old else text.rstrip() + "\n\n" + block
    RESULTS.write_text(text.rstrip() + "\n")
    print(block)


CIAODVD = Path(__file__).resolve().parents[1] / "data" / "ciaodvd"  # the bundled copy


def ciaodvd_snapshot():  # type: ignore[no-untyped-def]
    """CiaoDVD (the bundled ``data/ciaodvd``, or ``$SOCIALREC_CIAODVD``) as a snapshot.

    Built from the files directly (LastFM's benchmarks cover the Neo4j ->
    exporter path): every rating is an interaction weighted by its 1-5 stars
    and dated, a repeated (user, movie) pair counts once (its latest rating),
    trust links are friendships (the social models use them both ways), and
    each movie's genre is its attribute.
    """
    import datetime as dt

    import numpy as np

    from socialrec.export import GraphSnapshot
    from socialrec.export.tables import EdgeList, NodeTable, build_hetero_data
    from socialrec.mapping import GraphMapping

    folder = Path(os.environ.get("SOCIALREC_CIAODVD", CIAODVD))
    if not (folder / "movie-ratings.txt").exists():
        sys.exit(f"{folder}/movie-ratings.txt not found: set SOCIALREC_CIAODVD to the folder")
    rows = [line.split(",") for line in (folder / "movie-ratings.txt").read_text().splitlines()]
    user = np.array([int(r[0]) for r in rows])
    movie = np.array([int(r[1]) for r in rows])
    genre = np.array([int(r[2]) for r in rows])
    stars = np.array([float(r[4]) for r in rows])
    day = np.array(
        [int(dt.datetime.fromisoformat(r[5].strip()).timestamp()) for r in rows], dtype=np.int64
    )
    trust = np.loadtxt(folder / "trusts.txt", delimiter=",", dtype=np.int64, ndmin=2)
    # latest rating of each (user, movie) pair
    order = np.lexsort((day, movie, user))[::-1]
    _, first = np.unique(np.stack([user[order], movie[order]]), axis=1, return_index=True)
    keep = order[first]
    user_ids = np.unique(np.concatenate([user, trust[:, 0], trust[:, 1]]))
    movie_ids, genre_of = np.unique(movie, return_index=True)
    genre_ids = np.unique(genre)
    u = np.searchsorted(user_ids, user[keep])
    i = np.searchsorted(movie_ids, movie[keep])
    a, b = np.searchsorted(user_ids, trust[:, 0]), np.searchsorted(user_ids, trust[:, 1])
    both = np.unique(np.concatenate([np.stack([a, b]), np.stack([b, a])], axis=1), axis=1)
    both = both[:, both[0] != both[1]]
    g = np.searchsorted(genre_ids, genre[genre_of])
    users = NodeTable("user", user_ids, user_ids)
    items = NodeTable("item", movie_ids, movie_ids)
    attrs = NodeTable("attribute", genre_ids, np.array([f"genre:{x}" for x in genre_ids], object))
    data = build_hetero_data(
        users,
        items,
        attrs,
        EdgeList(u, i, stars[keep], day[keep]),
        EdgeList(both[0], both[1]),
        EdgeList(np.arange(len(movie_ids)), g, np.ones(len(movie_ids))),
    )
    return GraphSnapshot(
        data=data,
        ids={"user": users.ids, "item": items.ids, "attribute": attrs.ids},
        mapping=GraphMapping(),
    )


def dataset_snapshot(name: str):  # type: ignore[no-untyped-def]
    """``lastfm`` (through Neo4j, cached) or ``ciaodvd`` (from its files)."""
    if name == "lastfm":
        return lastfm_snapshot()
    if name == "ciaodvd":
        return ciaodvd_snapshot()
    raise SystemExit(f"unknown dataset {name!r}: lastfm or ciaodvd")


def lastfm_snapshot():  # type: ignore[no-untyped-def]
    """LastFM exported from Neo4j (cached in benchmarks/out/lastfm.pt).

    The first call loads the bundled LastFM into a small scratch instance
    (``bench-lastfm``, port 27688) and exports it, so training benchmarks measure
    the product path: Neo4j -> exporter -> snapshot.
    """
    from socialrec.export import Exporter, GraphSnapshot
    from socialrec.load.files import load_lastfm
    from socialrec.load.writer import GraphWriter

    path = Path(__file__).resolve().parent / "out" / "lastfm.pt"
    if path.exists():
        return GraphSnapshot.load(path)
    server = LocalNeo4j(
        ServerSettings(
            name="bench-lastfm", bolt_port=27688, http_port=27475, heap="1g", pagecache="256m"
        )
    )
    server.start()
    with Neo4jRunner(server.connection()) as r:
        if r.read("MATCH (u:User) RETURN count(u) AS n")[0]["n"] != 1892:
            wipe(r)
            load_lastfm(GraphWriter(r), progress=False)
        snapshot = Exporter(r, progress=False).full()
    server.stop()
    snapshot.save(path)
    return snapshot
