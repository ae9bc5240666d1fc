"""Reading delimited text files (TSV, CSV) in batches, with ``file:line`` errors.

Lines are read by Python's csv reader. Comma- (or other character-) separated
files follow RFC 4180: ``"Smith, J"`` is one field without its quotes, ``""``
inside quotes is a quote, a quoted field may span lines. Tab-separated files
have no quoting (as IANA's TSV): quotes are part of the text. The
encoding is UTF-8 by default, with or without a byte-order mark; anything else
(Latin-1, Windows-1252...) is named with ``encoding``. A malformed line, bytes
that are not text in that encoding, or a file without data rows stop the read
with :class:`~socialrec.errors.InputFormatError` naming the file, the line and
what to do. The loaders check every file completely (:func:`check_file`) before
they write anything, so a bad line anywhere loads nothing.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from socialrec.errors import InputFormatError
from socialrec.progress import Stage

IdType = Literal["int", "str"]


def parse_int_id(text: str) -> int:
    return int(text)


def parse_str_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise ValueError("empty id")
    return value


def parse_weight(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("weight must be finite")
    return value


def parse_timestamp(text: str) -> int:
    """Epoch seconds, or an ISO 8601 date/time (UTC when it has no offset)."""
    text = text.strip()
    try:
        return int(float(text))
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


_EXPECTED: dict[Callable[[str], Any], str] = {
    parse_int_id: "an integer id",
    parse_str_id: "a non-empty id",
    parse_weight: "a finite number",
    parse_timestamp: "epoch seconds or an ISO 8601 time",
}


def id_parser(id_type: IdType) -> Callable[[str], Any]:
    return parse_int_id if id_type == "int" else parse_str_id


@dataclass(frozen=True)
class Column:
    """One column to read.

    Args:
        name (str): what the column holds, for error messages (``"user"``).
        index (int): 0-based position in the line.
        parse (Callable): turns the text into a value; raises ``ValueError``.
    """

    name: str
    index: int
    parse: Callable[[str], Any]


#: First-row fields that say "this is a header": column names, not ids.
_HEADER_WORD = re.compile(
    r"^(user|item|friend|movie|artist|product|person|tag|attribute|category|genre|"
    r"source|target|from|to|src|dst|node|weight|rating|score|count|plays|time|"
    r"timestamp|date|ts|kind)s?[ _-]?(id|name)?$|^id$",
    re.IGNORECASE,
)


def looks_like_header(fields: Sequence[str]) -> bool:
    """True when every field reads like a column name (``user``, ``itemId``, ``rating``...)."""
    return bool(fields) and all(_HEADER_WORD.match(f.strip()) for f in fields)


def read_columns(
    path: str | Path,
    columns: Sequence[Column],
    delimiter: str = "\t",
    header: bool = False,
    batch_size: int = 100_000,
    progress: bool = True,
    encoding: str = "utf-8-sig",
    warn: Callable[[str], None] | None = None,
) -> Iterator[list[list[Any]]]:
    """Yield batches as one list per column, ``batch_size`` rows at a time.

    Blank lines are skipped; every other line must have each requested column.
    ``warn`` receives a ``file:line: ...`` line for a first row that looks like
    a header while ``header`` is off.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(path, 0, "file not found")
    width = max(c.index for c in columns) + 1
    batch: list[list[Any]] = [[] for _ in columns]
    rows = 0
    try:
        f = path.open("r", encoding=encoding, errors="strict", newline="")
    except LookupError as e:
        raise InputFormatError(path, 0, f"unknown encoding {encoding!r}") from e
    except OSError as e:
        raise InputFormatError(path, 0, f"cannot open: {e.strerror}") from e
    bar = Stage(f"read {path.name}", path.stat().st_size, unit="B", enabled=progress)
    # CSV quotes fields (RFC 4180); tab-separated values do not (IANA's TSV has no
    # quoting), so a tab file's '"Weird Al" Yankovic' keeps its quotes.
    quote = delimiter != "\t"
    reader = csv.reader(
        _counted(f, bar),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        strict=True,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    with f, bar:
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as e:
                raise InputFormatError(
                    path,
                    line,
                    f"not {encoding} text ({e.reason}, byte 0x{e.object[e.start]:02x}); "
                    "if the file is Latin-1 or Windows-1252, pass --encoding latin-1 or cp1252",
                ) from e
            except csv.Error as e:
                what = "a NUL byte: not a text file" if "NUL" in str(e) else str(e)
                raise InputFormatError(path, line, f"cannot read the line ({what})") from e
            line = reader.line_num
            if line == 1 and fields and fields[0].startswith("\ufeff"):
                fields[0] = fields[0][1:]  # a BOM under an explicit utf-8 encoding
            if line == 1 and header:
                continue
            if not any(field.strip() for field in fields):
                continue
            if any("\x00" in field for field in fields):
                raise InputFormatError(path, line, "a NUL byte: not a text file")
            if len(fields) < width:
                raise InputFormatError(
                    path,
                    line,
                    f"expected at least {width} {delimiter!r}-separated columns, "
                    f"found {len(fields)}",
                )
            first_row = rows == 0 and not header
            if first_row and warn and looks_like_header([fields[c.index] for c in columns]):
                warn(f"{path}:{line}: looks like a header ({', '.join(fields)}); pass --header")
            for out, col in zip(batch, columns, strict=True):
                raw = fields[col.index]
                try:
                    out.append(col.parse(raw))
                except (ValueError, OverflowError) as e:
                    expected = _EXPECTED.get(col.parse, "a valid value")
                    hint = " (a header? pass --header)" if first_row else ""
                    raise InputFormatError(
                        path,
                        line,
                        f"column {col.index + 1} ({col.name}): {raw!r} is not {expected}{hint}",
                    ) from e
            rows += 1
            if len(batch[0]) >= batch_size:
                yield batch
                batch = [[] for _ in columns]
        if rows == 0:
            raise InputFormatError(
                path, 0, "no data rows" + (" after the header" if header else " (empty file)")
            )
        if batch[0]:
            yield batch


def _counted(lines: Iterator[str], bar: Any) -> Iterator[str]:
    """The file's lines, moving the progress bar by their length (chars ~ bytes)."""
    pending = 0
    for line in lines:
        pending += len(line)
        if pending > 1 << 20:
            bar.update(pending)
            pending = 0
        yield line
    bar.update(pending)


def check_file(
    path: str | Path,
    columns: Sequence[Column],
    delimiter: str = "\t",
    header: bool = False,
    encoding: str = "utf-8-sig",
    warn: Callable[[str], None] | None = None,
) -> int:
    """Read the whole file as :func:`read_columns` would, writing nothing; rows read."""
    return sum(
        len(batch[0])
        for batch in read_columns(
            path,
            columns,
            delimiter,
            header,
            1_000_000,
            progress=False,
            encoding=encoding,
            warn=warn,
        )
    )
