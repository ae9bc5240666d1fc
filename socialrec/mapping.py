"""How socialrec's graph model maps onto the labels and properties of a database.

socialrec speaks of users, items and attributes. An existing database may call
them ``Person``, ``Movie`` and ``Genre``, linked by ``RATED``, ``KNOWS`` and
``IN_GENRE``; a :class:`GraphMapping` records those names. Every name is checked
against :data:`IDENTIFIER` before it can reach Cypher, and enters queries only
backtick-quoted; values always travel as query parameters.

A mapping file (TOML or YAML) names only what differs from the defaults::

    [labels]
    user = "Person"
    item = "Movie"
    attribute = "Genre"

    [relationships]
    interacted = "RATED"
    friends = "KNOWS"
    has_attribute = "IN_GENRE"

    [properties]
    user_id = "personId"
    weight = "rating"

    [output]
    namespace = "movies"   # optional; default: derived from the labels and type

The **namespace** keeps what socialrec writes for one mapping apart from what
it writes for another in the same database: runs, the writer lock, embedding
properties, vector indexes and sync state are all per namespace, so two
products (say, movies and books for the same people) publish and prune
independently.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from socialrec.errors import MappingError

#: What a mapped label, relationship type or property name may look like. Narrower
#: than what Neo4j accepts inside backticks on purpose: a name from a config file
#: has no business containing quotes, spaces or comment markers.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

#: Labels and types socialrec itself writes: recommendations, their runs, and the
#: writer lock (see ``cypher/writeback_schema.cypher``).
OUTPUT_NAMES = ("RECOMMENDED", "RecommendationRun", "SocialrecLock")

#: Prefix of every property, index and constraint name socialrec writes.
OUTPUT_PREFIX = "socialrec_"

#: What a namespace may look like: it becomes part of property and index names.
NAMESPACE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def validate_identifier(name: object, field: str) -> str:
    """Return ``name`` if it is a safe identifier, else raise :class:`MappingError`."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise MappingError(
            f"{field}: {name!r} is not a valid identifier "
            "(letters, digits and '_', not starting with a digit)"
        )
    return name


def quote_identifier(name: str) -> str:
    """Backtick-quote any name, doubling embedded backticks (Cypher's escape).

    Used for validated mapping names and for names read back from the database
    (``db.labels()``), which may hold any character.
    """
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class GraphMapping:
    """Names of the labels, relationship types and properties socialrec uses.

    Args:
        user (str): label of user nodes. (default: ``"User"``)
        item (str): label of item nodes. (default: ``"Item"``)
        attribute (str): label of item-attribute nodes. (default: ``"Attribute"``)
        interacted (str): user -> item relationship type. (default: ``"INTERACTED"``)
        friends (str): user - user relationship type, one per pair.
            (default: ``"FRIENDS_WITH"``)
        has_attribute (str): item -> attribute relationship type.
            (default: ``"HAS_ATTRIBUTE"``)
        user_id, item_id, attribute_id (str): the unique id property of each
            node label. (default: ``"id"``)
        attribute_kind (str): attribute property that says what kind of
            attribute it is (tag, genre...). (default: ``"kind"``)
        weight (str): interaction strength property. (default: ``"weight"``)
        timestamp (str): interaction time property, epoch seconds.
            (default: ``"ts"``)
        user_name, item_name, attribute_name (str): display properties shown
            next to ids where the data has them (``"title"`` for movies); a
            node without one shows its id. (default: ``"name"``)
        namespace (str): keeps this mapping's runs, lock, embeddings and
            indexes apart from another mapping's in the same database.
            (default: ``""``, meaning :attr:`default_namespace`)
    """

    user: str = "User"
    item: str = "Item"
    attribute: str = "Attribute"
    interacted: str = "INTERACTED"
    friends: str = "FRIENDS_WITH"
    has_attribute: str = "HAS_ATTRIBUTE"
    user_id: str = "id"
    item_id: str = "id"
    attribute_id: str = "id"
    attribute_kind: str = "kind"
    weight: str = "weight"
    timestamp: str = "ts"
    user_name: str = "name"
    item_name: str = "name"
    attribute_name: str = "name"
    namespace: str = ""

    def __post_init__(self) -> None:
        for f in _fields():
            if f != "namespace":
                validate_identifier(getattr(self, f), f"{_section_of(f)}.{f}")
        if self.namespace and not NAMESPACE.fullmatch(self.namespace):
            raise MappingError(
                f"output.namespace: {self.namespace!r} is not a valid namespace "
                "(lower-case letters, digits and '_', starting with a letter, at most 48)"
            )
        self._refuse_socialrec_names()

    def _refuse_socialrec_names(self) -> None:
        """A mapping may not point at what socialrec writes: it would read its own output."""
        for f in (*_SECTION_FIELDS["labels"], *_SECTION_FIELDS["relationships"]):
            if getattr(self, f) in OUTPUT_NAMES:
                raise MappingError(
                    f"{_section_of(f)}.{f}: {getattr(self, f)!r} is a name socialrec writes "
                    f"itself ({', '.join(OUTPUT_NAMES)}); name your own label or type"
                )
        for f in _SECTION_FIELDS["properties"]:
            if getattr(self, f).startswith(OUTPUT_PREFIX):
                raise MappingError(
                    f"properties.{f}: {getattr(self, f)!r} starts with {OUTPUT_PREFIX!r}, "
                    "which socialrec uses for what it writes; name your own property"
                )
        for section in ("labels", "relationships"):
            names = [getattr(self, f) for f in _SECTION_FIELDS[section]]
            if len(set(names)) < len(names):
                raise MappingError(
                    f"[{section}]: {dict(zip(_SECTION_FIELDS[section], names, strict=True))} "
                    "names one label or type twice; each role needs its own"
                )

    @property
    def default_namespace(self) -> str:
        """``user_interacted_item`` in lower case: one per kind of recommendation."""
        raw = f"{self.user}_{self.interacted}_{self.item}".lower()
        slug = re.sub(r"[^a-z0-9]+", "_", raw).strip("_")[:48] or "default"
        return slug if slug[0].isalpha() else f"n{slug}"[:48]

    @property
    def output_namespace(self) -> str:
        """The namespace in effect: :attr:`namespace` or :attr:`default_namespace`."""
        return self.namespace or self.default_namespace

    @property
    def node_labels(self) -> dict[str, str]:
        return {"user": self.user, "item": self.item, "attribute": self.attribute}

    @property
    def relationship_types(self) -> dict[str, str]:
        return {
            "interacted": self.interacted,
            "friends": self.friends,
            "has_attribute": self.has_attribute,
        }

    def id_property(self, role: str) -> str:
        """The id property of a node role (``"user"``, ``"item"``, ``"attribute"``)."""
        return {"user": self.user_id, "item": self.item_id, "attribute": self.attribute_id}[role]

    def name_property(self, role: str) -> str:
        """The display-name property of a node role."""
        return {"user": self.user_name, "item": self.item_name, "attribute": self.attribute_name}[
            role
        ]

    def output_name(self, what: str) -> str:
        """A property or index name of this namespace: ``socialrec_<namespace>_<what>``."""
        return f"{OUTPUT_PREFIX}{self.output_namespace}_{what}"

    def placeholders(self) -> dict[str, str]:
        """The ``${...}`` names used in ``cypher/*.cypher``, each quoted.

        Label and type placeholders are written as socialrec's default names so
        the query files read like plain Cypher over the default model.
        """
        return {
            "User": quote_identifier(self.user),
            "Item": quote_identifier(self.item),
            "Attribute": quote_identifier(self.attribute),
            "INTERACTED": quote_identifier(self.interacted),
            "FRIENDS_WITH": quote_identifier(self.friends),
            "HAS_ATTRIBUTE": quote_identifier(self.has_attribute),
            "user_id": quote_identifier(self.user_id),
            "item_id": quote_identifier(self.item_id),
            "attribute_id": quote_identifier(self.attribute_id),
            "attribute_kind": quote_identifier(self.attribute_kind),
            "weight": quote_identifier(self.weight),
            "timestamp": quote_identifier(self.timestamp),
            "user_name": quote_identifier(self.user_name),
            "item_name": quote_identifier(self.item_name),
            "attribute_name": quote_identifier(self.attribute_name),
            # What socialrec writes has fixed names (not part of the mapping, so
            # they never change a snapshot's schema hash).
            **{name: quote_identifier(name) for name in OUTPUT_NAMES},
        }

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The mapping in file layout (sections of name -> value)."""
        out: dict[str, dict[str, str]] = {s: {} for s in _SECTION_FIELDS}
        for section, names in _SECTION_FIELDS.items():
            for name in names:
                out[section][name] = getattr(self, name)
        if not self.namespace:
            del out["output"]
        return out

    def fingerprint(self) -> str:
        """A short stable hash of what is read (the namespace only says where output goes)."""
        read = {k: v for k, v in self.to_dict().items() if k != "output"}
        blob = json.dumps(read, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "mapping") -> GraphMapping:
        """Build a mapping from file layout; unknown keys are errors, not ignored."""
        if not isinstance(data, Mapping):
            raise MappingError(f"{source}: expected a table of sections, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for section, content in data.items():
            if section not in _SECTION_FIELDS:
                raise MappingError(
                    f"{source}: unknown section [{section}]; "
                    f"expected one of {', '.join(_SECTION_FIELDS)}"
                )
            if not isinstance(content, Mapping):
                raise MappingError(f"{source}: [{section}] must be a table")
            for key, value in content.items():
                if key not in _SECTION_FIELDS[section]:
                    raise MappingError(
                        f"{source}: unknown key {section}.{key}; "
                        f"expected one of {', '.join(_SECTION_FIELDS[section])}"
                    )
                if section == "output":
                    if not isinstance(value, str):
                        raise MappingError(f"{source}: output.{key} must be a string")
                    values[key] = value
                else:
                    values[key] = validate_identifier(value, f"{source}: {section}.{key}")
        try:
            return cls(**values)
        except MappingError as e:
            raise MappingError(f"{source}: {e}") from e

    @classmethod
    def from_file(cls, path: str | Path) -> GraphMapping:
        """Read a ``.toml``, ``.yaml`` or ``.yml`` mapping file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise MappingError(f"{path}: cannot read mapping file: {e.strerror}") from e
        try:
            if path.suffix == ".toml":
                data: Any = tomllib.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                data = yaml.safe_load(text) or {}
            else:
                raise MappingError(f"{path}: mapping files end in .toml, .yaml or .yml")
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
            raise MappingError(f"{path}: not valid {path.suffix[1:].upper()}: {e}") from e
        # A config file may keep the mapping under a [mapping] table.
        if isinstance(data, Mapping) and "mapping" in data and len(data) == 1:
            data = data["mapping"]
        return cls.from_dict(data, source=str(path))


_SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "labels": ("user", "item", "attribute"),
    "relationships": ("interacted", "friends", "has_attribute"),
    "properties": (
        "user_id",
        "item_id",
        "attribute_id",
        "attribute_kind",
        "weight",
        "timestamp",
        "user_name",
        "item_name",
        "attribute_name",
    ),
    "output": ("namespace",),
}


def _fields() -> tuple[str, ...]:
    return tuple(name for names in _SECTION_FIELDS.values() for name in names)


def _section_of(field: str) -> str:
    return next(s for s, names in _SECTION_FIELDS.items() if field in names)
