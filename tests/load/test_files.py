"""Loaders against a real Neo4j: exact counts, idempotence, bad input, custom mapping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socialrec.errors import InputFormatError, SocialrecError
from socialrec.export import Exporter
from socialrec.export.snapshot import HAS
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.files import (
    FileFormat,
    bundled_ciaodvd_dir,
    bundled_lastfm_dir,
    load_ciaodvd,
    load_friendships,
    load_interactions,
    load_item_attributes,
    load_lastfm,
)
from socialrec.load.writer import GraphWriter
from socialrec.mapping import GraphMapping
from socialrec.writeback import candidate_mask
from socialrec.writeback.runs import WritebackError

pytestmark = pytest.mark.integration


def count(db: Neo4jRunner, pattern: str) -> int:
    return db.read(f"MATCH {pattern} RETURN count(*) AS n")[0]["n"]


def test_lastfm_counts_match_the_files(db: Neo4jRunner) -> None:
    report = load_lastfm(GraphWriter(db), progress=False)
    d = bundled_lastfm_dir()
    listens = np.loadtxt(d / "user_artist.dat", dtype=np.int64)
    friends = np.loadtxt(d / "user_user.dat", dtype=np.int64)
    tags = np.loadtxt(d / "artist_tag.dat", dtype=np.int64)
    pairs = {(min(a, b), max(a, b)) for a, b in friends.tolist() if a != b}
    items = set(listens[:, 1].tolist()) | set(tags[:, 0].tolist())
    users = set(listens[:, 0].tolist()) | set(friends.ravel().tolist())

    assert count(db, "(:User)") == len(users) == 1892
    assert count(db, "(:Item)") == len(items)
    assert count(db, "(:Attribute {kind: 'tag'})") == len(set(tags[:, 1].tolist()))
    assert count(db, "()-[:INTERACTED]->()") == len(listens) == 92_834
    assert count(db, "()-[:FRIENDS_WITH]->()") == len(pairs) == 12_717
    assert count(db, "()-[:HAS_ATTRIBUTE]->()") == len({tuple(r) for r in tags.tolist()})
    assert report.rows["interactions"] == 92_834

    # Display names from artist_name.dat and tag_name.dat, on existing nodes only
    names = dict(line.split("\t", 1) for line in (d / "artist_name.dat").read_text().splitlines())
    named = db.read("MATCH (i:Item {id: 89}) RETURN i.name AS name")[0]["name"]
    assert named == names["89"].strip()
    assert count(db, "(:Item)") == len(items)  # no node created for a name
    tag_names = dict(t.split("\t", 1) for t in (d / "tag_name.dat").read_text().splitlines())
    tag = db.read("MATCH (a:Attribute {kind: 'tag', id: 73}) RETURN a.name AS name")[0]["name"]
    assert tag == tag_names["73"].strip()

    # Weights: play counts; repeated tag rows become the link weight.
    u, i, w = listens[0].tolist()
    got = db.read(
        "MATCH (:User {id: $u})-[r:INTERACTED]->(:Item {id: $i}) RETURN r.weight AS w",
        {"u": u, "i": i},
    )
    assert got == [{"w": float(w)}]
    values, counts = np.unique(tags, axis=0, return_counts=True)
    (a, t), c = values[counts.argmax()].tolist(), int(counts.max())
    got = db.read(
        "MATCH (:Item {id: $a})-[r:HAS_ATTRIBUTE]->(:Attribute {id: $t}) RETURN r.weight AS w",
        {"a": a, "t": t},
    )
    assert got == [{"w": float(c)}] and c > 1


def test_ciaodvd_counts_dates_and_genre_names_match_the_files(db: Neo4jRunner) -> None:
    import datetime as dt

    load_ciaodvd(GraphWriter(db), progress=False)
    d = bundled_ciaodvd_dir()
    rows = [line.split(",") for line in (d / "movie-ratings.txt").read_text().splitlines()]
    trust = np.loadtxt(d / "trusts.txt", delimiter=",", dtype=np.int64)
    pairs = {(int(r[0]), int(r[1])) for r in rows}
    friends = {(min(a, b), max(a, b)) for a, b, _ in trust.tolist() if a != b}
    assert count(db, "()-[:INTERACTED]->()") == len(pairs)  # a re-rated DVD counts once
    assert count(db, "()-[:FRIENDS_WITH]->()") == len(friends)
    assert count(db, "(:Item)") == len({int(r[1]) for r in rows})
    assert count(db, "(:Attribute {kind: 'genre'})") == 17
    # stars as weight, the day as ts (midnight UTC), the genre by name
    user, movie, genre, _, stars, day = rows[0]
    got = db.read(
        "MATCH (:User {id: $u})-[r:INTERACTED]->(i:Item {id: $i})-[:HAS_ATTRIBUTE]->(g) "
        "RETURN r.weight AS w, r.ts AS ts, g.id AS genre, g.name AS name",
        {"u": int(user), "i": int(movie)},
    )
    when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp()
    names = dict(line.split(",", 1) for line in (d / "genre_name.txt").read_text().splitlines())
    assert got == [{"w": float(stars), "ts": int(when), "genre": int(genre), "name": names[genre]}]


def test_reloading_changes_nothing(db: Neo4jRunner) -> None:
    load_lastfm(GraphWriter(db), progress=False)
    before = (count(db, "()"), count(db, "()-[]->()"))
    again = GraphWriter(db)
    load_lastfm(again, progress=False)
    assert (count(db, "()"), count(db, "()-[]->()")) == before
    assert again.report.counters.get("nodes_created", 0) == 0
    assert again.report.counters.get("relationships_created", 0) == 0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tsv_with_string_ids_times_and_csv(db: Neo4jRunner, tmp_path: Path) -> None:
    inter = write(
        tmp_path,
        "i.csv",
        "user,item,rating,when\nalice,m1,4.5,2024-05-01T10:00:00\n"
        "bob,m1,3,1700000000\nbob,m2,5,1700000100\n",
    )
    fr = write(tmp_path, "f.tsv", "alice\tbob\nbob\talice\ncarol\tcarol\n")
    at = write(tmp_path, "a.tsv", "m1\tdrama\nm2\tcomedy\nm1\tdrama\n")
    writer = GraphWriter(db)
    writer.apply_schema()
    load_interactions(
        writer,
        inter,
        FileFormat(delimiter=",", header=True),
        weight_col=2,
        time_col=3,
        progress=False,
    )
    load_friendships(writer, fr, FileFormat(), progress=False)
    load_item_attributes(writer, at, FileFormat(), kind="genre", progress=False)
    rows = db.read(
        "MATCH (u:User)-[r:INTERACTED]->(i:Item) "
        "RETURN u.id AS u, i.id AS i, r.weight AS w, r.ts AS t ORDER BY u, i"
    )
    assert rows == [
        {"u": "alice", "i": "m1", "w": 4.5, "t": 1_714_557_600},
        {"u": "bob", "i": "m1", "w": 3.0, "t": 1_700_000_000},
        {"u": "bob", "i": "m2", "w": 5.0, "t": 1_700_000_100},
    ]
    assert count(db, "()-[:FRIENDS_WITH]-()") == 2  # one relationship, seen from both ends
    assert writer.report.skipped["self-friendship"] == 1
    assert db.read(
        "MATCH (:Item {id:'m1'})-[r:HAS_ATTRIBUTE]->(a:Attribute) "
        "RETURN a.id AS a, a.kind AS k, r.weight AS w"
    ) == [{"a": "drama", "k": "genre", "w": 2.0}]


def test_malformed_line_stops_and_rerun_completes(db: Neo4jRunner, tmp_path: Path) -> None:
    good = "".join(f"{u}\t{u % 7}\t1\n" for u in range(30))
    path = write(tmp_path, "i.tsv", good + "31\tseven\t1\n" + "32\t1\t1\n")
    writer = GraphWriter(db, batch_size=2)  # reads 10 rows at a time
    with pytest.raises(InputFormatError) as err:
        load_interactions(writer, path, FileFormat(id_type="int"), weight_col=2, progress=False)
    assert str(err.value).startswith(f"{path}:31: column 2 (item): 'seven'")
    assert count(db, "()-[:INTERACTED]->()") == 30  # the batches before the bad line, whole

    path.write_text(good + "31\t7\t1\n" + "32\t1\t1\n")
    load_interactions(
        GraphWriter(db), path, FileFormat(id_type="int"), weight_col=2, progress=False
    )
    assert count(db, "()-[:INTERACTED]->()") == 32


def test_custom_mapping_writes_other_names(db: Neo4jRunner, tmp_path: Path) -> None:
    m = GraphMapping(
        user="Person",
        item="Movie",
        interacted="RATED",
        friends="KNOWS",
        user_id="personId",
        weight="rating",
    )
    writer = GraphWriter(db, m)
    writer.apply_schema()
    writer.interactions(["p1", "p2"], ["m1", "m1"], [5.0, 3.0])
    writer.friendships(["p1"], ["p2"])
    assert db.read(
        "MATCH (p:Person)-[r:RATED]->(m:Movie) RETURN p.personId AS p, r.rating AS r ORDER BY p"
    ) == [{"p": "p1", "r": 5.0}, {"p": "p2", "r": 3.0}]
    assert count(db, "(:Person)-[:KNOWS]-(:Person)") == 2
    assert count(db, "(:User)") == 0


def test_not_a_lastfm_folder(db: Neo4jRunner, tmp_path: Path) -> None:
    with pytest.raises(SocialrecError, match=r"missing user_artist\.dat"):
        load_lastfm(GraphWriter(db), tmp_path, progress=False)


def test_two_attribute_files_with_the_same_ids_stay_apart(db: Neo4jRunner, tmp_path: Path) -> None:
    (tmp_path / "i.tsv").write_text("u1\ta\nu1\tb\nu2\tb\n")
    (tmp_path / "categories.tsv").write_text("a\t1\nb\t2\n")
    (tmp_path / "cities.tsv").write_text("a\t2\nb\t1\n")
    writer = GraphWriter(db)
    writer.apply_schema()
    fmt = FileFormat()
    load_interactions(writer, tmp_path / "i.tsv", fmt, progress=False)
    load_item_attributes(writer, tmp_path / "categories.tsv", fmt, kind="category", progress=False)
    load_item_attributes(writer, tmp_path / "cities.tsv", fmt, kind="city", progress=False)
    links = {
        (r["i"], r["k"], r["a"])
        for r in db.read(
            "MATCH (i:Item)-[:HAS_ATTRIBUTE]->(a:Attribute) "
            "RETURN i.id AS i, a.kind AS k, a.id AS a"
        )
    }
    assert links == {("a", "category", "1"), ("b", "category", "2"), ("a", "city", "2"),
                     ("b", "city", "1")}  # fmt: skip
    assert db.read("MATCH (a:Attribute) RETURN count(a) AS n")[0]["n"] == 4

    snap = Exporter(db, progress=False).full()
    assert sorted(snap.ids["attribute"].tolist()) == ["category:1", "category:2", "city:1",
                                                      "city:2"]  # fmt: skip
    index = snap.data[HAS].edge_index.numpy()
    pairs = {(snap.ids["item"][i], snap.ids["attribute"][a]) for i, a in index.T}
    assert ("a", "city:2") in pairs and ("a", "city:1") not in pairs
    # only items in city 1: item b
    mask = candidate_mask(snap, attributes=["city:1"])
    assert mask is not None and snap.ids["item"][mask].tolist() == ["b"]
    with pytest.raises(WritebackError, match="ambiguous"):
        candidate_mask(snap, attributes=["1"])
