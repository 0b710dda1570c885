"""Checks that reports and fixtures name entities, fields and operators that exist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.metadata.diagnostics import Diagnostic
from core.metadata.field_types import FIELD_TYPES
from core.metadata.filter_grammar import STANDARD_FIELDS
from core.metadata.loader import PackSource
from core.metadata.names import STANDARD_COLUMNS
from core.metadata.overlay import EntityDraft
from core.metadata.semantic_fields import _a
from core.metadata.semantic_refs import _field_ref, _sort_ref
from core.metadata.type_groups import numeric_types


def check_pack_documents(packs: Iterable[PackSource],
                         entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    """Reports, workflows and fixtures name entities and fields that exist."""
    problems = []
    for pack in packs:
        for doc in pack.documents.get("report", []):
            problems += _check_report(doc, entities)
        for doc in pack.documents.get("fixtures", []):
            for i, record in enumerate(doc.data["records"]):
                found = _check_entity_ref(doc, ["records", i, "entity"], record["entity"],
                                          entities)
                problems += found
                if not found:
                    draft = _on(entities[record["entity"]], doc)
                    named = [(["records", i, "values"], record.get("values") or {}, ()),
                             (["records", i, "find"], record.get("find") or {},
                              STANDARD_COLUMNS)]
                    named += [(["records", i, "steps", j, "update"], step["update"], ())
                              for j, step in enumerate(record.get("steps") or [])
                              if "update" in step]
                    for path, values, standard in named:
                        for key in values:
                            problems += _field_ref(draft, [*path, key], key, standard,
                                                   tables=True)
    return problems


def _on(draft: EntityDraft, document: Any) -> EntityDraft:
    """The same entity data, with diagnostics located in ``document``."""
    return EntityDraft(pack=draft.pack, data=draft.data, document=document)


def _check_entity_ref(doc: Any, path: list, name: str,
                      entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    if name not in entities:
        return [doc.diagnostic(path, f"unknown entity '{name}'")]
    return []


def _check_report(doc: Any, entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    data = doc.data
    problems = _check_entity_ref(doc, ["entity"], data["entity"], entities)
    if problems:
        return problems
    draft = _on(entities[data["entity"]], doc)
    for i, name in enumerate(data.get("group_by") or []):
        problems += _field_ref(draft, ["group_by", i], name, STANDARD_COLUMNS)
    for i, name in enumerate(data.get("columns") or []):
        problems += _field_ref(draft, ["columns", i], name, STANDARD_COLUMNS)
    for i, condition in enumerate(data.get("filters") or []):
        found = _field_ref(draft, ["filters", i, 0], condition[0], STANDARD_COLUMNS)
        problems += found or _check_operator(draft, ["filters", i, 1], condition)
    if data.get("sort"):
        problems += _sort_ref(draft, ["sort"], data["sort"])
    for i, aggregate in enumerate(data.get("aggregates") or []):
        function, name = aggregate["function"], aggregate.get("field")
        if function != "count" and not name:
            problems.append(doc.diagnostic(["aggregates", i], f"{function} needs a field"))
        elif name:
            types = numeric_types() if function in ("sum", "avg") else None
            problems += _field_ref(draft, ["aggregates", i, "field"], name, STANDARD_COLUMNS,
                                   types)
    return problems


def _check_operator(draft: EntityDraft, path: list, condition: list) -> list[Diagnostic]:
    """A report filter's operator applies to its field's type, as list filters require."""
    name, operator = condition[0], str(condition[1]).lower()
    spec = draft.data["fields"].get(name)
    kind = spec["type"] if spec is not None else STANDARD_FIELDS[name].type
    operators = FIELD_TYPES[kind].operators
    if operator in operators:
        return []
    return [draft.diagnostic(path, f"operator '{condition[1]}' does not apply to field '{name}' "
                                   f"({_a(kind)} field): use one of {', '.join(operators)}")]
