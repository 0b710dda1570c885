"""The timeline of a record's detail page: its audit trail and rule firings, for display.

Entries come from ``RecordsService.history`` (which leaves out what the user may not see);
this module only formats them: field labels, old and new values for the locale, times in
the instance's time zone, links shown with their target's title when the user may read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.formatting import format_datetime
from core.metadata.field_types import field_type_of, traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import RecordError
from core.records.reading import ListQuery
from core.ui.context import actor, labels, locale, officina, registry
from core.ui.detail import file_name, may
from core.ui.jinja_helpers import display

MAX_ENTRIES = 200


@dataclass(frozen=True)
class Change:
    """One changed field: its label and the old and new values as text."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    kind: str  # create, update, delete, rule
    when: str
    username: str
    changes: tuple[Change, ...] = ()
    table: str | None = None  # the child table's label, for lines
    rule: str | None = None
    event: str | None = None
    result: str | None = None
    detail: str | None = None


def _typed(text: str, spec: FieldSpec) -> Any:
    """An audit text back in the field's Python type, for ``display``."""
    return field_type_of(spec).value_of_text(text)


class _Titles:
    """Titles of linked records, one query per target entity, only those the user may read."""

    def __init__(self) -> None:
        self.cache: dict[str, dict[int, str]] = {}

    def load(self, target: str, ids: Iterable[int]) -> None:
        wanted = sorted(set(ids) - set(self.cache.get(target, {})))
        found = self.cache.setdefault(target, {})
        spec = registry().entities.get(target)
        if not wanted or spec is None or spec.is_child or not may(target, "read"):
            return
        fields = ("ref",) + ((spec.title_field,) if spec.title_field else ())
        try:
            page = officina().records.list(actor(), target, ListQuery(
                filters=[["id", "in", wanted]], fields=fields, limit=len(wanted)))
        except RecordError:  # e.g. a title field hidden from the user
            page = officina().records.list(actor(), target, ListQuery(
                filters=[["id", "in", wanted]], fields=("ref",), limit=len(wanted)))
        for row in page.rows:
            title = row.get(spec.title_field) if spec.title_field else None
            found[int(row["id"])] = str(title or row.get("ref") or row["id"])

    def get(self, target: str, record_id: int) -> str | None:
        return self.cache.get(target, {}).get(record_id)


def _value(text: str | None, spec: FieldSpec | None, titles: _Titles) -> str:
    if text is None or text == "":
        return "—"
    if spec is None:
        return text
    kind = traits_of(spec)
    if kind.file:
        return file_name(text)
    if kind.family == "link" and text.isdigit():
        return titles.get(spec.target or "", int(text)) or f"#{text}"
    try:
        return display(_typed(text, spec), spec)
    except (ValueError, ArithmeticError, TypeError):
        return text


def timeline(entity: EntitySpec, record_id: int) -> list[Event] | None:
    """The record's history as timeline events, newest first; None when the records service
    cannot give one."""
    entries = officina().records.history(actor(), entity.name, record_id)[:MAX_ENTRIES]
    reg = registry()
    titles = _Titles()
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        spec_of = reg.entities.get(entry.entity)
        for change in entry.changes:
            spec = spec_of.field(change.field) if spec_of else None
            if spec is not None and traits_of(spec).family == "link":
                for text in (change.old, change.new):
                    if text and text.isdigit():
                        wanted.setdefault(spec.target or "", set()).add(int(text))
    for target, ids in wanted.items():
        titles.load(target, ids)
    tz = officina().settings.timezone
    events = []
    for entry in entries:
        owner = reg.entities.get(entry.entity)
        changes = []
        for change in entry.changes:
            spec = owner.field(change.field) if owner else None
            label = labels().field_label(spec) if spec else change.field
            changes.append(Change(label, _value(change.old, spec, titles),
                                  _value(change.new, spec, titles)))
        table = None
        if entry.table:
            table_spec = entity.field(entry.table)
            table = labels().field_label(table_spec) if table_spec else entry.table
        events.append(Event(kind=entry.action, when=format_datetime(entry.at, locale(), tz),
                            username=entry.username, changes=tuple(changes), table=table,
                            rule=entry.rule, event=entry.event, result=entry.result,
                            detail=entry.detail))
    return events
