"""What the detail page shows of a record: its layout, read-only and formatted for the locale.

Built generically from metadata: the entity's form layout (or a default one: every field in
two columns, each child table in a section of its own), link fields as links to the target's
detail page when the user may read it, child lines as tables, attachments and images as
download links and previews. Fields the user may not read are not in the record the records
service returns, so they are simply not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from markupsafe import Markup

from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.ui.badges import badge, due_maker
from core.ui.context import field_access, gettext, registry
from core.ui.context import may as context_may
from core.ui.field_facets import facet_of
from core.ui.jinja_helpers import display

DEFAULT_COLUMNS = 2


def may(entity_name: str, action: str) -> bool:
    """Whether the signed-in user may ``action`` records of ``entity_name`` at all."""
    return context_may(entity_name, action)


def file_name(key: str | None) -> str:
    """The file name part of a stored file's key (``<sha256>/<name>``)."""
    return (key or "").split("/", 1)[-1]


@dataclass(frozen=True)
class Cell:
    """One field's value as the detail page shows it.

    ``kind`` is ``text``, ``multiline``, ``link``, ``file``, ``image``, ``email``, ``url``,
    ``phone``, ``table`` or ``empty``.
    """

    field: FieldSpec
    kind: str
    text: str = ""
    url: str | None = None
    table: LinesTable | None = None
    badge: Markup | None = None  # the option as its badge, or the time left to a due moment


@dataclass(frozen=True)
class LinesTable:
    """The lines of a child table: columns (fields of the child entity) and rows of cells."""

    entity: EntitySpec
    columns: tuple[FieldSpec, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Section:
    """A section of the page: a title and columns of cells (top to bottom)."""

    label: str
    columns: tuple[tuple[Cell, ...], ...]
    wide: bool = False  # a section holding only a child table spans the page


@dataclass(frozen=True)
class Tab:
    """A tab of the layout (an empty label when the layout has no tabs)."""

    label: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FileLink:
    """Where a stored file of a record (or of one of its lines) is downloaded."""

    entity: str
    record_id: int
    table: str | None = None
    line_id: int | None = None

    def url(self, field_name: str) -> str:
        """The download URL of ``field_name``."""
        if self.table is None:
            return url_for("records.file_view", entity=self.entity, record_id=self.record_id,
                           field=field_name)
        return url_for("records.line_file_view", entity=self.entity, record_id=self.record_id,
                       table=self.table, line_id=self.line_id, field=field_name)


def _link_cell(spec: FieldSpec, value: Any, title: Any) -> Cell:
    if title is None:
        return Cell(spec, "text", gettext(_("Record {id}"), id=value))
    url = None
    if spec.target and may(spec.target, "read"):
        url = url_for("records.detail_view", entity=spec.target, record_id=int(value))
    return Cell(spec, "link", str(title), url)


def cell(spec: FieldSpec, row: dict[str, Any], files: FileLink | None) -> Cell:
    """The cell of field ``spec`` in ``row`` (a record or a line)."""
    value = row.get(spec.name)
    shape = facet_of(spec).cell
    if shape == "table":
        return Cell(spec, "table", table=lines_table(spec, value or [], None))
    if value is None or value == "" or value == []:
        return Cell(spec, "empty")
    if shape == "link":
        return _link_cell(spec, value, (row.get("_titles") or {}).get(spec.name))
    if shape in ("file", "image"):
        url = files.url(spec.name) if files is not None else None
        return Cell(spec, shape, file_name(value), url)
    if shape in ("email", "url", "phone"):
        return Cell(spec, shape, str(value))
    text = display(value, spec)
    if spec.badges:
        return Cell(spec, shape, text, badge=badge(spec, value, text))
    if spec.due is not None:
        return Cell(spec, shape, text, badge=due_maker()(spec, value, row))
    return Cell(spec, shape, text)  # "text" or "multiline"


def lines_table(spec: FieldSpec, lines: list[dict[str, Any]],
                parent: FileLink | None, readable: frozenset[str] | None = None) -> LinesTable:
    """The lines of child table ``spec`` (files downloadable for direct lines only): the
    fields the lines carry (hidden ones are not read), or without lines the ``readable``
    ones."""
    child = registry().entity(spec.target or "")
    present = set().union(*(line.keys() for line in lines)) if lines else readable
    columns = tuple(f for f in child.fields
                    if present is None or f.name in present)
    rows = []
    for line in lines:
        link = (FileLink(parent.entity, parent.record_id, spec.name, int(line["id"]))
                if parent is not None and line.get("id") is not None else None)
        rows.append(tuple(cell(f, line, link) for f in columns))
    return LinesTable(child, columns, tuple(rows))


def _record_cell(spec: FieldSpec, record: dict[str, Any], entity: EntitySpec) -> Cell:
    files = FileLink(entity.name, int(record["id"]))
    if traits_of(spec).family == "table":
        prefix = spec.name + "."
        readable = frozenset(n[len(prefix):] for n in field_access(entity.name, "read").readable
                             if n.startswith(prefix))
        return Cell(spec, "table", table=lines_table(spec, record.get(spec.name) or [], files,
                                                     readable))
    return cell(spec, record, files)


def _default_layout(entity: EntitySpec, shown: list[FieldSpec]) -> tuple[LayoutTabLike, ...]:
    plain = [f.name for f in shown if traits_of(f).family != "table"]
    half = (len(plain) + 1) // DEFAULT_COLUMNS
    sections: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    if plain:
        sections.append(("", (tuple(plain[:half]), tuple(plain[half:]))))
    sections += [("", ((f.name,),)) for f in shown if traits_of(f).family == "table"]
    return (("", tuple(sections)),)


LayoutTabLike = tuple[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]]


def detail_layout(entity: EntitySpec, record: dict[str, Any]) -> list[Tab]:
    """The record laid out like its form, read-only; fields the user cannot see are left out.

    Fields the layout does not place are not shown, as in the form; without a layout every
    field is shown.
    """
    from core.ui.context import labels

    translate = labels().gettext
    shown = [f for f in entity.fields if f.name in record]
    if entity.layout:
        raw: tuple[LayoutTabLike, ...] = tuple(
            (tab.label, tuple((s.label, s.columns) for s in tab.sections))
            for tab in entity.layout)
    else:
        raw = _default_layout(entity, shown)
    visible = {f.name: f for f in shown}
    tabs: list[Tab] = []
    for tab_label, sections in raw:
        built: list[Section] = []
        for section_label, columns in sections:
            cells = tuple(tuple(_record_cell(visible[name], record, entity)
                                for name in column if name in visible)
                          for column in columns)
            cells = tuple(column for column in cells if column)
            if not cells:
                continue
            wide = all(c.kind == "table" for column in cells for c in column)
            label = translate(section_label) if section_label else ""
            if not label and wide and len(cells) == 1 and len(cells[0]) == 1:
                label = labels().field_label(cells[0][0].field)
            built.append(Section(label, cells, wide))
        if built:
            tabs.append(Tab(translate(tab_label) if tab_label else "", tuple(built)))
    return tabs
