"""Node ids in one canonical form (socialrec/ids.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from socialrec.ids import IdTypeError, as_ids_like, canonical_ids, ids_from_plain, ids_to_plain


def test_integers_become_int64_and_anything_else_str() -> None:
    assert canonical_ids([3, np.int32(4)]).dtype == np.int64
    assert canonical_ids(np.array([1, 2], dtype=np.uint16)).dtype == np.int64
    assert canonical_ids(torch.tensor([5])).tolist() == [5]
    mixed = canonical_ids(["a", 7])
    assert mixed.dtype == object and mixed.tolist() == ["a", "7"]
    # Fixed-width numpy strings ('<U4') would truncate longer ids in searchsorted.
    fixed = canonical_ids(np.array(["ab", "abcdef"]))
    assert fixed.dtype == object and fixed.tolist() == ["ab", "abcdef"]
    with pytest.raises(IdTypeError, match="booleans"):
        canonical_ids(np.array([True, False]))


@pytest.mark.parametrize("ids", [np.array([1, 2, 3]), np.array(["x", "y"], dtype=object)])
def test_plain_form_round_trips(ids: np.ndarray) -> None:
    back = ids_from_plain(ids_to_plain(ids))
    assert back.dtype == ids.dtype and back.tolist() == ids.tolist()


def test_ids_typed_on_a_command_line_take_the_graphs_type() -> None:
    assert as_ids_like(np.array([1, 2]), ["17", 3]).tolist() == [17, 3]
    assert as_ids_like(np.array(["a"], dtype=object), [17]).tolist() == ["17"]
    with pytest.raises(IdTypeError, match=r"'u1'.*integers"):
        as_ids_like(np.array([1]), ["u1"], what="user")
