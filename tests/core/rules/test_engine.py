"""Workflows at work: triggers, conditions, actions, state machines, rollback and cascades."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.records.actor import SYSTEM
from core.records.errors import PermissionDenied, RecordValidationError
from core.rules.actions import RuleActionError, RuleRefused
from core.rules.engine import RuleLoopError
from tests.core.rules.conftest import AGENT, COORDINATOR, RulesEnv


def new_ticket(env: RulesEnv, **values) -> dict:
    return env.service.create(AGENT, "ticket", {"subject": "Printer jam", **values})


def test_created_rule_sets_deadline_in_working_hours_and_starts_timers(helpdesk: RulesEnv):
    ticket = new_ticket(helpdesk)
    # Opened Friday 14:00 Rome; 4 working hours (08-12, 13-17): 3 on Friday, 1 on Monday,
    # so Monday 09:00 Rome = 08:00 UTC.
    assert ticket["opened_at"] == dt.datetime(2026, 11, 20, 13, 0)
    assert ticket["due_at"] == dt.datetime(2026, 11, 23, 8, 0)
    timers = {t["name"]: t for t in helpdesk.rows("officina_timer", record_id=ticket["id"])}
    assert timers["late"]["due_at"] == dt.datetime(2026, 11, 23, 8, 0)
    # 30 working minutes before Monday 09:00 is Monday 08:30 Rome
    assert timers["warn"]["due_at"] == dt.datetime(2026, 11, 23, 7, 30)
    assert {t["status"] for t in timers.values()} == {"pending"}
    log = helpdesk.rows("officina_rule_log", record_id=ticket["id"])
    assert [r["rule"] for r in log] == ["ticket_flow.deadline"]
    assert log[0]["username"] == "aldo" and log[0]["result"] == "done"


def test_condition_on_a_linked_record_creates_a_record_and_notifies_a_role(
        helpdesk: RulesEnv) -> None:
    plain = helpdesk.service.create(SYSTEM, "product", {"title": "Toner"})
    critical = helpdesk.service.create(SYSTEM, "product", {"title": "Chiller",
                                                            "critical": True})
    new_ticket(helpdesk, product=plain["id"])
    ticket = new_ticket(helpdesk, subject="Chiller down", product=critical["id"])
    tasks = helpdesk.service.list(SYSTEM, "task").rows
    assert [(t["ticket"], t["title"]) for t in tasks] == [(ticket["id"],
                                                           "Call back: Chiller down")]
    notices = helpdesk.rows("officina_notification", username="cora")
    assert [n["message"] for n in notices] == ["Ticket urgente"]  # in Cora's language
    task = helpdesk.service.get(SYSTEM, "task", tasks[0]["id"])
    assert task["created_by"] == "rule:ticket_flow.urgent_task"


def test_rules_cascade_a_set_fires_the_updated_rule(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk, subject="Smoke and fire in room 2")
    assert ticket["priority"] == "urgent"
    fired = {r["rule"] for r in helpdesk.rows("officina_rule_log", record_id=ticket["id"])}
    assert {"ticket_flow.fire_means_urgent", "ticket_flow.escalate_to_urgent"} <= fired
    assert [n["message"] for n in helpdesk.rows("officina_notification")] == [
        "Ticket became urgent"]


def test_updated_rule_looks_at_previous_values_and_changed_fields(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk, priority="urgent")
    helpdesk.rows("officina_notification")  # the urgent-task notice
    before = len(helpdesk.rows("officina_notification"))
    helpdesk.service.update(AGENT, "ticket", ticket["id"], {"notes": "x", "version": 2})
    assert len(helpdesk.rows("officina_notification")) == before  # priority unchanged
    low = new_ticket(helpdesk, priority="low")
    helpdesk.service.update(AGENT, "ticket", low["id"], {"priority": "urgent",
                                                         "version": low["version"]})
    assert helpdesk.rows("officina_notification")[-1]["message"] == "Ticket became urgent"


def test_a_loop_is_stopped_at_the_depth_limit_and_nothing_is_saved(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk)
    with pytest.raises(RuleLoopError) as loop:
        helpdesk.service.update(AGENT, "ticket", ticket["id"], {"notes": "loop", "score": 1,
                                                                "version": ticket["version"]})
    assert "ticket_flow.loop → ticket_flow.loop" in loop.value.message
    again = helpdesk.service.get(SYSTEM, "ticket", ticket["id"])
    assert (again["score"], again["notes"], again["version"]) == (0, None, ticket["version"])


def test_a_failing_action_rolls_the_change_back_and_says_why(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk)
    audit_before = len(helpdesk.rows("officina_audit"))
    with pytest.raises(RuleActionError) as failed:
        helpdesk.service.update(AGENT, "ticket", ticket["id"], {"notes": "break",
                                                                "version": ticket["version"]})
    assert "ticket_flow.broken_formula" in failed.value.message
    assert helpdesk.service.get(SYSTEM, "ticket", ticket["id"])["notes"] is None
    assert len(helpdesk.rows("officina_audit")) == audit_before


def test_refuse_action_and_conditions_on_the_acting_user(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk)
    with pytest.raises(RuleRefused) as refused:
        helpdesk.service.update(AGENT, "ticket", ticket["id"], {"notes": "forbidden words",
                                                                "version": ticket["version"]})
    assert refused.value.message == "Solo i coordinatori possono."  # Aldo reads Italian
    updated = helpdesk.service.update(COORDINATOR, "ticket", ticket["id"], {
        "notes": "forbidden words", "version": ticket["version"]})
    assert updated["notes"] == "forbidden words"


def test_state_machine_guards_roles_and_illegal_moves(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk)
    with pytest.raises(RecordValidationError) as guarded:
        helpdesk.service.transition(AGENT, "ticket", ticket["id"], "assign")
    assert "conditions are not met" in guarded.value.message or "condizioni" in \
        guarded.value.message
    ticket = helpdesk.service.update(AGENT, "ticket", ticket["id"], {
        "assignee": "aldo", "version": ticket["version"]})
    ticket = helpdesk.service.transition(AGENT, "ticket", ticket["id"], "assign")
    assert ticket["status"] == "assigned"
    with pytest.raises(RecordValidationError) as illegal:
        helpdesk.service.update(SYSTEM, "ticket", ticket["id"], {"status": "closed",
                                                                  "version": ticket["version"]})
    assert 'Cannot go from "Assigned" to "Closed"' in illegal.value.message
    assert "Start (→ in_progress)" not in illegal.value.message
    assert "start (→ In progress)" in illegal.value.message
    ticket = helpdesk.service.update(AGENT, "ticket", ticket["id"], {
        "status": "in_progress", "version": ticket["version"]})  # a plain edit is a transition
    ticket = helpdesk.service.transition(AGENT, "ticket", ticket["id"], "resolve")
    assert ticket["resolved_at"] == helpdesk.clock.now  # on_enter of resolved
    late = helpdesk.rows("officina_timer", record_id=ticket["id"], name="late")
    assert late[0]["status"] == "cancelled"  # the transition's own action
    with pytest.raises(PermissionDenied) as denied:
        helpdesk.service.transition(AGENT, "ticket", ticket["id"], "close")
    assert "coordinator" in denied.value.message
    closed = helpdesk.service.transition(COORDINATOR, "ticket", ticket["id"], "close")
    assert closed["status"] == "closed"


def test_new_records_start_in_the_initial_state(helpdesk: RulesEnv) -> None:
    with pytest.raises(RecordValidationError) as refused:
        new_ticket(helpdesk, status="resolved")
    assert refused.value.field_errors == {"status": ['Deve essere "New" alla creazione.']}


def test_named_event_triggers_a_transition(helpdesk: RulesEnv) -> None:
    from core.records.events import RecordEvent

    ticket = new_ticket(helpdesk, assignee="aldo")
    for name in ("assign", "start", "wait"):
        ticket = helpdesk.service.transition(AGENT, "ticket", ticket["id"], name)
    with helpdesk.database.write() as connection:
        helpdesk.engine.emit(connection, RecordEvent("event", "ticket", ticket, AGENT,
                                                     name="customer_replied"))
    assert helpdesk.service.get(SYSTEM, "ticket", ticket["id"])["status"] == "in_progress"


def test_deleted_rule_writes_to_the_outbox_in_the_same_transaction(helpdesk: RulesEnv) -> None:
    ticket = new_ticket(helpdesk)
    helpdesk.service.delete(COORDINATOR, "ticket", ticket["id"])
    [row] = helpdesk.rows("officina_outbox", kind="webhook")
    payload = json.loads(row["payload"])
    assert payload["url"] == "http://127.0.0.1:9/deleted"
    assert payload["payload"]["record"]["subject"] == "Printer jam"
    assert row["status"] == "pending" and row["rule"] == "ticket_flow.goodbye"


def test_explain_lists_the_rules_an_event_would_fire(helpdesk: RulesEnv) -> None:
    from core.records.events import RecordEvent

    ticket = new_ticket(helpdesk)
    with helpdesk.database.read() as connection:
        firings = helpdesk.engine.firings(connection, RecordEvent(
            "created", "ticket", {**ticket, "priority": "urgent"}, AGENT))
    assert [f.rule for f in firings] == ["ticket_flow.deadline", "ticket_flow.urgent_task"]
    assert firings[1].location.endswith("ticket_flow.yaml:31")  # where the rule is written


def test_a_workflow_edited_in_the_database_applies_everywhere_without_restart(
        helpdesk: RulesEnv, database_url: str, packs_dir) -> None:
    from tests.core.rules.conftest import open_rules_env

    other = open_rules_env(database_url, packs_dir, helpdesk.clock)  # another process
    assert new_ticket(other, subject="Toner")["score"] == 0
    edited = (packs_dir / "helpdesk" / "workflows" / "extras.yaml").read_text() + """
  - name: toner_scores
    on: created
    when: {field: subject, contains: toner}
    do:
      - set: {score: 7}
"""
    loaded = helpdesk.store.save_workflow("admin", "extras", edited)
    assert loaded.registry.version == 1
    assert new_ticket(other, subject="Toner again")["score"] == 7
    with pytest.raises(Exception, match="unknown field 'colour'"):
        helpdesk.store.save_workflow("admin", "extras", edited.replace("subject, contains",
                                                                       "colour, contains"))
    assert helpdesk.store.current().registry.version == 1  # the bad one changed nothing
    helpdesk.store.save_workflow("admin", "extras", None)
    assert new_ticket(other, subject="Toner once more")["score"] == 0
    other.database.dispose()


def test_rules_set_read_only_fields_that_users_cannot(helpdesk: RulesEnv) -> None:
    record = new_ticket(helpdesk, assignee="aldo")
    with pytest.raises(RecordValidationError) as refused:
        helpdesk.service.update(AGENT, "ticket", record["id"], {
            "resolved_at": "2026-11-20T12:00:00", "version": record["version"]})
    assert list(refused.value.field_errors) == ["resolved_at"]
    for name in ("assign", "start", "resolve"):
        record = helpdesk.service.transition(AGENT, "ticket", record["id"], name)
    assert record["resolved_at"] == helpdesk.clock.now  # set by the on_enter rule
