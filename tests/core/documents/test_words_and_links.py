"""Values documents print in words (recurrence rules, durations) and links that are empty."""

from __future__ import annotations

import pytest

from core.documents.values import Duration, Formatter
from core.officina import Officina
from core.records.actor import SYSTEM
from tests.core.documents.conftest import ADMIN
from tests.core.documents.docx_files import body_text, docx_with


@pytest.mark.parametrize(("rule", "english", "italian"), [
    ("FREQ=MONTHLY;INTERVAL=6", "every 6 months", "ogni 6 mesi"),
    ("RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "every week, on Monday and Wednesday",
     "ogni settimana, di lunedì e mercoledì"),
    ("FREQ=MONTHLY;BYDAY=1SU", "every month, on the first Sunday",
     "ogni mese, la prima domenica"),
    ("FREQ=MONTHLY;BYDAY=-1FR", "every month, on the last Friday",
     "ogni mese, l'ultimo venerdì"),
    ("FREQ=YEARLY;BYMONTH=3,9;BYMONTHDAY=1", "every year, in March and September, on day 1",
     "ogni anno, a marzo e settembre, il giorno 1"),
    ("FREQ=DAILY;INTERVAL=10;COUNT=5", "every 10 days, 5 times", "ogni 10 giorni, 5 volte"),
    ("FREQ=WEEKLY;UNTIL=20271231T000000Z", "every week, until Dec 31, 2027",
     "ogni settimana, fino al 31/12/2027"),
])
def test_recurrence_in_words(rule: str, english: str, italian: str) -> None:
    assert Formatter("en").recurrence(rule) == english
    assert Formatter("it").recurrence(rule) == italian


@pytest.mark.parametrize("rule", ["FREQ=MONTHLY;BYSETPOS=1", "FREQ=SECONDLY", "every week",
                                  "FREQ=DAILY;INTERVAL=0", "FREQ=WEEKLY;BYDAY=XX",
                                  "FREQ=YEARLY;BYMONTH=13"])
def test_a_rule_it_cannot_describe_prints_as_written(rule: str) -> None:
    assert Formatter("it").recurrence(rule) == rule


def test_durations_print_as_hours_and_minutes() -> None:
    formatter = Formatter("it")
    assert formatter.show(Duration(5400)) == "1:30 h"
    assert formatter.duration(Duration(3600) + Duration(1800)) == "1:30 h"
    assert formatter.duration(None) == ""


def test_an_empty_link_is_empty_all_the_way(officina: Officina) -> None:
    officina.documents.upload(ADMIN, "job", "slip", "en", docx_with(
        "Customer: {{ record.machine.customer.name }}.",
        "{% if record.machine %}machine{% else %}no machine{% endif %}",
        "Who: {{ record.machine.customer or 'nobody' }}"))
    job = officina.records.create(SYSTEM, "job", {"subject": "Phone call"})
    text = body_text(officina.documents.render(ADMIN, "job", job["id"], "slip").data)
    assert text == "Customer: .\nno machine\nWho: nobody"


def test_a_set_link_still_reads_through(officina: Officina, job: dict) -> None:
    officina.documents.upload(ADMIN, "job", "slip", "en", docx_with(
        "{% if record.machine %}{{ record.machine.customer.name }}{% endif %}"))
    text = body_text(officina.documents.render(ADMIN, "job", job["id"], "slip").data)
    assert text == "Rossi & Figli"
