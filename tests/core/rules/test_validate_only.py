"""``SaveOptions(validate_only=True)``: the checks of a save without the save, on the
helpdesk pack with its rules attached: nothing is written, numbered, audited or fired."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.records.actor import SYSTEM
from core.records.errors import Conflict, RecordValidationError
from core.records.options import VALIDATE_ONLY
from tests.core.rules.conftest import AGENT, RulesEnv

WRITTEN = ("officina_audit", "officina_timer", "officina_outbox", "officina_notification",
           "officina_rule_log")


def _everything_written(env: RulesEnv) -> dict[str, list[dict]]:
    tickets = env.service.list(SYSTEM, "ticket").rows
    tasks = env.service.list(SYSTEM, "task").rows
    series = env.schema.system["officina_naming_series"]
    with env.database.read() as connection:
        counters = sorted(tuple(row) for row in connection.execute(sa.select(series)))
    return {"ticket": tickets, "task": tasks, "series": counters,
            **{name: env.rows(name) for name in WRITTEN}}


def test_a_new_record_validated_only_is_returned_and_nothing_is_written(
        helpdesk: RulesEnv) -> None:
    before = _everything_written(helpdesk)
    record = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer on fire",
                                                       "priority": "urgent"},
                                     options=VALIDATE_ONLY)
    assert record["subject"] == "Printer on fire" and record["priority"] == "urgent"
    assert record["status"] == "new" and "ref" not in record  # no number taken
    assert _everything_written(helpdesk) == before
    # The naming series was not moved on: the first ticket saved is still number one.
    saved = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer on fire",
                                                      "priority": "urgent"})
    assert saved["ref"] == "TCK-00001"


def test_validating_a_new_record_gives_the_errors_saving_it_gives(helpdesk: RulesEnv) -> None:
    data = {"subject": "", "customer_email": "not an address", "priority": "soon",
            "status": "closed"}
    with pytest.raises(RecordValidationError) as checked:
        helpdesk.service.create(AGENT, "ticket", data, options=VALIDATE_ONLY)
    with pytest.raises(RecordValidationError) as saved:
        helpdesk.service.create(AGENT, "ticket", data)
    assert checked.value.message == saved.value.message
    assert checked.value.field_errors == saved.value.field_errors
    assert set(checked.value.field_errors) == {"subject", "customer_email", "priority"}
    assert _everything_written(helpdesk)["ticket"] == []


def test_an_update_validated_only_changes_nothing_and_fires_nothing(
        helpdesk: RulesEnv) -> None:
    ticket = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam"})
    before = _everything_written(helpdesk)
    record = helpdesk.service.update(AGENT, "ticket", ticket["id"], {"priority": "urgent"},
                                     version=ticket["version"], options=VALIDATE_ONLY)
    assert record["priority"] == "urgent" and record["ref"] == ticket["ref"]
    assert _everything_written(helpdesk) == before  # no version, audit or notification
    assert helpdesk.service.get(AGENT, "ticket", ticket["id"])["priority"] == "normal"


def test_validating_an_update_refuses_what_saving_it_refuses(helpdesk: RulesEnv) -> None:
    ticket = helpdesk.service.create(AGENT, "ticket", {"subject": "Printer jam"})
    for data in ({"status": "closed"}, {"subject": "x" * 200, "score": "many"}):
        with pytest.raises(RecordValidationError) as checked:
            helpdesk.service.update(AGENT, "ticket", ticket["id"], data,
                                    version=ticket["version"], options=VALIDATE_ONLY)
        with pytest.raises(RecordValidationError) as saved:
            helpdesk.service.update(AGENT, "ticket", ticket["id"], data,
                                    version=ticket["version"])
        assert checked.value.message == saved.value.message
        assert checked.value.field_errors == saved.value.field_errors != {}
    with pytest.raises(Conflict):
        helpdesk.service.update(AGENT, "ticket", ticket["id"], {"priority": "low"},
                                version=ticket["version"] + 1, options=VALIDATE_ONLY)
