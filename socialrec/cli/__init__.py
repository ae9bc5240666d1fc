"""The ``socialrec`` command line: one module per command group.

``common`` holds the root group and :class:`~socialrec.cli.common.App` (what
every command needs); ``server``, ``data``, ``export``, ``train``, ``serve``,
``jobs`` and ``quickstart`` add their commands to it. Errors socialrec raises on
purpose print as one ``error:`` line (set ``SOCIALREC_DEBUG=1`` for the
traceback) and exit with status 1.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from typing import Any

import click

from socialrec.cli import data, export, jobs, quickstart, serve, server, train  # noqa: F401
from socialrec.cli.common import cli
from socialrec.errors import SocialrecError

__all__ = ["cli", "main"]


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def main() -> None:
    # PyG triggers torch's own deprecation notice at import; not the user's concern.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"torch\.jit")
    # SIGTERM ends a command like SIGINT: a writeback's run is marked failed and
    # cleaned, and the writer lock released (`schedule` installs its own handler).
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Abort as e:
        terminated = isinstance(e.__context__, _Terminated)
        click.echo("terminated" if terminated else "aborted", err=True)
        sys.exit(143 if terminated else 130)
    except _Terminated:
        click.echo("terminated", err=True)
        sys.exit(143)
    except SocialrecError as e:
        if os.environ.get("SOCIALREC_DEBUG"):
            raise
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
