"""Node ids in one canonical form, end to end.

Neo4j ids come as integers or strings. Everywhere in socialrec (snapshots,
checkpoints, scoring, writeback) a column of ids is a numpy array of one of two
kinds: ``int64`` when every id is an integer, else ``object`` holding Python
``str``. Never numpy's fixed-width unicode (``<U4``): it compares unequal to an
``object`` array of the same strings in ``searchsorted`` and silently truncates
on assignment. :func:`canonical_ids` is the one way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

from socialrec.errors import SocialrecError


class IdTypeError(SocialrecError):
    """Ids of one node type are not all integers or all strings as expected."""


def canonical_ids(values: Any) -> np.ndarray:
    """``values`` as an ``int64`` array (all integers) or an ``object`` array of ``str``."""
    if isinstance(values, torch.Tensor):
        return values.numpy().astype(np.int64, copy=False)
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "iu":
            return values.astype(np.int64, copy=False)
        if values.dtype.kind == "b":
            raise IdTypeError("ids must be integers or strings, not booleans")
        values = values.tolist()
    values = list(values)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, str) else str(v) for v in values]
    return out


def is_integer(ids: np.ndarray) -> bool:
    return ids.dtype.kind in "iu"


def ids_to_plain(ids: np.ndarray) -> torch.Tensor | list[str]:
    """What a ``weights_only`` torch file can hold: a tensor of ints or a list of str."""
    ids = canonical_ids(ids)
    if is_integer(ids):
        return torch.from_numpy(ids)
    return [str(v) for v in ids.tolist()]


def ids_from_plain(value: torch.Tensor | Sequence[Any]) -> np.ndarray:
    return canonical_ids(value)


def as_ids_like(known: np.ndarray, values: Iterable[Any], what: str = "id") -> np.ndarray:
    """``values`` typed like ``known`` (ids typed on a command line, say).

    Integer ids accept ``"17"``; an id that cannot be one is an error naming it.
    String ids take any value as its text.
    """
    values = list(values)
    if is_integer(known):
        out = []
        for v in values:
            try:
                out.append(int(v))
            except (TypeError, ValueError) as e:
                raise IdTypeError(
                    f"{what} {v!r}: this graph's ids are integers, and {v!r} is not one"
                ) from e
        return np.asarray(out, dtype=np.int64)
    return canonical_ids([str(v) for v in values])
