"""What a rule's actions run with: the ``ActionContext`` and the ports it holds.

An action reaches records only through ``ActionContext.records`` (``core.records.ports``) and
the rules engine only through ``ActionContext.engine`` (``EnginePort``: mail templates,
held-back sets, named actions). The engine builds the context and imports this module and
``actions``; neither imports the engine, so the rules package has no import circle.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.calendar import DEFAULT_CALENDAR, BusinessCalendar, calendar_from_dict
from core.metadata.expressions import FormulaError, compile_formula
from core.metadata.specs import Registry
from core.metadata.timeexpr import parse_duration
from core.records.actor import Actor
from core.records.errors import RecordError
from core.records.events import RecordEvent
from core.records.pending import held_values, pending_mark
from core.records.ports import RecordsPort
from core.records.write_marks import write_mark
from core.records.written import recall, row_of
from core.rules.lookups import PURE_FUNCTIONS, record_functions
from core.rules.mail import MailTemplate
from core.rules.registry_actions import ActionRegistry
from core.storage.tables import Schema


class RuleActionError(RecordError):
    """An action of a rule could not be done; the change that fired it is rolled back."""

    code = "rule"


class EnginePort(Protocol):
    """What actions use of the rules engine that runs them."""

    @property
    def actions(self) -> ActionRegistry:
        """The named actions (``call``)."""
        ...

    def mail_template(self, registry: Registry, name: str) -> MailTemplate:
        """A mail template of the packs."""
        ...

    def write_held(self, ctx: ActionContext, values: dict[str, Any]) -> None:
        """Write the values ``ctx``'s event's ``set`` actions held back, as one update."""
        ...


@dataclass
class ActionContext:
    """Everything an action may use; named actions receive it too."""

    engine: EnginePort
    records: RecordsPort  # records are read and written through this port only
    connection: Connection
    registry: Registry
    schema: Schema
    event: RecordEvent
    rule: str
    actor: Actor
    now: dt.datetime
    calendar: BusinessCalendar
    timezone: str  # the instance's, in which mails show dates
    bindings: dict[str, Any] = field(default_factory=dict)  # names given by ``for_each``
    lines_cache: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    # Shared by the contexts of one run (``for_each`` copies this context): the record and
    # the expression names read at one record-write mark of the connection.
    snapshots: dict[str, tuple[int, Any]] = field(default_factory=dict)

    @property
    def record(self) -> dict[str, Any]:
        """The record as it is now, in this transaction (with the values the event's
        ``set`` actions hold back, ``core.records.pending``)."""
        record = dict(self._stored())
        held = held_values(self.connection, self.event.entity, self.event.record.get("id"))
        if held:
            record.update(held)
        return record

    def _stored(self) -> dict[str, Any]:
        """The record's row, read again only after a record was written on the connection
        (the event's record serves while nothing was written since it was read)."""
        mark = write_mark(self.connection)
        held = self.snapshots.get("row")
        if held is not None and held[0] == mark:
            return held[1]
        table = self.schema.table(self.event.entity)
        event = self.event
        entity = self.registry.entity(event.entity)
        columns = table.c.keys()
        current = row_of(entity, columns, event.record) if event.write_mark == mark else None
        if current is None:  # a copy of the record as this transaction last wrote it
            held = recall(self.connection, event.entity, event.record["id"], copy=False)
            current = row_of(entity, columns, held) if held is not None else None
        if current is None:
            row = self.connection.execute(sa.select(table).where(
                table.c.id == event.record["id"])).first()
            current = dict(row._mapping) if row is not None else dict(event.record)
        self.snapshots["row"] = (mark, current)
        return current

    def _lines(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The lines of the record's table fields as stored now (shared: do not change)."""
        tables = [f.name for f in self.registry.entity(self.event.entity).table_fields]
        if not tables or "id" not in record:
            return {}
        event = self.event
        if event.write_mark == write_mark(self.connection) \
                and all(name in event.record for name in tables):
            return {name: event.record[name] for name in tables}
        held = recall(self.connection, event.entity, record["id"], copy=False)
        if held is not None and all(name in held for name in tables):
            return {name: held[name] for name in tables}  # as this transaction wrote them
        # Lines change only with the record's version: read them once per version.
        key = (self.event.entity, record["id"], record.get("version"))
        if key not in self.lines_cache:
            try:
                whole = self.records.get(self.actor, self.event.entity, record["id"],
                                         connection=self.connection)
            except RecordError:
                whole = {}
            self.lines_cache[key] = {name: whole.get(name, []) for name in tables}
        return self.lines_cache[key]

    def record_with_lines(self) -> dict[str, Any]:
        """The record now, with the lines of its table fields (lists of dicts)."""
        record = self.record
        record.update(copy.deepcopy(self._lines(record)))
        return record

    def expression_context(self) -> dict[str, Any]:
        """The names rule expressions see: built once per record-write mark (expressions
        run in the immutable sandbox, so they share one snapshot), plus ``for_each``'s."""
        mark = (write_mark(self.connection), pending_mark(self.connection))
        held = self.snapshots.get("names")
        if held is None or held[0] != mark:
            record = self.record
            record.update(self._lines(record))
            calendar = self.calendar
            first = {**PURE_FUNCTIONS, **record_functions(self)}
            last = {
                "record": record, "old": dict(self.event.old or {}),
                "user": self.event.actor.username, "now": self.now, "today": self.now.date(),
                "duration": parse_duration,
                "add_working_time": lambda start, amount, calendar_name=None:
                    self.calendar_named(calendar_name).add_working_time(
                        start, working_amount(amount)),
                "working_time_between": lambda a, b, calendar_name=None: self.calendar_named(
                    calendar_name).working_time_between(a, b),
                "local_time": lambda day, clock="00:00": local_time(day, clock,
                                                                    calendar.timezone),
            }
            held = (mark, (first, last))
            self.snapshots["names"] = held
        first, last = held[1]
        return {**first, **self.bindings, **last} if self.bindings else {**first, **last}

    def calendar_named(self, name: str | None) -> BusinessCalendar:
        """The calendar called ``name`` (the workflow's when empty); unknown names fail."""
        if not name:
            return self.calendar
        if name not in self.registry.calendars:
            raise RuleActionError(f"rule {self.rule}: no calendar '{name}'")
        return load_calendar(self.registry, name)

    def value(self, raw: Any, context: dict[str, Any] | None = None) -> Any:
        """A literal, or the result of ``"= expression"`` in the sandbox (``raw`` may be a
        mapping or list of them, evaluated against one snapshot of the record)."""
        if isinstance(raw, str) and raw.startswith("="):
            try:
                return compile_formula(raw[1:].strip())(
                    context if context is not None else self.expression_context())
            except FormulaError as exc:
                raise RuleActionError(f"rule {self.rule}: {exc}") from None
        if isinstance(raw, dict | list) and context is None and _has_expression(raw):
            context = self.expression_context()
        if isinstance(raw, dict):
            return {k: self.value(v, context) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.value(v, context) for v in raw]
        return raw


def working_amount(amount: Any) -> dt.timedelta:
    """A working duration: ``'4h'``, a ``timedelta``, or a number of hours."""
    if isinstance(amount, dt.timedelta):
        return amount
    if isinstance(amount, str):
        return parse_duration(amount)
    return dt.timedelta(hours=float(amount))


def local_time(day: dt.date, clock: str, timezone: str) -> dt.datetime:
    """The naive UTC moment of ``clock`` (``HH:MM``) on ``day`` in ``timezone``."""
    hour, _, minute = clock.partition(":")
    moment = dt.datetime.combine(day if not isinstance(day, dt.datetime) else day.date(),
                                 dt.time(int(hour), int(minute or 0)),
                                 tzinfo=ZoneInfo(timezone))
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _has_expression(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.startswith("=")
    if isinstance(raw, dict):
        return any(_has_expression(v) for v in raw.values())
    if isinstance(raw, list):
        return any(_has_expression(v) for v in raw)
    return False


_CALENDARS: dict[tuple[int, str], tuple[Registry, BusinessCalendar]] = {}


def load_calendar(registry: Registry, name: str | None) -> BusinessCalendar:
    """The named calendar of the registry, or the default one (built once per registry:
    calendars are immutable)."""
    if not name or name not in registry.calendars:
        return DEFAULT_CALENDAR
    found = _CALENDARS.get((id(registry), name))
    if found is None or found[0] is not registry:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        found = _CALENDARS[(id(registry), name)] = (
            registry, calendar_from_dict(registry.calendars[name].data))
    return found[1]


