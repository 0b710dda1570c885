"""Turn validated entity data into frozen specs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.metadata.access import role_permission
from core.metadata.context_panel import build_context_panel
from core.metadata.names import default_label, table_name
from core.metadata.overlay import EntityDraft
from core.metadata.specs import (
    EntitySpec,
    FieldSpec,
    LabelGrammar,
    LayoutSection,
    LayoutTab,
    PlannerSpec,
)

FIELD_KEYS = ("help", "required", "unique", "default", "read_only", "min", "max", "pattern",
              "check", "index", "computed", "length", "precision", "scale", "target", "currency",
              "signature", "renamed_from", "user_editable", "fetch_from")


NO_CHECKS: Mapping[str, Any] = {}


def build_field(name: str, data: dict[str, Any], custom: bool = False,
                checks: Mapping[str, Any] = NO_CHECKS) -> FieldSpec:
    """A ``FieldSpec`` from a field's metadata (``checks``: those the packs' hooks add)."""
    values = {key: data[key] for key in FIELD_KEYS if key in data}
    if data.get("check") in checks:
        values["pack_check"] = checks[data["check"]]
    if data["type"] == "money":
        values.setdefault("precision", 18)
        values.setdefault("scale", 2)
    if data["type"] == "decimal":
        values.setdefault("precision", 18)
        values.setdefault("scale", 0)
    if data.get("badges"):
        values["badges"] = tuple((option, style.get("color", "grey"), style.get("icon", ""))
                                 for option, style in data["badges"].items())
    for key in ("visible_when", "required_when", "read_only_when"):
        if data.get(key):
            values[key] = (data[key]["field"], *data[key]["in"])
    if data.get("link_filter"):
        values["link_filter"] = tuple(data["link_filter"].items())
    if data.get("due"):
        due = data["due"]
        values["due"] = () if due is True else (due["field"], *due["in"])
    return FieldSpec(name=name, type=data["type"], label=data.get("label") or default_label(name),
                     options=tuple(data.get("options", ())), custom=custom, **values)


def _section(data: dict[str, Any]) -> LayoutSection:
    return LayoutSection(label=data.get("label", ""),
                         columns=tuple(tuple(column) for column in data["columns"]))


def build_layout(data: dict[str, Any] | None) -> tuple[LayoutTab, ...]:
    """Form layout: tabs of sections of columns; a layout of bare sections is one tab."""
    if not data:
        return ()
    if "tabs" in data:
        return tuple(LayoutTab(label=tab["label"],
                               sections=tuple(_section(s) for s in tab["sections"]))
                     for tab in data["tabs"])
    return (LayoutTab(label="", sections=tuple(_section(s) for s in data["sections"])),)


def build_planner(data: dict[str, Any] | None) -> PlannerSpec | None:
    """The entity's planner board, when it declares one."""
    if not data:
        return None
    return PlannerSpec(start=data["start"], resource=data["resource"],
                       duration=data.get("duration"), filters=tuple(data.get("filters") or ()),
                       to_plan_sort=tuple(data.get("to_plan_sort") or ("created_at",)))


def build_entity(draft: EntityDraft, checks: Mapping[str, Any] = NO_CHECKS) -> EntitySpec:
    """An ``EntitySpec`` from a merged entity draft (``checks``: those packs' hooks add)."""
    data = draft.data
    fields = tuple(build_field(name, spec, name in draft.custom_fields, checks)
                   for name, spec in data["fields"].items())
    listing = data.get("list") or {}
    title = data.get("title_field")
    columns = tuple(listing.get("columns") or
                    ([title] if title else [f.name for f in fields if f.stored][:5]))
    is_child = bool(data.get("child", False))
    return EntitySpec(
        name=data["name"],
        pack=draft.pack,
        label=data["label"],
        plural=data.get("plural") or data["label"],
        table_name=table_name(draft.pack, data["name"]),
        fields=fields,
        is_child=is_child,
        naming=None if is_child else data.get("naming") or f"{data['name'].upper()}-{{#####}}",
        title_field=title,
        search_fields=tuple(data.get("search_fields") or ([title] if title else [])),
        list_columns=columns,
        list_filters=tuple(listing.get("filters") or ()),
        default_sort=listing.get("sort") or "-modified_at",
        layout=build_layout(data.get("layout")),
        indexes=tuple(tuple(index) for index in data.get("indexes") or ()),
        unique=tuple(tuple(group) for group in data.get("unique") or ()),
        role_permissions={role: role_permission(value)
                          for role, value in (data.get("permissions") or {}).items()},
        renamed_from=data.get("renamed_from"),
        planner=build_planner(data.get("planner")),
        source=draft.document.file,
        grammar={language: LabelGrammar(**words)
                 for language, words in (data.get("grammar") or {}).items()},
        context_panel=build_context_panel(data.get("context_panel")),
    )
