"""Progress of long stages: a bar with rate and ETA on a terminal, one line elsewhere.

One vocabulary across socialrec: ``progress: bool`` switches bars on or off
(loaders, exporter), ``log: Callable[[str], None]`` receives lines of text
(training, writeback, sync). A :class:`Stage` is the bar: on a terminal it is a
tqdm bar on stderr; in a log file, CI or cron it prints one line when the stage
ends (count, seconds, rate) instead of redrawing a bar nobody sees.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any

from tqdm import tqdm


def on_terminal(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class Stage:
    """A unit of long work with a known (or unknown) size.

    Args:
        desc (str): what is being done ("export interactions").
        total (int, optional): how many ``unit`` in all, for the ETA.
        unit (str): what is counted. (default: ``"it"``)
        enabled (bool): ``False`` shows nothing at all. (default: ``True``)
        stream (IO, optional): where to draw. (default: stderr)
        terminal (bool, optional): force bar (``True``) or line (``False``)
            mode; by default, whether ``stream`` is a terminal.
    """

    def __init__(
        self,
        desc: str,
        total: int | None = None,
        unit: str = "it",
        enabled: bool = True,
        stream: IO[str] | None = None,
        terminal: bool | None = None,
    ) -> None:
        self.desc, self.total, self.unit = desc, total, unit
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.terminal = on_terminal(self.stream) if terminal is None else terminal
        self.count = 0
        self.note = ""
        self._started = time.perf_counter()
        self._bar: tqdm[Any] | None = None
        if enabled and self.terminal:
            self._bar = tqdm(
                total=total,
                desc=desc,
                unit=unit,
                unit_scale=unit == "B",  # bytes as kB / MB
                file=self.stream,
                leave=True,
            )

    @property
    def drawing(self) -> bool:
        """Whether a live bar shows progress (callers then skip per-step lines)."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def set_note(self, text: str) -> None:
        """A short status shown after the bar ("loss 0.31, valid 0.27")."""
        self.note = text
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and not self.terminal:
            seconds = time.perf_counter() - self._started
            if self.unit == "B":
                count, unit, shown = self.count / 1e6, "MB", f"{self.count / 1e6:,.1f}"
            else:
                count, unit, shown = float(self.count), self.unit, f"{self.count:,}"
            rate = count / seconds if seconds > 0 else 0.0
            note = f"; {self.note}" if self.note else ""
            print(
                f"{self.desc}: {shown} {unit} in {seconds:.1f} s ({rate:,.1f} {unit}/s){note}",
                file=self.stream,
                flush=True,
            )
        self.enabled = False  # closing twice prints once

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
