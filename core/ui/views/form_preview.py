"""The live form: ``POST /app/<entity>/preview`` takes the form as it is being filled and
answers, without saving anything, what the records service and the rules would make of it:
the values that links fetch (a machine's customer, site and item) and the entity's context
panel (warranty, contract, deadlines, open calls...).

The answer comes from a dry run: the record is created (or updated) through the records
service in a transaction that is always rolled back, so the rules compute exactly what a save
would, and nothing is written, mailed or queued. The form's script asks for it as fields
change; without JavaScript the form's Preview button shows the same panel on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup
from sqlalchemy.engine import Connection

from core.metadata.field_types import traits_of
from core.metadata.pack_views import value_conditions
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import RecordError
from core.records.fulltext import search_terms
from core.records.reading import ListQuery
from core.ui.badges import badge, due_maker
from core.ui.context import actor, labels, may, officina, registry
from core.ui.jinja_helpers import display
from core.ui.views.record_list import record_url

PLACEHOLDER = "…"  # what a dry run puts in required text the form has not filled yet


@dataclass(frozen=True)
class PanelItem:
    """One value of a panel section."""

    label: str
    text: str
    extra: Markup | None = None  # a badge, or the time left to a deadline
    url: str | None = None


@dataclass(frozen=True)
class PanelSectionView:
    """A panel section as the form shows it: values, or related records."""

    label: str
    items: list[PanelItem]
    related: list[PanelItem] | None = None


@dataclass(frozen=True)
class Preview:
    """What a dry run gave: the panel, the fetched values, or why it could not run."""

    sections: list[PanelSectionView]
    fetched: dict[str, dict[str, Any]]  # field -> {"value", "title"}
    problem: str = ""


class _RollBack(Exception):
    """Ends the dry run's transaction without committing it."""


def preview(entity: EntitySpec, values: Mapping[str, Any], record_id: int | None = None,
            version: int | None = None) -> Preview:
    """Run the save of ``values`` through the records service and its rules, read what the
    context panel shows, and roll everything back."""
    service, found = officina().records, {}
    given = {**values, **_placeholders(entity, values, record_id)}
    if not record_id:  # what the form leaves empty takes its default, as on a save
        given = {k: v for k, v in given.items()
                 if not (v in (None, "") and (f := entity.field(k)) is not None
                         and f.default is not None)}
    try:
        with officina().database.write() as connection:
            if record_id:
                saved = service.update(actor(), entity.name, record_id, given,
                                       version=version, connection=connection)
            else:
                saved = service.create(actor(), entity.name, given, connection=connection)
            found["preview"] = Preview(_sections(entity, saved, connection),
                                       _fetched(entity, values, saved))
            raise _RollBack
    except _RollBack:
        return found["preview"]
    except RecordError as exc:
        fields = getattr(exc, "field_errors", None) or {}
        detail = "; ".join(f"{labels().field_label(entity.field(k)) if entity.field(k) else k}: "
                           f"{' '.join(v)}" for k, v in fields.items())
        return Preview([], {}, detail or str(exc).splitlines()[0])


def _placeholders(entity: EntitySpec, values: Mapping[str, Any],
                  record_id: int | None) -> dict[str, Any]:
    """Required text the form leaves empty, filled for the dry run only."""
    if record_id:
        return {}
    return {f.name: PLACEHOLDER for f in entity.stored_fields
            if f.required and traits_of(f).textual and not f.computed
            and values.get(f.name) in (None, "")}


def _fetched(entity: EntitySpec, values: Mapping[str, Any],
             saved: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fetch-from fields the form left empty and the save filled, with link titles."""
    found = {}
    for spec in entity.stored_fields:
        if spec.fetch_from and values.get(spec.name) in (None, "") \
                and saved.get(spec.name) not in (None, ""):
            title = (saved.get("_titles") or {}).get(spec.name)
            value = saved[spec.name]
            found[spec.name] = {"value": value, "title": str(title) if title else None,
                                "text": display(value, spec)}
    return found


def stored_panel(entity: EntitySpec, record: Mapping[str, Any]) -> Markup:
    """The context panel of a stored record, for its detail page (nothing to dry-run)."""
    if not entity.context_panel:
        return Markup("")
    with officina().database.read() as connection:
        return render_panel(entity, Preview(_sections(entity, record, connection), {}))


def _sections(entity: EntitySpec, record: Mapping[str, Any],
              connection: Connection) -> list[PanelSectionView]:
    due, linked = due_maker(), _Linked(entity, record, connection)
    shown = []
    for section in entity.context_panel:
        items = []
        for path in section.fields:
            item = linked.item(path, due)
            if item is not None:
                items.append(item)
        related = _related(section.related, record, connection) if section.related else None
        if section.similar is not None:
            related = similar_records(section.similar, entity, record, connection)
        shown.append(PanelSectionView(labels().gettext(section.label), items, related))
    return shown


class _Linked:
    """Reads a record's values and its linked records' (as the user may read them)."""

    def __init__(self, entity: EntitySpec, record: Mapping[str, Any], connection: Connection):
        self.entity, self.record, self.connection = entity, record, connection
        self.cache: dict[str, Mapping[str, Any] | None] = {}

    def item(self, path: str, due: Any) -> PanelItem | None:
        link, _, name = path.partition(".")
        spec = self.entity.field(link)
        if spec is None:
            return None
        if not name:
            return _item(spec, self.record, due)
        target = registry().entities.get(spec.target or "")
        row = self._row(spec)
        field = target.field(name) if target is not None else None
        if row is None or field is None or name not in row:
            return None
        return _item(field, row, due, prefix=labels().field_label(spec))

    def _row(self, spec: FieldSpec) -> Mapping[str, Any] | None:
        if spec.name not in self.cache:
            value = self.record.get(spec.name)
            self.cache[spec.name] = None
            if isinstance(value, int) and may(spec.target or "", "read"):
                with suppress(RecordError):  # gone, or outside their rows: not shown
                    self.cache[spec.name] = officina().records.get(
                        actor(), spec.target or "", value, connection=self.connection)
        return self.cache[spec.name]


def _item(spec: FieldSpec, row: Mapping[str, Any], due: Any, prefix: str = "") -> PanelItem:
    label = labels().field_label(spec)
    label = f"{prefix}: {label}" if prefix else label
    value = row.get(spec.name)
    if value in (None, ""):
        return PanelItem(label, "—")
    if traits_of(spec).family == "link":
        title = (row.get("_titles") or {}).get(spec.name) or f"#{value}"
        url = record_url(spec.target or "", value) if may(spec.target or "", "read") else None
        return PanelItem(label, str(title), url=url)
    text = display(value, spec)
    extra = badge(spec, value, text) if spec.badges else due(spec, value, row)
    return PanelItem(label, "" if spec.badges and extra else text, extra)


def _related(related: Any, record: Mapping[str, Any],
             connection: Connection) -> list[PanelItem]:
    conditions = related.conditions(record)
    if conditions is None or not may(related.entity, "read"):
        return []
    if record.get("id") is not None:
        conditions.append(["id", "!=", record["id"]])  # not the record being entered
    spec = registry().entity(related.entity)
    try:
        page = officina().records.list(actor(), spec.name, ListQuery(
            filters=conditions, limit=related.limit, sort=("-created_at",)),
            connection=connection)
    except RecordError:
        return []
    items = []
    for row in page.rows:
        parts = [display(row.get(n), spec.field(n)) for n in related.columns
                 if spec.field(n) is not None and n != "ref"]
        items.append(PanelItem(str(row.get("ref") or row["id"]), " · ".join(p for p in parts if p),
                               url=record_url(spec.name, row["id"])))
    return items


SIMILAR_WORDS = 8  # the longest words of the record's text that similar records are found by
MIN_WORD = 4  # shorter words (articles, prepositions) say little about a problem


def similar_records(similar: Any, entity: EntitySpec, record: Mapping[str, Any],
                    connection: Connection | None = None) -> list[PanelItem]:
    """Records like ``record``: each of its longest words searched in the other entity's
    full-text index (through the records service, as the user), a record scoring one point
    per word it has and three per ``boost`` field it shares; best first."""
    if not may(similar.entity, "read"):
        return []
    text = " ".join(str(record.get(name) or "") for name in similar.text)
    words = sorted({w for w in search_terms(text) if len(w) >= MIN_WORD and not w.isdigit()},
                   key=lambda w: (-len(w), w))[:SIMILAR_WORDS]
    if not words:
        return []
    spec = registry().entity(similar.entity)
    wanted = value_conditions(similar.filters)
    if spec.name == entity.name and record.get("id") is not None:
        wanted.append(["id", "!=", record["id"]])  # not the record itself
    title = (spec.title_field,) if spec.title_field else ()
    fields = tuple(dict.fromkeys(["ref", *title, *similar.columns,
                                  *(t for t, _ in similar.boost)]))
    fields = tuple(f for f in fields if f == "ref" or spec.field(f) is not None)
    scores: dict[int, float] = {}
    rows: dict[int, Mapping[str, Any]] = {}
    for word in words:
        try:
            page = officina().records.list(actor(), spec.name, ListQuery(
                filters=wanted or None, search=word, limit=20, fields=fields, count=False),
                connection=connection)
        except RecordError:
            return []
        for row in page.rows:
            rows[row["id"]] = row
            scores[row["id"]] = scores.get(row["id"], 0) + 1
    for record_id, row in rows.items():
        scores[record_id] += 3 * sum(1 for theirs, ours in similar.boost
                                     if record.get(ours) is not None
                                     and row.get(theirs) == record.get(ours))
    best = sorted(rows, key=lambda i: (-scores[i], -i))[:similar.limit]
    items = []
    for record_id in best:
        row = rows[record_id]
        parts = [display(row.get(n), spec.field(n)) for n in similar.columns
                 if spec.field(n) is not None and n != "ref"]
        items.append(PanelItem(str(row.get("ref") or record_id),
                               " · ".join(p for p in parts if p),
                               url=record_url(spec.name, record_id)))
    return items


def render_panel(entity: EntitySpec, shown: Preview | None) -> Markup:
    """The context panel's HTML (empty when the entity declares none)."""
    if not entity.context_panel:
        return Markup("")
    return Markup(render_template(  # noqa: S704 - a template, escaped as it renders
        "form_context_panel.html", entity=entity, preview=shown))
