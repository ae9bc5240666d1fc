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


# -- real-world files: BOM, quotes, encodings, headers, empty and binary files --

from socialrec.load.delimited import check_file, looks_like_header  # noqa: E402

STR_COLS = [Column("user", 0, parse_str_id), Column("item", 1, parse_str_id)]


def _rows(path: Path, **kw: object) -> list[list[object]]:
    batches = list(read_columns(path, STR_COLS, progress=False, **kw))  # type: ignore[arg-type]
    return [list(r) for b in batches for r in zip(*b, strict=True)]


def test_bom_quotes_and_multiline_fields(tmp_path: Path) -> None:
    f = tmp_path / "i.csv"
    f.write_bytes('\ufeffu1,"Smith, J"\nu2,"say ""hi"""\nu3,"two\nlines"\n'.encode())
    assert _rows(f, delimiter=",") == [["u1", "Smith, J"], ["u2", 'say "hi"'], ["u3", "two\nlines"]]
    # a BOM under an explicit utf-8 encoding is dropped too
    assert _rows(f, delimiter=",", encoding="utf-8")[0][0] == "u1"


def test_latin1_is_named_and_readable_with_its_encoding(tmp_path: Path) -> None:
    f = tmp_path / "i.tsv"
    f.write_bytes("u1\tcaf\xe9\nu2\tna\xefve\n".encode("latin-1"))
    with pytest.raises(InputFormatError, match=r"i.tsv:1: not utf-8-sig text.*--encoding latin-1"):
        _rows(f)
    assert _rows(f, encoding="latin-1") == [["u1", "café"], ["u2", "naïve"]]


def test_binary_and_empty_files_are_named(tmp_path: Path) -> None:
    binary = tmp_path / "b.tsv"
    binary.write_bytes(b"u1\tx\n\x00\x01\x02\n")
    with pytest.raises(InputFormatError, match=r"b.tsv:2: .*NUL byte"):
        _rows(binary)
    empty = tmp_path / "e.tsv"
    empty.write_text("")
    with pytest.raises(InputFormatError, match=r"e.tsv:0: no data rows \(empty file\)"):
        _rows(empty)
    only_header = tmp_path / "h.tsv"
    only_header.write_text("user\titem\n")
    with pytest.raises(InputFormatError, match="no data rows after the header"):
        _rows(only_header, header=True)


def test_a_header_row_without_header_is_warned_about(tmp_path: Path) -> None:
    f = tmp_path / "i.tsv"
    f.write_text("userId\titem_id\nu1\ta\n")
    warnings: list[str] = []
    assert check_file(f, STR_COLS, warn=warnings.append) == 2
    assert len(warnings) == 1 and "i.tsv:1: looks like a header" in warnings[0]
    assert check_file(f, STR_COLS, header=True, warn=warnings.append) == 1
    assert len(warnings) == 1
    # with integer ids the header is an error that says so
    ints = [Column("user", 0, parse_int_id), Column("item", 1, parse_int_id)]
    with pytest.raises(InputFormatError, match=r"i.tsv:1: .*a header\? pass --header"):
        check_file(f, ints)
    assert looks_like_header(["user", "movie_id", "rating"])
    assert not looks_like_header(["p-17", "m-3"])
