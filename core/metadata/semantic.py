"""Checks that need more than one file: names, links, child tables, layouts and limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from marshmallow import ValidationError

from core.i18n import Translator
from core.metadata.build import build_field
from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_names, formula_syntax_error
from core.metadata.field_checks import find_check
from core.metadata.field_types import FIELD_TYPES, Traits
from core.metadata.formula_order import formula_cycle_problems
from core.metadata.limits import limit_problems
from core.metadata.loader import PackSource
from core.metadata.names import (
    CHILD_COLUMNS,
    MAX_IDENTIFIER,
    RESERVED_FIELD_NAMES,
    SQL_RESERVED_WORDS,
    STANDARD_COLUMNS,
    table_name,
)
from core.metadata.overlay import EntityDraft
from core.metadata.value_limits import DEFAULT_LENGTHS, MAX_INDEXED_LENGTH
from core.records.filters import STANDARD_FIELDS

DYNAMIC_DEFAULTS = {"$today": ("date",), "$now": ("datetime",), "$user": ("string", "text")}
RESERVED_IN_ORDER = tuple(dict.fromkeys((*STANDARD_COLUMNS, *CHILD_COLUMNS,
                                         *sorted(RESERVED_FIELD_NAMES))))
# The tokens a naming series replaces (core.records.naming): a counter and date parts.
NAMING_TOKEN = re.compile(r"\{(?:#+|YYYY|YY|MM|DD)\}")


def _types(fits: Callable[[Traits], bool], families: tuple[str, ...]) -> tuple[str, ...]:
    """The names of the types whose traits fit, family by family in the order given."""
    return tuple(name for family in families for name, kind in FIELD_TYPES.items()
                 if kind.traits.family == family and fits(kind.traits))


def numeric_types() -> tuple[str, ...]:
    """Types reports sum and average."""
    return _types(lambda t: t.numeric, ("number",))


def searchable_types() -> tuple[str, ...]:
    """Types a title or a search field may have: text and single options."""
    return _types(lambda t: t.textual or not t.multiple, ("text", "choice"))


def not_unique(kind: str | None) -> bool:
    """Whether a field of type ``kind`` cannot be unique: lines, long text, option lists."""
    traits = FIELD_TYPES[kind].traits if kind in FIELD_TYPES else None
    return traits is not None and (traits.family == "table" or traits.multiline
                                   or traits.multiple)


def _family(kind: str | None) -> str | None:
    return FIELD_TYPES[kind].traits.family if kind in FIELD_TYPES else None


def filterable_types() -> tuple[str, ...]:
    """Types a list page can filter by (their UI facet's filter widget), so a planner may."""
    return _types(lambda t: True, ("choice", "flag", "link", "time", "number", "text"))


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: ``a string``, ``an integer``."""
    return f"{'an' if kind[:1] in 'aeio' else 'a'} {kind}"


def check_packs(packs: Iterable[PackSource]) -> list[Diagnostic]:
    """Each pack's manifest names the folder it is in."""
    problems = []
    for pack in packs:
        if pack.manifest.data["name"] != pack.path.name:
            problems.append(pack.manifest.diagnostic(
                ["name"], f"pack is named '{pack.manifest.data['name']}' but its folder is "
                          f"'{pack.path.name}': they must match"))
    return problems


def check_entities(drafts: list[EntityDraft]) -> list[Diagnostic]:
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
        problems += _check_entity(draft, by_name)
        for name, spec in draft.data["fields"].items():
            if spec["type"] == "table":
                owners.setdefault(spec["target"], []).append((draft, name))
    problems += _check_children(by_name, owners)
    problems += formula_cycle_problems(by_name.values())
    return problems


def _check_entity(draft: EntityDraft, entities: dict[str, EntityDraft]) -> list[Diagnostic]:
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
        problems += _check_field(draft, name, spec, entities)
    problems += _check_references(draft)
    specs = [build_field(n, s) for n, s in fields.items()]
    problems += [draft.diagnostic(["fields"], p) for p in limit_problems(specs)]
    return problems


def _digits_only(naming: str) -> bool:
    """Whether every reference of the naming series is made of digits (and spaces) only."""
    return all(c.isdigit() or c.isspace() for c in NAMING_TOKEN.sub("", naming))


def _check_field(draft: EntityDraft, name: str, spec: dict[str, Any],
                 entities: dict[str, EntityDraft]) -> list[Diagnostic]:
    at = ["fields", name]
    problems = []
    kind = spec["type"]
    if name in RESERVED_FIELD_NAMES:
        problems.append(draft.diagnostic(at, f"'{name}' is a standard column's name: "
                                         f"choose another ({', '.join(RESERVED_IN_ORDER)} "
                                         "are reserved)"))
    elif name in SQL_RESERVED_WORDS:
        problems.append(draft.diagnostic(at, f"'{name}' is an SQL reserved word: choose another"))
    target = spec.get("target")
    if _family(kind) == "link" and target:
        if target not in entities:
            problems.append(draft.diagnostic([*at, "target"],
                                             f"link to unknown entity '{target}'"))
        elif entities[target].data.get("child"):
            problems.append(draft.diagnostic([*at, "target"], f"'{target}' is a child entity: "
                                             "link to the record that owns its lines"))
    if _family(kind) == "table" and target:
        if target not in entities:
            problems.append(draft.diagnostic([*at, "target"],
                                             f"child table of unknown entity '{target}'"))
        elif not entities[target].data.get("child"):
            problems.append(draft.diagnostic([*at, "target"], f"'{target}' is not a child "
                                             "entity: declare it with 'child: true'"))
    renamed = spec.get("renamed_from")
    if renamed and renamed in draft.data["fields"]:
        problems.append(draft.diagnostic([*at, "renamed_from"], f"'{renamed}' is still a field "
                                         "of this entity: a rename needs the old name gone"))
    if spec.get("scale", 0) > spec.get("precision", 18):
        problems.append(draft.diagnostic([*at, "scale"], "scale cannot exceed precision"))
    if spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
        problems.append(draft.diagnostic([*at, "min"], "min is greater than max"))
    if spec.get("pattern"):
        try:
            re.compile(spec["pattern"])
        except re.error as exc:
            problems.append(draft.diagnostic([*at, "pattern"],
                                             f"invalid regular expression: {exc}"))
    if spec.get("computed"):
        error = formula_syntax_error(spec["computed"])
        if error:
            problems.append(draft.diagnostic([*at, "computed"], error))
        problems += _check_formula_names(draft, [*at, "computed"], spec["computed"])
    if spec.get("unique") and not_unique(kind):
        problems.append(draft.diagnostic([*at, "unique"], f"{_a(kind)} field cannot be unique"))
    problems += _check_indexed_length(draft, at, spec)
    if spec.get("check") and find_check(spec["check"]) is None:
        problems.append(draft.diagnostic([*at, "check"], f"unknown check '{spec['check']}': "
                                         "name a python-stdnum module that has validate(), "
                                         "e.g. it.iva, eu.vat, it.codicefiscale, iban"))
    elif "default" in spec and spec["default"] is not None:
        problems += _check_default(draft, at, spec)
    return problems


def _indexed_length(spec: dict[str, Any]) -> int:
    """The characters an index on a field of ``spec`` may have to hold (0: not a string)."""
    if spec.get("type") not in ("string", "email", "url"):
        return 0
    return int(spec.get("length") or DEFAULT_LENGTHS[spec["type"]])


def _check_indexed_length(draft: EntityDraft, at: list, spec: dict[str, Any]
                          ) -> list[Diagnostic]:
    """A unique or indexed string must fit PostgreSQL's btree entry (2704 bytes, up to 4 a
    character in UTF-8); a longer one would fail on the first long value."""
    length = _indexed_length(spec)
    for key in ("unique", "index"):
        if spec.get(key) and length > MAX_INDEXED_LENGTH:
            return [draft.diagnostic([*at, key], f"a {key} {spec['type']} field may hold "
                                     f"{length} characters, more than an index entry fits "
                                     f"(at most {MAX_INDEXED_LENGTH}): give it a length of "
                                     f"{MAX_INDEXED_LENGTH} or less")]
    return []


def _check_formula_names(draft: EntityDraft, path: list, expression: str) -> list[Diagnostic]:
    """Every name a formula reads is a field of its entity (a formula sees nothing else)."""
    fields = draft.data["fields"]
    return [draft.diagnostic(path, f"unknown name '{name}' in formula: fields of "
                                   f"'{draft.name}' are {', '.join(fields)}")
            for name in sorted(formula_names(expression)) if name not in fields]


def _check_default(draft: EntityDraft, at: list, spec: dict[str, Any]) -> list[Diagnostic]:
    default = spec["default"]
    if isinstance(default, str) and default.startswith("$"):
        allowed = DYNAMIC_DEFAULTS.get(default)
        if allowed is None:
            return [draft.diagnostic([*at, "default"], f"unknown dynamic default '{default}': "
                                     f"use one of {', '.join(DYNAMIC_DEFAULTS)}")]
        if spec["type"] not in allowed:
            return [draft.diagnostic([*at, "default"], f"'{default}' is not a default for "
                                     f"{_a(spec['type'])} field")]
        return []
    if spec["type"] in ("table", "link"):
        return [draft.diagnostic([*at, "default"], f"{_a(spec['type'])} field takes no "
                                 "default")]
    loader = FIELD_TYPES[spec["type"]].loader(build_field(at[-1], spec), Translator())
    try:
        loader.deserialize(default)
    except ValidationError as exc:
        return [draft.diagnostic([*at, "default"], f"invalid default: {exc.messages[0]}")]
    return []


def _field_ref(draft: EntityDraft, path: list, name: str, allowed: tuple[str, ...] = (),
               types: tuple[str, ...] | None = None, tables: bool = False) -> list[Diagnostic]:
    fields = draft.data["fields"]
    if name in allowed:
        return []
    if name not in fields:
        return [draft.diagnostic(path, f"unknown field '{name}' of entity '{draft.name}'")]
    if types is not None and fields[name]["type"] not in types:
        return [draft.diagnostic(path, f"field '{name}' is {_a(fields[name]['type'])} field: "
                                 f"expected one of {', '.join(types)}")]
    if _family(fields[name]["type"]) == "table" and types is None and not tables:
        return [draft.diagnostic(path, f"'{name}' is a child table: it cannot be used here")]
    return []


def _check_references(draft: EntityDraft) -> list[Diagnostic]:
    data = draft.data
    problems = []
    if data.get("title_field"):
        problems += _field_ref(draft, ["title_field"], data["title_field"], (),
                               searchable_types())
    for i, name in enumerate(data.get("search_fields") or []):
        problems += _field_ref(draft, ["search_fields", i], name, (), searchable_types())
    listing = data.get("list") or {}
    for key in ("columns", "filters"):
        for i, name in enumerate(listing.get(key) or []):
            problems += _field_ref(draft, ["list", key, i], name, STANDARD_COLUMNS)
    if listing.get("sort"):
        problems += _sort_ref(draft, ["list", "sort"], listing["sort"])
    problems += _check_layout(draft)
    for i, index in enumerate(draft.data.get("indexes") or []):
        for j, name in enumerate(index):
            problems += _field_ref(draft, ["indexes", i, j], name, STANDARD_COLUMNS)
    problems += _check_unique_groups(draft)
    problems += _check_planner(draft)
    return problems


def _check_planner(draft: EntityDraft) -> list[Diagnostic]:
    """A planner places records by a datetime, sized by a duration, in rows of a link."""
    planner = draft.data.get("planner")
    if not planner:
        return []
    if draft.data.get("child"):
        return [draft.diagnostic(["planner"], "a child entity cannot have a planner: "
                                 "plan the record that owns its lines")]
    problems = _field_ref(draft, ["planner", "start"], planner["start"], (), ("datetime",))
    problems += _field_ref(draft, ["planner", "resource"], planner["resource"], (), ("link",))
    if planner.get("duration"):
        problems += _field_ref(draft, ["planner", "duration"], planner["duration"], (),
                               ("duration",))
    for i, name in enumerate(planner.get("filters") or []):
        problems += _field_ref(draft, ["planner", "filters", i], name, (),
                               filterable_types())
    return problems


def _check_unique_groups(draft: EntityDraft) -> list[Diagnostic]:
    """Each ``unique`` group names fields that can be compared; child entities have none."""
    groups = draft.data.get("unique") or []
    if groups and draft.data.get("child"):
        return [draft.diagnostic(["unique"], "a child entity cannot have unique groups: "
                                 "its lines are checked within their record")]
    problems = []
    for i, group in enumerate(groups):
        for j, name in enumerate(group):
            found = _field_ref(draft, ["unique", i, j], name)
            kind = draft.data["fields"].get(name, {}).get("type")
            if not found and not_unique(kind):
                found = [draft.diagnostic(["unique", i, j], f"{_a(kind)} field cannot be "
                                          "part of a unique group")]
            problems += found
        length = sum(_indexed_length(draft.data["fields"].get(name) or {}) for name in group)
        if length > MAX_INDEXED_LENGTH:
            problems.append(draft.diagnostic(["unique", i], f"the strings of this unique "
                                             f"group may hold {length} characters together, "
                                             "more than an index entry fits (at most "
                                             f"{MAX_INDEXED_LENGTH}): shorten their lengths"))
    return problems


def _sort_ref(draft: EntityDraft, path: list, sort: str) -> list[Diagnostic]:
    """``sort`` (``-`` in front for descending) names a field or column rows can be sorted by."""
    name = sort.lstrip("-")
    problems = _field_ref(draft, path, name, STANDARD_COLUMNS, tables=True)
    kind = draft.data["fields"].get(name, {}).get("type")
    if not problems and name not in STANDARD_COLUMNS and not FIELD_TYPES[kind].sortable:
        problems.append(draft.diagnostic(path, f"cannot sort by {_a(kind)} field"))
    return problems


def _check_layout(draft: EntityDraft) -> list[Diagnostic]:
    layout = draft.data.get("layout") or {}
    problems = []
    seen: set[str] = set()
    tabs = layout.get("tabs") or [{"sections": layout.get("sections") or []}]
    for t, tab in enumerate(tabs):
        for s, section in enumerate(tab["sections"]):
            for c, column in enumerate(section["columns"]):
                for f, name in enumerate(column):
                    prefix = ["layout", "tabs", t] if "tabs" in layout else ["layout"]
                    path = [*prefix, "sections", s, "columns", c, f]
                    if name in seen:
                        problems.append(draft.diagnostic(path, f"field '{name}' is placed twice "
                                                         "in the layout"))
                    seen.add(name)
                    if name not in draft.data["fields"]:
                        problems.append(draft.diagnostic(
                            path, f"unknown field '{name}' of entity '{draft.name}'"))
    return problems


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
