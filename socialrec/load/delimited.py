"""Reading delimited text files (TSV, CSV) in batches, with ``file:line`` errors.

A malformed line stops the read with :class:`~socialrec.errors.InputFormatError`
naming the file, the line and the column; batches before it have already been
handed out (and written: each is idempotent), so fixing the file and running
again completes the load.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from socialrec.errors import InputFormatError

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


def _quiet(progress: bool) -> bool | None:
    """tqdm's ``disable``: None shows a bar only on a terminal."""
    return None if progress else True


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


def read_columns(
    path: str | Path,
    columns: Sequence[Column],
    delimiter: str = "\t",
    header: bool = False,
    batch_size: int = 100_000,
    progress: bool = True,
) -> Iterator[list[list[Any]]]:
    """Yield batches as one list per column, ``batch_size`` rows at a time.

    Blank lines are skipped; every other line must have each requested column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(path, 0, "file not found")
    width = max(c.index for c in columns) + 1
    batch: list[list[Any]] = [[] for _ in columns]
    size = path.stat().st_size
    with (
        path.open("r", encoding="utf-8", newline="") as f,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=None if progress else True,
        ) as bar,
    ):
        seen = 0
        for lineno, line in enumerate(f, start=1):
            seen += len(line)
            if lineno == 1 and header:
                continue
            stripped = line.rstrip("\r\n")
            if not stripped.strip():
                continue
            fields = stripped.split(delimiter)
            if len(fields) < width:
                raise InputFormatError(
                    path,
                    lineno,
                    f"expected at least {width} {delimiter!r}-separated columns, "
                    f"found {len(fields)}",
                )
            for out, col in zip(batch, columns, strict=True):
                raw = fields[col.index]
                try:
                    out.append(col.parse(raw))
                except (ValueError, OverflowError) as e:
                    expected = _EXPECTED.get(col.parse, "a valid value")
                    raise InputFormatError(
                        path,
                        lineno,
                        f"column {col.index + 1} ({col.name}): {raw!r} is not {expected}",
                    ) from e
            if len(batch[0]) >= batch_size:
                yield batch
                batch = [[] for _ in columns]
                bar.update(seen)
                seen = 0
        if batch[0]:
            yield batch
        bar.update(seen)
