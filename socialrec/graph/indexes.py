"""socialrec's indexes and constraints on the user's graph: reuse, create, remove.

A database socialrec did not create often has its own index or constraint on
the id property already. Neo4j refuses a second one on the same schema
(``IndexAlreadyExists`` / ``EquivalentSchemaRuleAlreadyExists``), so
:func:`apply_schema` looks first: a uniqueness constraint or a range index on
the property is reused as it is, and only what is missing is created. What
socialrec creates is named ``socialrec_*``, so :func:`owned_schema` finds
exactly that and ``socialrec uninstall`` drops nothing of the user's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialrec import queries
from socialrec.graph.runner import QueryRunner
from socialrec.mapping import OUTPUT_PREFIX, GraphMapping


@dataclass(frozen=True)
class SchemaStep:
    """What :func:`apply_schema` did for one property: created, or reused (and which)."""

    target: str  # e.g. ":Person(personId)"
    action: str  # "created" or "reused"
    name: str
    note: str = ""

    def describe(self) -> str:
        line = f"{self.target}: {self.action} {self.name}"
        return f"{line} ({self.note})" if self.note else line


def _existing(runner: QueryRunner) -> list[dict[str, Any]]:
    return runner.read(
        "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint "
        "RETURN name, type, entityType, labelsOrTypes, properties, owningConstraint"
    )


def _find(rows: list[dict[str, Any]], entity: str, name: str, *keys: str) -> dict[str, Any] | None:
    """An index (or a constraint's index) on ``name(keys)``, any order; constraints first."""
    hits = [
        r
        for r in rows
        if r["entityType"] == entity
        and r["labelsOrTypes"] == [name]
        and sorted(r["properties"] or []) == sorted(keys)
        and r["type"] in ("RANGE", "TEXT", "POINT")
    ]
    hits.sort(key=lambda r: (r["owningConstraint"] is None, r["type"] != "RANGE"))
    return hits[0] if hits else None


def _slug(*parts: str) -> str:
    return (OUTPUT_PREFIX + "_".join(parts)).lower()[:120]


def apply_schema(runner: QueryRunner, mapping: GraphMapping) -> list[SchemaStep]:
    """Make sure id lookups and time lookups are indexed; reuse what exists."""
    rows = _existing(runner)
    steps = []
    for role, label in mapping.node_labels.items():
        # attributes are unique by (kind, id); a user's index on the id alone serves too
        keys: tuple[str, ...] = (mapping.id_property(role),)
        if role == "attribute":
            keys = (mapping.attribute_kind, *keys)
        target = f":{label}({', '.join(keys)})"
        found = _find(rows, "NODE", label, *keys) or _find(rows, "NODE", label, keys[-1])
        if found is not None and found["owningConstraint"]:
            steps.append(SchemaStep(target, "reused", str(found["owningConstraint"])))
        elif found is not None:
            steps.append(
                SchemaStep(
                    target,
                    "reused",
                    found["name"],
                    "an index, not a uniqueness constraint: socialrec's export still refuses "
                    f"duplicate ids; for the constraint, DROP INDEX {found['name']} and run "
                    "`socialrec schema` again",
                )
            )
        else:
            name = _slug("unique", label, *keys)
            if role == "attribute":
                extra = {"label": label, "kind": keys[0], "key": keys[1]}
                query = queries.load("schema_unique_attribute", mapping, extra)
            else:
                query = queries.load("schema_unique_id", mapping, {"label": label, "key": keys[0]})
            runner.write(query, {"name": name})
            steps.append(SchemaStep(target, "created", name))
    target = f"[:{mapping.interacted}]({mapping.timestamp})"
    found = _find(rows, "RELATIONSHIP", mapping.interacted, mapping.timestamp)
    if found is not None:
        steps.append(SchemaStep(target, "reused", found["name"]))
    else:
        name = _slug("time", mapping.interacted, mapping.timestamp)
        runner.write(queries.load("schema_time_index", mapping), {"name": name})
        steps.append(SchemaStep(target, "created", name))
    return steps


def owned_schema(runner: QueryRunner, namespace: str | None = None) -> list[tuple[str, str]]:
    """``(kind, name)`` of every constraint and index socialrec created.

    With ``namespace``, only that namespace's vector indexes; else everything
    named ``socialrec_*`` (constraints before the indexes they own).
    """
    prefix = f"{OUTPUT_PREFIX}{namespace}_" if namespace else OUTPUT_PREFIX
    constraints = [
        ("CONSTRAINT", r["name"])
        for r in runner.read("SHOW CONSTRAINTS YIELD name RETURN name")
        if r["name"].startswith(prefix)
    ]
    indexes = [
        ("INDEX", r["name"])
        for r in _existing(runner)
        if r["name"].startswith(prefix) and not r["owningConstraint"]
    ]
    return constraints + indexes


def drop_schema(runner: QueryRunner, owned: list[tuple[str, str]]) -> None:
    for kind, name in owned:
        runner.write(f"DROP {kind} $name IF EXISTS", {"name": name})
