from pathlib import Path

import pytest

from socialrec.errors import MappingError
from socialrec.mapping import GraphMapping, quote_identifier, validate_identifier

HOSTILE = [
    "a`) DETACH DELETE n //",
    "User`",
    "User) MATCH (m",
    "1abc",
    "",
    "with space",
    "x;DROP",
    "émoji",
    None,
    42,
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_are_rejected(name: object) -> None:
    with pytest.raises(MappingError, match="not a valid identifier"):
        validate_identifier(name, "labels.user")


def test_quote_identifier_doubles_backticks() -> None:
    assert quote_identifier("User") == "`User`"
    assert quote_identifier("a`b") == "`a``b`"


def test_defaults_are_the_documented_model() -> None:
    m = GraphMapping()
    assert m.node_labels == {"user": "User", "item": "Item", "attribute": "Attribute"}
    assert m.relationship_types == {
        "interacted": "INTERACTED",
        "friends": "FRIENDS_WITH",
        "has_attribute": "HAS_ATTRIBUTE",
    }
    assert m.placeholders()["user_id"] == "`id`"


def test_constructor_validates_every_field() -> None:
    with pytest.raises(MappingError, match=r"labels\.user"):
        GraphMapping(user="a`) DETACH DELETE n //")
    with pytest.raises(MappingError, match=r"properties\.weight"):
        GraphMapping(weight="w eight")


def test_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        '[labels]\nuser = "Person"\nitem = "Movie"\n'
        '[relationships]\ninteracted = "RATED"\nfriends = "KNOWS"\n'
        '[properties]\nuser_id = "personId"\n'
    )
    m = GraphMapping.from_file(path)
    assert (m.user, m.item, m.interacted, m.friends, m.user_id) == (
        "Person",
        "Movie",
        "RATED",
        "KNOWS",
        "personId",
    )
    assert m.attribute == "Attribute"  # untouched defaults stay


def test_yaml_file_and_mapping_table(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "mapping:\n  labels:\n    item: Movie\n  relationships:\n    has_attribute: IN_GENRE\n"
    )
    m = GraphMapping.from_file(path)
    assert (m.item, m.has_attribute) == ("Movie", "IN_GENRE")


def test_hostile_value_in_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[labels]\nuser = "a`) DETACH DELETE n //"\n')
    with pytest.raises(MappingError) as err:
        GraphMapping.from_file(path)
    assert str(path) in str(err.value) and "labels.user" in str(err.value)


def test_unknown_keys_are_errors_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[labels]\nusr = "Person"\n')
    with pytest.raises(MappingError, match=r"unknown key labels\.usr"):
        GraphMapping.from_file(path)
    path.write_text('[nodes]\nuser = "Person"\n')
    with pytest.raises(MappingError, match=r"unknown section \[nodes\]"):
        GraphMapping.from_file(path)


def test_broken_file_and_bad_suffix(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text("[labels\n")
    with pytest.raises(MappingError, match="not valid TOML"):
        GraphMapping.from_file(bad)
    other = tmp_path / "m.json"
    other.write_text("{}")
    with pytest.raises(MappingError, match=r"\.toml, \.yaml or \.yml"):
        GraphMapping.from_file(other)
    with pytest.raises(MappingError, match="cannot read"):
        GraphMapping.from_file(tmp_path / "missing.toml")


def test_fingerprint_changes_with_mapping() -> None:
    assert GraphMapping().fingerprint() == GraphMapping().fingerprint()
    assert GraphMapping().fingerprint() != GraphMapping(user="Person").fingerprint()
