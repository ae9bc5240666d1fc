from pathlib import Path

import pytest

from socialrec.errors import InputFormatError
from socialrec.load.delimited import (
    Column,
    parse_int_id,
    parse_str_id,
    parse_timestamp,
    parse_weight,
    read_columns,
)

COLS = [
    Column("user", 0, parse_int_id),
    Column("item", 1, parse_str_id),
    Column("weight", 2, parse_weight),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.tsv"
    path.write_text(text)
    return path


def test_batches_cover_every_row(tmp_path: Path) -> None:
    rows = "".join(f"{u}\titem{u}\t{u * 1.5}\n" for u in range(25))
    batches = list(read_columns(write(tmp_path, rows), COLS, batch_size=10, progress=False))
    assert [len(b[0]) for b in batches] == [10, 10, 5]
    users = [u for b in batches for u in b[0]]
    assert users == list(range(25))
    assert batches[0][1][3] == "item3" and batches[2][2][-1] == 24 * 1.5


def test_header_blank_lines_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "user\titem\tw\r\n1\ta\t2\r\n\r\n2\tb\t3\r\n")
    (batch,) = read_columns(path, COLS, header=True, progress=False)
    assert batch == [[1, 2], ["a", "b"], [2.0, 3.0]]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1\ta\t2\nx\tb\t3\n", 2, r"column 1 \(user\): 'x' is not an integer id"),
        ("1\ta\t2\n2\tb\n", 2, "expected at least 3"),
        ("1\ta\tnan\n", 1, r"column 3 \(weight\): 'nan' is not a finite number"),
        ("1\t \t1\n", 1, r"column 2 \(item\)"),
    ],
)
def test_malformed_line_names_file_line_and_column(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputFormatError, match=message) as err:
        list(read_columns(path, COLS, progress=False))
    assert err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_rows_before_a_bad_line_are_handed_out_first(tmp_path: Path) -> None:
    text = "".join(f"{u}\ti\t1\n" for u in range(5)) + "oops\ti\t1\n"
    got = []
    with pytest.raises(InputFormatError):
        for batch in read_columns(write(tmp_path, text), COLS, batch_size=2, progress=False):
            got.extend(batch[0])
    assert got == [0, 1, 2, 3]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="file not found"):
        list(read_columns(tmp_path / "nope.tsv", COLS, progress=False))


def test_timestamps() -> None:
    assert parse_timestamp("1700000000") == 1_700_000_000
    assert parse_timestamp("2024-01-01T00:00:00") == 1_704_067_200
    assert parse_timestamp("2024-01-01T01:00:00+01:00") == 1_704_067_200
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")
