"""Checks that need more than one file: names, links, child tables, layouts and limits.

The checks of one field are in ``semantic_fields``, of the fields an entity names in itself in
``semantic_refs``, of reports and fixtures in ``semantic_documents``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from core.metadata.build import NO_CHECKS, build_field
from core.metadata.context_panel import context_panel_problems
from core.metadata.diagnostics import Diagnostic
from core.metadata.formula_order import formula_cycle_problems
from core.metadata.limits import limit_problems
from core.metadata.loader import PackSource
from core.metadata.names import MAX_IDENTIFIER, SQL_RESERVED_WORDS, table_name
from core.metadata.overlay import EntityDraft
from core.metadata.semantic_documents import check_pack_documents
from core.metadata.semantic_fields import _check_field
from core.metadata.semantic_refs import _check_references

__all__ = ["check_entities", "check_pack_documents", "check_packs"]

# The tokens a naming series replaces (core.records.naming): a counter and date parts.
NAMING_TOKEN = re.compile(r"\{(?:#+|YYYY|YY|MM|DD)\}")


def check_packs(packs: Iterable[PackSource]) -> list[Diagnostic]:
    """Each pack's manifest names the folder it is in."""
    problems = []
    for pack in packs:
        if pack.manifest.data["name"] != pack.path.name:
            problems.append(pack.manifest.diagnostic(
                ["name"], f"pack is named '{pack.manifest.data['name']}' but its folder is "
                          f"'{pack.path.name}': they must match"))
    return problems


def check_entities(drafts: list[EntityDraft],
                   checks: Mapping[str, Any] = NO_CHECKS) -> list[Diagnostic]:
    """Every cross-file check on entities; an empty list means they can be built."""
    problems: list[Diagnostic] = []
    by_name: dict[str, EntityDraft] = {}
    for draft in drafts:
        if draft.name in by_name:
            first = by_name[draft.name].document
            problems.append(draft.diagnostic(["name"], f"entity '{draft.name}' is already "
                                             f"defined in {first.file}:{first.line_of(['name'])}"))
            continue
        by_name[draft.name] = draft
    owners: dict[str, list[tuple[EntityDraft, str]]] = {}
    for draft in by_name.values():
        problems += _check_entity(draft, by_name, checks)
        problems += context_panel_problems(draft, by_name)
        for name, spec in draft.data["fields"].items():
            if spec["type"] == "table":
                owners.setdefault(spec["target"], []).append((draft, name))
    problems += _check_children(by_name, owners)
    problems += formula_cycle_problems(by_name.values())
    return problems


def _check_entity(draft: EntityDraft, entities: dict[str, EntityDraft],
                  checks: Mapping[str, Any]) -> list[Diagnostic]:
    data = draft.data
    problems = []
    table = table_name(draft.pack, draft.name)
    if len(table) > MAX_IDENTIFIER:
        problems.append(draft.diagnostic(["name"], f"table name '{table}' is longer than "
                                         f"{MAX_IDENTIFIER} characters"))
    if draft.name in SQL_RESERVED_WORDS:
        problems.append(draft.diagnostic(["name"], f"'{draft.name}' is an SQL reserved word"))
    if data.get("child") and data.get("naming"):
        problems.append(draft.diagnostic(["naming"], "child entities have no naming series: "
                                         "their lines are numbered within the parent"))
    elif data.get("naming") and _digits_only(data["naming"]):
        problems.append(draft.diagnostic(["naming"], "a naming series needs a letter or sign "
                                         "outside its {tokens} (e.g. TCK-{#####}) so "
                                         "references are never taken for ids"))
    fields = data["fields"]
    for name, spec in fields.items():
        problems += _check_field(draft, name, spec, entities, checks)
    problems += _check_references(draft, entities)
    specs = [build_field(n, s, checks=checks) for n, s in fields.items()]
    problems += [draft.diagnostic(["fields"], p) for p in limit_problems(specs)]
    return problems


def _digits_only(naming: str) -> bool:
    """Whether every reference of the naming series is made of digits (and spaces) only."""
    return all(c.isdigit() or c.isspace() for c in NAMING_TOKEN.sub("", naming))


def _check_children(entities: dict[str, EntityDraft],
                    owners: dict[str, list[tuple[EntityDraft, str]]]) -> list[Diagnostic]:
    problems = []
    for name, draft in entities.items():
        if not draft.data.get("child"):
            continue
        users = owners.get(name, [])
        if not users:
            problems.append(draft.diagnostic(["child"], f"child entity '{name}' is not the "
                                             "target of any table field"))
        for extra, field_name in users[1:]:
            problems.append(extra.diagnostic(["fields", field_name, "target"],
                                             f"child entity '{name}' already belongs to "
                                             f"'{users[0][0].name}': a child has one parent"))
    for name, draft in entities.items():
        cycle = _child_cycle(name, entities, [])
        if cycle and cycle[0] == name:
            problems.append(draft.diagnostic(["fields"], "child tables form a cycle: "
                                             + " -> ".join([*cycle, name])))
    return problems


def _child_cycle(name: str, entities: dict[str, EntityDraft], trail: list[str]) -> list[str]:
    if name in trail:
        return trail[trail.index(name):]
    draft = entities.get(name)
    if draft is None:
        return []
    for spec in draft.data["fields"].values():
        if spec["type"] == "table":
            cycle = _child_cycle(spec["target"], entities, [*trail, name])
            if cycle:
                return cycle
    return []
