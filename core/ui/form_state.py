"""What a record form shows and what it sends: typed text kept as typed, parsed on save.

A ``FormState`` holds the text of every input (top-level fields and child lines) so that a
form shown again after a failed save keeps everything the user typed. It is built from a
stored record, from an entity's defaults, or from a submitted form, and turned into the
values the records service takes with ``parse_state``.

Inputs are named after the service's error paths: ``customer``, ``lines.0.product``; extra
inputs of a field use a colon (``customer:title``, ``picture:clear``), which field names
cannot contain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.ui.field_facets import widget_for
from core.ui.form_fields import FormContext, Shown

LINE_KEY = re.compile(r"^([a-z][a-z0-9_]*)\.(\d+)\.([a-z][a-z0-9_]*)$")


@dataclass(frozen=True)
class FormAccess:
    """Which fields the form shows (``readable``) and which as inputs (``editable``).

    ``lines`` holds, per child table, the same for the fields of its lines; a table without
    an entry shows every field of its lines, and offers the writable ones as inputs.
    """

    readable: frozenset[str]
    editable: frozenset[str]
    lines: Mapping[str, FormAccess] = field(default_factory=dict)


@dataclass
class Line:
    """One child line as the form shows it."""

    id: int | None = None
    shown: dict[str, Shown] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def is_blank(self, blank: Line) -> bool:
        """A new line left as ``blank`` shows it (left out when saving)."""
        return self.id is None and not self.extra and all(
            value == blank.shown.get(name) or value in ("", [], False)
            for name, value in self.shown.items())


@dataclass
class FormState:
    """The inputs of one record form."""

    shown: dict[str, Shown] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    lines: dict[str, list[Line]] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    files: dict[str, str] = field(default_factory=dict)   # file key kept per field
    clear: set[str] = field(default_factory=set)          # file fields to empty
    drawn: dict[str, str] = field(default_factory=dict)   # signatures as data URLs
    extra: dict[str, Any] = field(default_factory=dict)   # fields the form does not offer


def line_fields(child: EntitySpec) -> list[FieldSpec]:
    """The fields of a child line shown as cells (nested tables are left out)."""
    return [f for f in child.fields if traits_of(f).family != "table"]


def line_editable(spec: FieldSpec) -> bool:
    """Whether a line's cell is an input (files and computed or read-only fields are not)."""
    return not spec.computed and not spec.read_only and not traits_of(spec).file


def cell_fields(child: EntitySpec, cells: FormAccess | None = None) -> list[FieldSpec]:
    """The fields of a child line the user sees as cells (``cells``: their access)."""
    return [f for f in line_fields(child) if cells is None or f.name in cells.readable]


def cell_editable(spec: FieldSpec, cells: FormAccess | None = None) -> bool:
    """Whether a line's cell is an input for the user (``cells``: their access)."""
    return line_editable(spec) and (cells is None or spec.name in cells.editable)


def _line_from_record(child: EntitySpec, line: Mapping[str, Any], ctx: FormContext,
                      cells: FormAccess | None = None) -> Line:
    return Line(id=line.get("id"),
                shown={f.name: widget_for(f).show(line.get(f.name), f, ctx)
                       for f in cell_fields(child, cells) if cell_editable(f, cells)},
                titles={k: v or "" for k, v in (line.get("_titles") or {}).items()},
                stored=dict(line))


def blank_line(child: EntitySpec, ctx: FormContext, cells: FormAccess | None = None) -> Line:
    """An empty new line, showing the child's fixed defaults."""
    return Line(shown={f.name: widget_for(f).show(_static_default(f), f, ctx)
                       for f in cell_fields(child, cells) if cell_editable(f, cells)})


def _dynamic_default(spec: FieldSpec) -> bool:
    return isinstance(spec.default, str) and spec.default.startswith("$")


def _static_default(spec: FieldSpec) -> Any:
    return None if _dynamic_default(spec) else spec.default


def state_from_record(entity: EntitySpec, record: Mapping[str, Any], access: FormAccess,
                      children: Mapping[str, EntitySpec], ctx: FormContext) -> FormState:
    """The form of a stored record."""
    state = FormState(stored=dict(record), version=record.get("version"),
                      titles={k: v or "" for k, v in (record.get("_titles") or {}).items()})
    for spec in entity.fields:
        if spec.name not in access.editable:
            continue
        if traits_of(spec).family == "table":
            state.lines[spec.name] = [_line_from_record(children[spec.name], line, ctx,
                                                        access.lines.get(spec.name))
                                      for line in record.get(spec.name) or []]
        elif traits_of(spec).file:
            state.files[spec.name] = record.get(spec.name) or ""
        else:
            state.shown[spec.name] = widget_for(spec).show(record.get(spec.name), spec, ctx)
    return state


def state_from_defaults(entity: EntitySpec, defaults: Mapping[str, Any], access: FormAccess,
                        ctx: FormContext) -> FormState:
    """The form of a new record, with the fields' defaults filled in."""
    state = FormState(stored=dict(defaults))
    for spec in entity.fields:
        if spec.name in access.editable and traits_of(spec).family not in ("table", "file"):
            state.shown[spec.name] = widget_for(spec).show(defaults.get(spec.name), spec, ctx)
        elif spec.name in access.editable and traits_of(spec).family == "table":
            state.lines[spec.name] = []
    return state


def state_from_form(entity: EntitySpec, form: MultiDict, access: FormAccess,
                    children: Mapping[str, EntitySpec], stored: Mapping[str, Any]) -> FormState:
    """The form as submitted: text kept as typed; values of fields it does not offer (a
    tampered request) are kept aside in ``extra`` so the records service refuses them."""
    version = form.get("_version", "")
    state = FormState(stored=dict(stored), version=int(version) if version.isdigit() else None)
    for spec in entity.fields:
        name = spec.name
        if name not in access.editable:
            if name in form and traits_of(spec).family != "table":
                state.extra[name] = form.get(name)
            continue
        if traits_of(spec).family == "table":
            state.lines[name] = _lines_from_form(children[name], name, form,
                                                 access.lines.get(name))
        elif traits_of(spec).file:
            state.files[name] = form.get(f"{name}:kept", "")
            if form.get(f"{name}:clear"):
                state.clear.add(name)
            if form.get(f"{name}:drawn"):
                state.drawn[name] = form.get(f"{name}:drawn", "")
        else:
            state.shown[name] = widget_for(spec).read(form, name)
            if traits_of(spec).family == "link":
                state.titles[name] = form.get(f"{name}:title", "")
    return state


def _lines_from_form(child: EntitySpec, table: str, form: MultiDict,
                     cells: FormAccess | None = None) -> list[Line]:
    indexes = sorted({int(m[2]) for key in form
                      if (m := LINE_KEY.fullmatch(key)) and m[1] == table})
    lines = []
    for index in indexes:
        prefix = f"{table}.{index}."
        if prefix + "id" not in form:
            continue  # every row of the form carries its id input, empty for new lines
        raw_id = form.get(prefix + "id", "")
        line = Line(id=int(raw_id) if raw_id.isdigit() else None)
        if raw_id and not raw_id.isdigit():
            line.extra["id"] = raw_id
        for spec in line_fields(child):
            name = prefix + spec.name
            if cell_editable(spec, cells):
                line.shown[spec.name] = widget_for(spec).read(form, name)
                if traits_of(spec).family == "link":
                    line.titles[spec.name] = form.get(f"{name}:title", "")
            elif name in form:
                line.extra[spec.name] = form.get(name)
        lines.append(line)
    return lines


def parse_state(entity: EntitySpec, state: FormState, access: FormAccess,
                children: Mapping[str, EntitySpec],
                ctx: FormContext) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values to give the records service, and the inputs that could not be read.

    Blank new lines are dropped from ``state`` first, so that the service's line numbers
    in error paths are the form's.
    """
    drop_blank_lines(state, children, ctx, access)
    values: dict[str, Any] = dict(state.extra)
    errors: dict[str, list[str]] = {}
    for spec in entity.fields:
        name = spec.name
        if name not in access.editable or traits_of(spec).file:
            continue
        if traits_of(spec).family == "table":
            values[name] = [_parse_line(children[name], line, f"{name}.{index}.", ctx, errors,
                                        access.lines.get(name))
                            for index, line in enumerate(state.lines[name])]
            continue
        shown = state.shown.get(name, "")
        if traits_of(spec).moment and state.version is not None \
                and state.stored.get(name) is not None \
                and widget_for(spec).show(state.stored[name], spec, ctx) == shown:
            continue  # untouched: the input shows minutes, the stored time keeps its seconds
        try:
            values[name] = widget_for(spec).parse(shown, spec, ctx)
        except ValueError as exc:
            errors.setdefault(name, []).append(str(exc))
    return values, errors


def drop_blank_lines(state: FormState, children: Mapping[str, EntitySpec],
                     ctx: FormContext, access: FormAccess | None = None) -> None:
    """Leave out new lines nothing was typed in (the form's spare empty rows)."""
    for name, lines in state.lines.items():
        blank = blank_line(children[name], ctx, access.lines.get(name) if access else None)
        state.lines[name] = [line for line in lines if not line.is_blank(blank)]


def _parse_line(child: EntitySpec, line: Line, prefix: str, ctx: FormContext,
                errors: dict[str, list[str]], cells: FormAccess | None = None) -> dict[str, Any]:
    values: dict[str, Any] = dict(line.extra)
    if line.id is not None:
        values["id"] = line.id
    for spec in cell_fields(child, cells):
        if not cell_editable(spec, cells):
            continue
        shown = line.shown.get(spec.name, "")
        if line.id is None and shown in ("", None) and _dynamic_default(spec):
            continue  # left empty on a new line: the records service fills in today, now...
        try:
            values[spec.name] = widget_for(spec).parse(shown, spec, ctx)
        except ValueError as exc:
            errors.setdefault(prefix + spec.name, []).append(str(exc))
    return values


def move_line(state: FormState, action: str, child: Mapping[str, EntitySpec],
              ctx: FormContext, access: FormAccess | None = None) -> bool:
    """Apply a line button pressed without JavaScript (``add:lines``, ``remove:lines:2``,
    ``up:lines:2``, ``down:lines:2``), spare empty rows left out; False when ``action`` is
    none of them. Line numbers are those of the rows as sent, spare rows being last."""
    drop_blank_lines(state, child, ctx, access)
    parts = action.split(":")
    if len(parts) < 2 or parts[1] not in state.lines:
        return False
    lines = state.lines[parts[1]]
    if parts[0] == "add" and len(parts) == 2:
        lines.append(blank_line(child[parts[1]], ctx,
                                access.lines.get(parts[1]) if access else None))
        return True
    if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) >= len(lines):
        return False
    index = int(parts[2])
    if parts[0] == "remove":
        del lines[index]
    elif parts[0] == "up" and index > 0:
        lines[index - 1], lines[index] = lines[index], lines[index - 1]
    elif parts[0] == "down" and index + 1 < len(lines):
        lines[index + 1], lines[index] = lines[index], lines[index + 1]
    elif parts[0] not in ("up", "down"):
        return False
    return True
