"""Loads the parameterised Cypher files in ``cypher/``.

The files are plain Cypher over socialrec's default model, with label, type and
property names written as ``${User}``, ``${INTERACTED}``, ``${user_id}``... Those
placeholders are replaced by the :class:`~socialrec.mapping.GraphMapping`'s
validated, backtick-quoted names. Values never go into the text: they are
``$parameters``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from socialrec.errors import SocialrecError
from socialrec.mapping import GraphMapping, quote_identifier, validate_identifier

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Query(str):
    """Cypher text that remembers which file it came from (for error messages)."""

    name: str

    def __new__(cls, text: str, name: str) -> Query:
        obj = super().__new__(cls, text)
        obj.name = name
        return obj


@cache
def _raw(name: str) -> str:
    path = resources.files("socialrec.cypher").joinpath(f"{name}.cypher")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise SocialrecError(f"no query file cypher/{name}.cypher") from e


def render(
    text: str,
    mapping: GraphMapping,
    name: str = "<inline>",
    extra: Mapping[str, str] | None = None,
) -> Query:
    """Substitute ``${...}`` placeholders in ``text`` with the mapping's names.

    ``extra`` adds placeholders chosen at run time (such as the embedding
    property of a writeback slot); they are validated and quoted like mapped names.
    """
    names = mapping.placeholders()
    for key, value in (extra or {}).items():
        names[key] = quote_identifier(validate_identifier(value, f"cypher/{name}: ${{{key}}}"))

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in names:
            raise SocialrecError(f"cypher/{name}: unknown placeholder ${{{key}}}")
        return names[key]

    return Query(_PLACEHOLDER.sub(substitute, text), name)


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def load(name: str, mapping: GraphMapping, extra: Mapping[str, str] | None = None) -> Query:
    """The single statement in ``cypher/<name>.cypher``, rendered for ``mapping``."""
    statements = load_all(name, mapping, extra)
    if len(statements) != 1:
        raise SocialrecError(f"cypher/{name}.cypher holds {len(statements)} statements, not 1")
    return statements[0]


def load_all(
    name: str, mapping: GraphMapping, extra: Mapping[str, str] | None = None
) -> list[Query]:
    """Every ``;``-separated statement in ``cypher/<name>.cypher``, rendered."""
    body = _strip_comments(_raw(name))
    parts = [p.strip() for p in body.split(";")]
    return [render(p, mapping, f"{name}.cypher", extra) for p in parts if p]
