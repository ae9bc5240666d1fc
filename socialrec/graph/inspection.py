"""What the database holds, and whether a mapping fits it."""

from __future__ import annotations

from dataclasses import dataclass, field

from socialrec.errors import MappingError
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import GraphMapping, quote_identifier


@dataclass
class DatabaseOverview:
    """Node labels and relationship types with their counts."""

    labels: dict[str, int] = field(default_factory=dict)
    relationship_types: dict[str, int] = field(default_factory=dict)

    def describe_labels(self) -> str:
        return _describe(self.labels)

    def describe_types(self) -> str:
        return _describe(self.relationship_types)


def _describe(counts: dict[str, int]) -> str:
    if not counts:
        return "(none)"
    return ", ".join(f"{name} ({n:,})" for name, n in sorted(counts.items()))


def overview(runner: QueryRunner) -> DatabaseOverview:
    """Labels and relationship types in use, counted from Neo4j's count store."""
    result = DatabaseOverview()
    for row in runner.read("CALL db.labels() YIELD label RETURN label ORDER BY label"):
        name = row["label"]
        # Names from the database may hold any character: quote, never validate.
        count = runner.read(f"MATCH (n:{quote_identifier(name)}) RETURN count(n) AS n")[0]["n"]
        if count:
            result.labels[name] = count
    for row in runner.read(
        "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t ORDER BY t"
    ):
        name = row["t"]
        count = runner.read(f"MATCH ()-[r:{quote_identifier(name)}]->() RETURN count(r) AS n")[0][
            "n"
        ]
        if count:
            result.relationship_types[name] = count
    return result


@dataclass(frozen=True)
class MappingCheck:
    """One mapped name and whether the database has it."""

    role: str  # e.g. "labels.user"
    name: str
    count: int
    required: bool

    @property
    def ok(self) -> bool:
        return self.count > 0 or not self.required


#: What a model cannot do without; friendships and attributes are optional.
_REQUIRED = {"user", "item", "interacted"}


def check_mapping(mapping: GraphMapping, db: DatabaseOverview) -> list[MappingCheck]:
    checks = [
        MappingCheck(f"labels.{role}", name, db.labels.get(name, 0), role in _REQUIRED)
        for role, name in mapping.node_labels.items()
    ]
    checks += [
        MappingCheck(
            f"relationships.{role}", name, db.relationship_types.get(name, 0), role in _REQUIRED
        )
        for role, name in mapping.relationship_types.items()
    ]
    return checks


def require_mapping(runner: QueryRunner, mapping: GraphMapping) -> DatabaseOverview:
    """Raise :class:`MappingError` unless the required labels and types exist.

    The message lists what the database does have, with counts, so a typo in
    a mapping file is obvious.
    """
    db = overview(runner)
    missing = [c for c in check_mapping(mapping, db) if not c.ok]
    if missing:
        what = "; ".join(f"{c.role} = {c.name!r} not found" for c in missing)
        raise MappingError(
            f"the mapping does not match the database: {what}. "
            f"The database has labels: {db.describe_labels()}; "
            f"relationship types: {db.describe_types()}"
        )
    return db


@dataclass(frozen=True)
class PropertyCheck:
    """How many of a mapped label's nodes (or type's relationships) have a mapped property."""

    role: str  # e.g. "properties.weight"
    name: str
    owner: str  # e.g. ":RATED" or ":Person"
    present: int
    total: int
    required: bool

    @property
    def ok(self) -> bool:
        return self.present > 0 or self.total == 0 or not self.required

    def describe(self) -> str:
        if self.total == 0:
            mark = "-"
        elif self.present == self.total:
            mark = "ok"
        elif self.present == 0:
            mark = "MISSING" if self.required else "absent on every one (optional)"
        else:
            mark = f"missing on {self.total - self.present:,}"
        return f"{self.present:,} of {self.total:,} {self.owner}  {mark}"


def check_properties(runner: QueryRunner, mapping: GraphMapping) -> list[PropertyCheck]:
    """Count each mapped property on what it belongs to (a misspelling shows as 0 of N)."""
    m = mapping
    node, rel = "MATCH (n:{}) RETURN", "MATCH ()-[n:{}]->() RETURN"
    wanted = [  # (role, pattern, label or type, required)
        ("user_id", node, m.user, True),
        ("item_id", node, m.item, True),
        ("attribute_id", node, m.attribute, True),
        ("attribute_kind", node, m.attribute, False),
        ("weight", rel, m.interacted, False),
        ("timestamp", rel, m.interacted, False),
    ]
    checks = []
    for role, pattern, owner, required in wanted:
        prop = getattr(m, role)
        query = pattern.format(quote_identifier(owner)) + " count(n) AS total, count(n[$p]) AS n"
        row = runner.read(query, {"p": prop})[0]
        checks.append(
            PropertyCheck(f"properties.{role}", prop, f":{owner}", row["n"], row["total"], required)
        )
    return checks
