"""The form's layout: tabs, sections and columns of fields, ready for the templates.

The entity's ``layout`` decides where fields go; fields it does not place (and every field,
when there is no layout) follow in a last section, so a form can always set every field the
user may write. Each field becomes a ``FieldView``: its input's name and id, what it shows,
its errors, and whether it is an input or read-only text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.ui.field_facets import widget_for
from core.ui.form_fields import FormContext, Widget
from core.ui.form_state import (
    FormAccess,
    FormState,
    Line,
    blank_line,
    cell_editable,
    cell_fields,
)

INDEX_PLACEHOLDER = "__index__"


@dataclass
class FieldView:
    """One field of the form as its template needs it."""

    spec: FieldSpec
    widget: Widget
    name: str
    id: str
    shown: Any = ""
    title: str = ""
    errors: list[str] = field(default_factory=list)
    editable: bool = True
    value: Any = None          # the stored value, for read-only display
    options: list[tuple[str, str]] = field(default_factory=list)
    file_key: str = ""
    drawn: str = ""
    in_line: bool = False

    @property
    def file_name(self) -> str:
        """The name of the stored file, without its content hash."""
        key = self.file_key or (self.value if isinstance(self.value, str) else "")
        return key.split("/", 1)[-1] if key else ""

    @property
    def described_by(self) -> str:
        """Ids of the help and error texts, for ``aria-describedby``."""
        ids = []
        if self.spec.help and not self.in_line:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)


@dataclass
class LinesView:
    """A child table edited inline."""

    spec: FieldSpec
    child: EntitySpec
    columns: list[FieldSpec]
    rows: list[list[FieldView]]
    ids: list[int | None]
    template: list[FieldView]
    errors: list[str]
    editable: bool


@dataclass
class SectionView:
    """A section: a label and columns of fields (``FieldView`` or ``LinesView``)."""

    label: str
    columns: list[list[Any]]


@dataclass
class TabView:
    """A tab of sections."""

    label: str
    sections: list[SectionView]
    has_errors: bool = False


Options = Callable[[FieldSpec], list[tuple[str, str]]]


def _dom_id(name: str) -> str:
    return "f-" + name.replace(".", "-").replace(":", "-")


def field_view(spec: FieldSpec, state: FormState, access: FormAccess,
               errors: Mapping[str, list[str]], options: Options) -> FieldView:
    """The view of a top-level field."""
    name = spec.name
    view = FieldView(spec, widget_for(spec), name, _dom_id(name),
                     shown=state.shown.get(name, ""), title=state.titles.get(name, ""),
                     errors=list(errors.get(name, [])), editable=name in access.editable,
                     value=state.stored.get(name))
    if traits_of(spec).family == "choice":
        view.options = options(spec)
    if traits_of(spec).file:
        view.file_key = state.files.get(name, "") if view.editable else (view.value or "")
        view.drawn = state.drawn.get(name, "")
    if not view.editable and traits_of(spec).family == "link":
        view.title = (state.stored.get("_titles") or {}).get(name) or ""
    return view


def _cell(spec: FieldSpec, line: Line, prefix: str, errors: Mapping[str, list[str]],
          options: Options, editable: bool, cells: FormAccess | None = None) -> FieldView:
    name = prefix + spec.name
    view = FieldView(spec, widget_for(spec), name, _dom_id(name),
                     shown=line.shown.get(spec.name, ""), title=line.titles.get(spec.name, ""),
                     errors=list(errors.get(name, [])),
                     editable=editable and cell_editable(spec, cells),
                     value=line.stored.get(spec.name), in_line=True)
    if traits_of(spec).family == "choice":
        view.options = options(spec)
    if not view.editable and traits_of(spec).family == "link":
        view.title = (line.stored.get("_titles") or {}).get(spec.name) or ""
    return view


def lines_view(spec: FieldSpec, child: EntitySpec, state: FormState, access: FormAccess,
               errors: Mapping[str, list[str]], options: Options,
               ctx: FormContext, extra_blank: bool = True) -> LinesView:
    """A child table's rows, plus one empty row to type a new line in (without JavaScript)
    and a template row for the script's "add line"."""
    editable = spec.name in access.editable
    lines = list(state.lines.get(spec.name, []) if editable else
                 [Line(id=line.get("id"), stored=line) for line in state.stored.get(spec.name)
                  or []])
    cells = access.lines.get(spec.name)
    if editable and extra_blank:
        lines.append(blank_line(child, ctx, cells))
    columns = cell_fields(child, cells)
    rows = [[_cell(c, line, f"{spec.name}.{index}.", errors, options, editable, cells)
             for c in columns] for index, line in enumerate(lines)]
    template = [_cell(c, blank_line(child, ctx, cells), f"{spec.name}.{INDEX_PLACEHOLDER}.",
                      {}, options, editable, cells) for c in columns]
    own = [m for key, messages in errors.items() for m in messages
           if key == spec.name or (key.startswith(spec.name + ".") and key.endswith(".id"))]
    return LinesView(spec, child, columns, rows, [line.id for line in lines], template, own,
                     editable)


def build_tabs(entity: EntitySpec, state: FormState, access: FormAccess,
               errors: Mapping[str, list[str]], children: Mapping[str, EntitySpec],
               options: Options, ctx: FormContext, more_label: str) -> list[TabView]:
    """The form's tabs (one unlabelled tab without a layout), fields the user may not read
    left out."""
    def view(name: str) -> Any:
        spec = entity.field(name)
        assert spec is not None
        if traits_of(spec).family == "table":
            return lines_view(spec, children[name], state, access, errors, options, ctx)
        return field_view(spec, state, access, errors, options)

    placed: set[str] = set()
    tabs: list[TabView] = []
    for tab in entity.layout:
        sections = []
        for section in tab.sections:
            columns = []
            for column in section.columns:
                names = [n for n in column if n in access.readable and entity.has_field(n)]
                placed.update(column)
                if names:
                    columns.append([view(n) for n in names])
            if columns:
                sections.append(SectionView(section.label, columns))
        if sections:
            tabs.append(TabView(tab.label, sections))
    rest = [f.name for f in entity.fields if f.name not in placed and f.name in access.readable]
    if rest:
        section = SectionView(more_label if tabs else "", [[view(n) for n in rest]])
        if tabs:
            tabs[-1].sections.append(section)
        else:
            tabs.append(TabView("", [section]))
    for tab in tabs:
        tab.has_errors = any(_has_errors(item) for s in tab.sections for c in s.columns
                             for item in c)
    return tabs


def _has_errors(item: Any) -> bool:
    if isinstance(item, LinesView):
        return bool(item.errors) or any(cell.errors for row in item.rows for cell in row)
    return bool(item.errors)


def shown_paths(tabs: list[TabView]) -> set[str]:
    """The input names whose errors the form shows next to a field."""
    paths: set[str] = set()
    for tab in tabs:
        for section in tab.sections:
            for column in section.columns:
                for item in column:
                    if isinstance(item, LinesView):
                        paths.add(item.spec.name)
                        paths.update(cell.name for row in item.rows for cell in row)
                        paths.update(f"{item.spec.name}.{i}.id" for i in range(len(item.rows)))
                    else:
                        paths.add(item.name)
    return paths
