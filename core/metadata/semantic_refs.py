"""Checks of the fields an entity names in itself: title, search, list, layout, indexes,
unique groups and planner."""

from __future__ import annotations

from collections.abc import Mapping

from core.metadata.diagnostics import Diagnostic
from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import STANDARD_COLUMNS
from core.metadata.overlay import EntityDraft
from core.metadata.semantic_fields import _a, _indexed_length
from core.metadata.type_groups import family_of, filterable_types, not_unique, searchable_types
from core.metadata.value_limits import MAX_INDEXED_LENGTH


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
    if family_of(fields[name]["type"]) == "table" and types is None and not tables:
        return [draft.diagnostic(path, f"'{name}' is a child table: it cannot be used here")]
    return []


def _check_references(draft: EntityDraft,
                      entities: Mapping[str, EntityDraft] | None = None) -> list[Diagnostic]:
    data = draft.data
    problems = []
    if data.get("title_field"):
        problems += _field_ref(draft, ["title_field"], data["title_field"], (), searchable_types())
    for i, name in enumerate(data.get("search_fields") or []):
        problems += _search_ref(draft, ["search_fields", i], name, entities or {})
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


def _search_ref(draft: EntityDraft, path: list, name: str,
                entities: Mapping[str, EntityDraft]) -> list[Diagnostic]:
    """A search field: a text or single-option field of the entity, or ``link.field``: a
    link field of the entity and such a field of the entity it points to."""
    if "." not in name:
        return _field_ref(draft, path, name, (), searchable_types())
    link_name, target_field = name.split(".", 1)
    link = draft.data["fields"].get(link_name)
    if link is None or family_of(link["type"]) != "link":
        return [draft.diagnostic(path, f"'{link_name}' is not a link field of entity "
                                 f"'{draft.name}'")]
    target = entities.get(link.get("target", ""))
    if target is None:
        return []  # the link's own check names its unknown target
    found = target.data["fields"].get(target_field)
    if found is None:
        return [draft.diagnostic(path, f"unknown field '{target_field}' of entity "
                                 f"'{target.name}' (the target of '{link_name}')")]
    if found["type"] not in searchable_types():
        return [draft.diagnostic(path, f"field '{name}' is {_a(found['type'])} field: "
                                 f"expected one of {', '.join(searchable_types())}")]
    return []


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
        problems += _field_ref(draft, ["planner", "filters", i], name, (), filterable_types())
    for i, sort in enumerate(planner.get("to_plan_sort") or []):
        problems += _sort_ref(draft, ["planner", "to_plan_sort", i], sort)
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


