"""Stages of long work (socialrec/progress.py): a bar on a terminal, one line elsewhere."""

from __future__ import annotations

import io

from socialrec.progress import Stage


def test_off_a_terminal_a_stage_is_one_line_when_it_ends() -> None:
    out = io.StringIO()
    with Stage("export interactions", 300, unit="rel", stream=out) as stage:
        for _ in range(3):
            stage.update(100)
        stage.set_note("2 warnings")
        assert not stage.drawing
        assert out.getvalue() == ""  # nothing per step
    (line,) = out.getvalue().splitlines()
    assert line.startswith("export interactions: 300 rel in ")
    assert line.endswith("rel/s); 2 warnings")
    stage.close()  # a second close prints nothing more
    assert len(out.getvalue().splitlines()) == 1


def test_bytes_are_shown_in_megabytes_and_a_disabled_stage_says_nothing() -> None:
    out = io.StringIO()
    with Stage("read x.tsv", unit="B", stream=out) as stage:
        stage.update(2_500_000)
    assert out.getvalue().startswith("read x.tsv: 2.5 MB in ")
    quiet = io.StringIO()
    with Stage("train", 10, enabled=False, stream=quiet) as stage:
        stage.update(10)
    assert quiet.getvalue() == ""


def test_on_a_terminal_a_stage_draws_a_bar_with_its_total() -> None:
    out = io.StringIO()
    with Stage("train social", 40, unit="epoch", stream=out, terminal=True) as stage:
        assert stage.drawing
        stage.update(10)
        stage.set_note("loss 0.3")
    text = out.getvalue()
    assert "train social" in text and "10/40" in text and "epoch" in text
