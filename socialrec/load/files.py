"""Loading interactions, friendships and item attributes from delimited files.

The generic path (``socialrec load tsv``) and the LastFM loader both come here;
LastFM is just a fixed choice of files and columns. Every file of a load is read
through once before anything is written (:func:`check_files`): a missing file,
a bad line or a wrong encoding anywhere stops the load with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from socialrec.errors import SocialrecError
from socialrec.load.delimited import (
    Column,
    IdType,
    check_file,
    id_parser,
    parse_str_id,
    parse_timestamp,
    parse_weight,
    read_columns,
)
from socialrec.load.writer import GraphWriter, LoadReport


@dataclass(frozen=True)
class FileFormat:
    """How to read a delimited file.

    Args:
        delimiter (str): field separator. (default: tab)
        header (bool): skip the first line. (default: ``False``)
        id_type (str): ``"int"`` or ``"str"`` node ids. (default: ``"str"``)
        encoding (str): text encoding; ``utf-8-sig`` reads UTF-8 with or
            without a byte-order mark. (default: ``"utf-8-sig"``)
    """

    delimiter: str = "\t"
    header: bool = False
    id_type: IdType = "str"
    encoding: str = "utf-8-sig"


def _read(writer: GraphWriter, path: Path, columns: list[Column], fmt: FileFormat, progress: bool):
    # Read batches a few times larger than a transaction: parsing is cheap
    # and the writer splits them again.
    return read_columns(
        path,
        columns,
        delimiter=fmt.delimiter,
        header=fmt.header,
        batch_size=writer.batch_size * 5,
        progress=progress,
        encoding=fmt.encoding,
    )


def interaction_columns(
    fmt: FileFormat,
    user_col: int = 0,
    item_col: int = 1,
    weight_col: int | None = None,
    time_col: int | None = None,
) -> list[Column]:
    ids = id_parser(fmt.id_type)
    columns = [Column("user", user_col, ids), Column("item", item_col, ids)]
    if weight_col is not None:
        columns.append(Column("weight", weight_col, parse_weight))
    if time_col is not None:
        columns.append(Column("timestamp", time_col, parse_timestamp))
    return columns


def friendship_columns(fmt: FileFormat, a_col: int = 0, b_col: int = 1) -> list[Column]:
    ids = id_parser(fmt.id_type)
    return [Column("user", a_col, ids), Column("friend", b_col, ids)]


def attribute_columns(
    fmt: FileFormat,
    item_col: int = 0,
    attribute_col: int = 1,
    weight_col: int | None = None,
    attribute_id_type: IdType | None = None,
) -> list[Column]:
    columns = [
        Column("item", item_col, id_parser(fmt.id_type)),
        Column("attribute", attribute_col, id_parser(attribute_id_type or fmt.id_type)),
    ]
    if weight_col is not None:
        columns.append(Column("weight", weight_col, parse_weight))
    return columns


def check_files(
    files: list[tuple[str | Path, list[Column], FileFormat]], report: LoadReport
) -> None:
    """Read every file completely before anything is written; warnings go to ``report``."""
    for path, columns, fmt in files:
        check_file(path, columns, fmt.delimiter, fmt.header, fmt.encoding, report.warn)


def load_interactions(
    writer: GraphWriter,
    path: str | Path,
    fmt: FileFormat = FileFormat(),
    user_col: int = 0,
    item_col: int = 1,
    weight_col: int | None = None,
    time_col: int | None = None,
    progress: bool = True,
) -> None:
    """Load ``user item [weight] [time]`` rows (column positions 0-based)."""
    columns = interaction_columns(fmt, user_col, item_col, weight_col, time_col)
    for batch in _read(writer, Path(path), columns, fmt, progress):
        rest = iter(batch[2:])
        weights = next(rest) if weight_col is not None else None
        times = next(rest) if time_col is not None else None
        writer.interactions(batch[0], batch[1], weights, times)


def load_friendships(
    writer: GraphWriter,
    path: str | Path,
    fmt: FileFormat = FileFormat(),
    a_col: int = 0,
    b_col: int = 1,
    progress: bool = True,
) -> None:
    """Load ``user friend`` rows; (a, b) and (b, a) make one friendship."""
    columns = friendship_columns(fmt, a_col, b_col)
    for a, b in _read(writer, Path(path), columns, fmt, progress):
        # Order each pair so that both directions in one batch collapse to one row
        # (the MERGE collapses them across batches; the load report counts what
        # the database gained, not rows).
        pairs = {(x, y) if x <= y else (y, x) for x, y in zip(a, b, strict=True)}
        ordered = sorted(pairs)
        writer.friendships([p[0] for p in ordered], [p[1] for p in ordered])


def load_item_attributes(
    writer: GraphWriter,
    path: str | Path,
    fmt: FileFormat = FileFormat(),
    item_col: int = 0,
    attribute_col: int = 1,
    weight_col: int | None = None,
    kind: str = "attribute",
    attribute_id_type: IdType | None = None,
    progress: bool = True,
) -> None:
    """Load ``item attribute [weight]`` rows.

    Without a weight column, a pair's weight is how often it occurs in the file
    (LastFM lists a tag once per user who applied it). The file is aggregated in
    memory for that: attribute files are small next to interaction files.
    """
    columns = attribute_columns(fmt, item_col, attribute_col, weight_col, attribute_id_type)
    if weight_col is not None:
        for batch in _read(writer, Path(path), columns, fmt, progress):
            writer.item_attributes(batch[0], batch[1], batch[2], kind=kind)
        return
    counts: dict[tuple[object, object], int] = {}
    for items, attrs in _read(writer, Path(path), columns, fmt, progress):
        for pair in zip(items, attrs, strict=True):
            counts[pair] = counts.get(pair, 0) + 1
    pairs = list(counts)
    writer.report.skip(
        "repeated item-attribute rows (counted as weight)", sum(counts.values()) - len(pairs)
    )
    writer.item_attributes(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        np.fromiter(counts.values(), dtype=np.float64, count=len(pairs)),
        kind=kind,
    )


LASTFM_FILES = ("user_artist.dat", "user_user.dat", "artist_tag.dat")
#: Optional: display names of artists and tags (item and attribute ``name``).
LASTFM_NAMES = (("artist_name.dat", "item", None), ("tag_name.dat", "attribute", "tag"))


def bundled_dataset_dir(name: str) -> Path:
    """A dataset shipped with socialrec (repository ``data/``, package ``socialrec.datasets``).

    Found through the package, so it is there after ``pip install .`` (not only
    in a source checkout) and in the Docker image.
    """
    path = Path(str(resources.files("socialrec.datasets").joinpath(name)))
    if not path.is_dir():
        raise SocialrecError(f"the bundled dataset {name!r} is missing from this installation")
    return path


def bundled_lastfm_dir() -> Path:
    """The copy of LastFM HetRec 2011 shipped with socialrec."""
    return bundled_dataset_dir("lastfm-hetrec")


def load_lastfm(
    writer: GraphWriter, directory: str | Path | None = None, progress: bool = True
) -> LoadReport:
    """Load LastFM HetRec 2011: listens (weight = play count), friendships, artist tags.

    Users and artists become ``User`` and ``Item`` nodes with integer ids, tags
    ``Attribute`` nodes of kind ``"tag"``.
    """
    directory = Path(directory) if directory else bundled_lastfm_dir()
    missing = [name for name in LASTFM_FILES if not (directory / name).is_file()]
    if missing:
        raise SocialrecError(
            f"{directory}: not a LastFM HetRec 2011 folder, missing {', '.join(missing)}"
        )
    fmt = FileFormat(id_type="int")
    check_files(
        [
            (directory / "user_artist.dat", interaction_columns(fmt, weight_col=2), fmt),
            (directory / "user_user.dat", friendship_columns(fmt), fmt),
            (directory / "artist_tag.dat", attribute_columns(fmt), fmt),
        ],
        writer.report,
    )
    writer.apply_schema()
    load_interactions(writer, directory / "user_artist.dat", fmt, weight_col=2, progress=progress)
    load_friendships(writer, directory / "user_user.dat", fmt, progress=progress)
    load_item_attributes(writer, directory / "artist_tag.dat", fmt, kind="tag", progress=progress)
    for name, role, kind in LASTFM_NAMES:
        if (directory / name).is_file():
            load_names(writer, directory / name, role, fmt, kind=kind, progress=progress)
    return writer.report


def load_names(
    writer: GraphWriter,
    path: str | Path,
    role: str,
    fmt: FileFormat = FileFormat(),
    kind: str | None = None,
    progress: bool = True,
) -> None:
    """Load ``id name`` rows as display names of existing items or attributes."""
    columns = [Column("id", 0, id_parser(fmt.id_type)), Column("name", 1, parse_str_id)]
    for ids, names in _read(writer, Path(path), columns, fmt, progress):
        writer.names(role, ids, names, kind=kind)


CIAODVD_FILES = ("movie-ratings.txt", "trusts.txt")


def bundled_ciaodvd_dir() -> Path:
    """The copy of CiaoDVD shipped with socialrec."""
    return bundled_dataset_dir("ciaodvd")


def load_ciaodvd(
    writer: GraphWriter, directory: str | Path | None = None, progress: bool = True
) -> LoadReport:
    """Load CiaoDVD: dated DVD ratings, trust links, one genre per movie.

    Every rating is an interaction (weight = its 1-5 stars, ``ts`` = its day,
    midnight UTC; a pair rated twice keeps the later row), trust links are
    friendships (stored once a pair, as the social models read both ways), and
    each movie's genre an attribute of kind ``"genre"``, named from
    ``genre_name.txt``. Ids are integers.
    """
    directory = Path(directory) if directory else bundled_ciaodvd_dir()
    missing = [name for name in CIAODVD_FILES if not (directory / name).is_file()]
    if missing:
        raise SocialrecError(f"{directory}: not a CiaoDVD folder, missing {', '.join(missing)}")
    fmt = FileFormat(delimiter=",", id_type="int")
    ratings = directory / "movie-ratings.txt"
    rating_columns = interaction_columns(fmt, 0, 1, weight_col=4, time_col=5)
    check_files(
        [
            (ratings, rating_columns, fmt),
            (directory / "trusts.txt", friendship_columns(fmt), fmt),
            (ratings, attribute_columns(fmt, item_col=1, attribute_col=2), fmt),
        ],
        writer.report,
    )
    writer.apply_schema()
    load_interactions(writer, ratings, fmt, 0, 1, weight_col=4, time_col=5, progress=progress)
    load_friendships(writer, directory / "trusts.txt", fmt, progress=progress)
    load_item_attributes(writer, ratings, fmt, 1, 2, kind="genre", progress=progress)
    if (directory / "genre_name.txt").is_file():
        load_names(writer, directory / "genre_name.txt", "attribute", fmt, "genre", progress)
    return writer.report
