"""Command-line options generated from the config dataclasses: each option once.

A config dataclass (:class:`~socialrec.train.trainer.TrainConfig`,
:class:`~socialrec.writeback.WritebackConfig`, ...) is the one place where an
option's name, type, default and help live; :func:`options_from` turns its
fields into click options (``embedding_dim`` -> ``--embedding-dim``, a bool ->
``--refit/--no-refit``, help from the ``Args:`` section of its docstring) and
:func:`config_from` builds the dataclass back from the parsed values. The
``socialrec.toml`` sections use the same field names.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_ENTRY = re.compile(r"^    (\w+) \([^)]*\):\s*(.*)$")


def field_help(cls: type) -> dict[str, str]:
    """Each field's text from the class docstring's ``Args:`` section, without markup."""
    doc = inspect.getdoc(cls) or ""
    _, _, args = doc.partition("Args:\n")
    out: dict[str, str] = {}
    current = None
    for line in args.splitlines():
        m = _ENTRY.match(line)
        if m:
            current = m.group(1)
            out[current] = m.group(2)
        elif current and line.startswith("        "):
            out[current] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return {name: _plain(text) for name, text in out.items()}


def _plain(text: str) -> str:
    text = re.sub(r"\(default: .*?\)\s*$", "", text)  # click shows the default itself
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`_", r"\1", text)  # `title <link>`_
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)  # :func:`x`, :math:`\\beta`
    text = re.sub(r"\\{1,2}([a-z]+)", _greek, text)  # a terminal shows β, not \beta
    return text.replace("``", "").strip()


def _greek(m: re.Match[str]) -> str:
    name = {"lambda": "lamda"}.get(m.group(1), m.group(1))  # Unicode's spelling
    try:
        return unicodedata.lookup(f"GREEK SMALL LETTER {name.upper()}")
    except KeyError:  # not a letter's name (\cdot and the like): leave the TeX
        return "\\" + m.group(1)


def options_from(
    cls: type, exclude: Iterable[str] = (), renamed: dict[str, str] | None = None
) -> Callable[[F], F]:
    """A decorator adding one click option per field of the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    helps = field_help(cls)
    skip = set(exclude)
    renamed = renamed or {}

    def decorate(f: F) -> F:
        for field in reversed(dataclasses.fields(cls)):
            if field.name in skip:
                continue
            flag = "--" + renamed.get(field.name, field.name).replace("_", "-")
            kind = hints[field.name]
            default = (
                field.default_factory()  # type: ignore[misc]
                if field.default is dataclasses.MISSING
                else field.default
            )
            common: dict[str, Any] = {"default": default, "show_default": True}
            common["help"] = helps.get(field.name, "")
            if kind is bool:
                f = click.option(f"{flag}/--no-{flag[2:]}", field.name, **common)(f)
            elif kind in (int, float, str):
                f = click.option(flag, field.name, type=kind, **common)(f)
            else:  # pragma: no cover - a field type the CLI does not offer
                raise TypeError(f"{cls.__name__}.{field.name}: no option for type {kind}")
        return f

    return decorate


def config_from(cls: type[T], params: dict[str, Any], **fixed: Any) -> T:
    """Build ``cls`` from the parsed options (removing them from ``params``)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: params.pop(k) for k in list(params) if k in names}
    return cls(**(values | fixed))
