"""Form values the records service receives: a new line's empty field with a dynamic default
($today, $now, $user) is left to that default; an untouched date and time keeps its seconds."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel import Locale

from core.metadata.loader import BUILTIN_PACKS, read_packs
from core.metadata.registry import build_registry
from core.ui.form_fields import FormContext
from core.ui.form_state import FormAccess, FormState, Line, _parse_line, parse_state

TIMESHEET_LINE = build_registry(read_packs(["service"], [BUILTIN_PACKS])).entity("timesheet_line")
CTX = FormContext(locale=Locale.parse("it"), timezone="Europe/Rome", gettext=lambda s, **k: s)


def test_an_empty_date_on_a_new_line_is_left_to_its_default():
    errors: dict[str, list[str]] = {}
    values = _parse_line(TIMESHEET_LINE, Line(shown={"work_date": "", "normal_hours": "2"}),
                         "timesheet.0.", CTX, errors)
    assert errors == {}
    assert "work_date" not in values  # the records service fills in $today
    assert values["normal_hours"] == 2


def test_a_typed_date_and_a_stored_lines_empty_date_are_kept_as_given():
    errors: dict[str, list[str]] = {}
    typed = _parse_line(TIMESHEET_LINE, Line(shown={"work_date": "2026-11-20"}),
                        "timesheet.0.", CTX, errors)
    assert typed["work_date"] == "2026-11-20"
    stored = _parse_line(TIMESHEET_LINE, Line(id=7, shown={"work_date": ""}), "timesheet.0.",
                         CTX, errors)
    assert stored["work_date"] is None and stored["id"] == 7


def test_an_untouched_date_and_time_keeps_its_seconds():
    intervention = build_registry(read_packs(["service"], [BUILTIN_PACKS])).entity("intervention")
    stored = {"started_at": dt.datetime(2026, 11, 24, 9, 57, 42), "version": 3}
    access = FormAccess(readable=frozenset({"started_at", "finished_at"}),
                        editable=frozenset({"started_at", "finished_at"}))
    untouched = FormState(shown={"started_at": "2026-11-24T10:57", "finished_at": ""},
                          stored=stored, version=3)
    values, errors = parse_state(intervention, untouched, access, {}, CTX)
    assert errors == {} and "started_at" not in values and values["finished_at"] is None
    changed = FormState(shown={"started_at": "2026-11-24T11:05"}, stored=stored, version=3)
    values, _ = parse_state(intervention, changed, access, {}, CTX)
    assert values["started_at"] == dt.datetime(2026, 11, 24, 11, 5,
                                               tzinfo=ZoneInfo("Europe/Rome"))
