"""A new child line left empty where the field has a dynamic default ($today, $now, $user)
is saved with that default, as a new record's field would be; a typed value wins."""

from __future__ import annotations

from babel import Locale

from core.metadata.loader import BUILTIN_PACKS, read_packs
from core.metadata.registry import build_registry
from core.ui.form_fields import FormContext
from core.ui.form_state import Line, _parse_line

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
