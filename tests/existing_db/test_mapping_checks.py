"""A mapped name that matches nothing is a warning (or an error) on every command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.existing_db.conftest import MAPPING_TOML, ExistingDb

pytestmark = pytest.mark.integration


def misspelled(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / f"{new}.toml"
    text = MAPPING_TOML.format(interacted="RATED")
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_misspelled_weight_and_friends_are_named(
    existing_db: ExistingDb, socialrec_cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    def cli(mapping: Path, *args: str) -> tuple[int, str, str]:
        return socialrec_cli("--mapping", str(mapping), *args)

    # inspect counts each mapped property where it belongs
    code, out, err = cli(existing_db.mapping, "inspect")
    assert code == 0, err
    assert "properties.user_id" in out and "personId" in out and "missing on 1" in out
    assert "properties.weight" in out and "rating" in out

    weight = misspelled(tmp_path, '"rating"', '"ratng"')
    code, out, err = cli(weight, "inspect")
    assert "ratng" in out and "absent on every one" in out
    code, out, err = cli(weight, "export", "--out", str(tmp_path / "w.pt"))
    assert code == 0, err
    assert "properties.weight = 'ratng' is on none of the :RATED relationships" in err

    friends = misspelled(tmp_path, '"KNOWS"', '"KNOWZ"')
    code, out, err = cli(friends, "export", "--out", str(tmp_path / "f.pt"))
    assert code == 0, err
    assert "relationships.friends = 'KNOWZ' matches no relationship" in err

    user_id = misspelled(tmp_path, '"personId"', '"personID"')
    code, out, err = cli(user_id, "inspect")
    assert code == 1 and "MISSING" in out and "Traceback" not in err
