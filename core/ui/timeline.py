"""The timeline of a record's detail page: its audit trail, and for administrators the rules
that ran on it, for display.

Entries come from ``RecordsService.history`` (which leaves out what the user may not see);
this module only formats them for people: who by their full name, field labels, old and new
values for the locale, times in the instance's time zone, links shown with their target's
title when the user may read it, a change of the workflow's state as the transition it was
("Confirm: Provisional → Confirmed"), and a rule by its label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.formatting import format_datetime
from core.i18n import _
from core.metadata.field_types import field_type_of, traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import RecordError
from core.records.reading import ListQuery
from core.ui.context import actor, gettext, labels, locale, officina, registry
from core.ui.detail import file_name, may
from core.ui.jinja_helpers import display
from core.users import full_names

MAX_ENTRIES = 200
RULE_ACTOR_PREFIX = "rule:"  # how the audit names the changes rules make (rule:workflow...)
# What started a rule, and how it ended, as an administrator reads them.
RULE_EVENTS = {"created": _("created"), "updated": _("updated"), "deleted": _("deleted"),
               "transition": _("transition"), "timer": _("timer"),
               "schedule": _("schedule"), "event": _("event")}
RULE_RESULTS = {"done": _("done"), "failed": _("failed")}


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
    username: str  # who, by their full name when the account has one
    changes: tuple[Change, ...] = ()
    transition: Change | None = None  # a move of the state: its label, the old and new state
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
    with officina().database.read() as connection:
        names = full_names(connection, (entry.username for entry in entries))
    machine = reg.state_machine(entity.name)
    events = []
    for entry in entries:
        owner = reg.entities.get(entry.entity)
        changes, moved = [], None
        for change in entry.changes:
            spec = owner.field(change.field) if owner else None
            if machine is not None and owner is entity and change.field == machine.field \
                    and entry.action == "update":
                moved = _transition(machine, change.old, change.new, spec, titles)
                continue
            label = labels().field_label(spec) if spec else change.field
            changes.append(Change(label, _value(change.old, spec, titles),
                                  _value(change.new, spec, titles)))
        table = None
        if entry.table:
            table_spec = entity.field(entry.table)
            table = labels().field_label(table_spec) if table_spec else entry.table
        events.append(Event(kind=entry.action, when=format_datetime(entry.at, locale(), tz),
                            username=_who(entry.username, names),
                            changes=tuple(changes), transition=moved, table=table,
                            rule=_rule_label(entry.rule) if entry.rule else None,
                            event=_said(RULE_EVENTS, entry.event),
                            result=_said(RULE_RESULTS, entry.result), detail=entry.detail))
    return events


def _who(username: str, names: dict[str, str]) -> str:
    """Who made a change: the user's full name; a change a rule made reads "Automatic"."""
    if username.startswith(RULE_ACTOR_PREFIX):
        return gettext(_("Automatic"))
    return names.get(username, username)


def _said(words: dict[str, str], value: str | None) -> str | None:
    return gettext(words[value]) if value in words else value


def _transition(machine: Any, old: str | None, new: str | None, spec: FieldSpec | None,
                titles: _Titles) -> Change:
    """A change of the state as the transition that makes it (its label), else as a move."""
    move = next((t for t in machine.transitions if t.target == new and old in t.sources), None)
    return Change(labels().gettext(move.label) if move is not None else "",
                  _value(old, spec, titles), _value(new, spec, titles))


def _rule_label(qualified: str) -> str:
    """A rule (``workflow.rule``) under its workflow's label: "Call intake: first_intervention"."""
    workflow_name, _, rule_name = qualified.partition(".")
    workflow = registry().workflows.get(workflow_name)
    if workflow is None or not rule_name:
        return qualified
    return f"{labels().gettext(workflow.label or workflow.name)}: {rule_name}"
