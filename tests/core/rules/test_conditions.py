"""More triggers, comparisons and the named-action entry point."""

from __future__ import annotations

import datetime as dt

import pytest

from core.records.actor import SYSTEM, Actor
from core.rules.actions import RuleActionError
from tests.core.rules.conftest import AGENT, COORDINATOR, RulesEnv


def ticket(env: RulesEnv, **values) -> dict:
    return env.service.create(AGENT, "ticket", {"subject": "Printer jam", **values})


def edit(env: RulesEnv, record: dict, actor=AGENT, **values) -> dict:
    return env.service.update(actor, "ticket", record["id"], {**values,
                                                              "version": record["version"]})


def test_transition_trigger_fires_for_its_transition_only(helpdesk: RulesEnv) -> None:
    record = ticket(helpdesk, assignee="aldo")
    for name in ("assign", "start"):
        record = helpdesk.service.transition(AGENT, "ticket", record["id"], name)
    assert not helpdesk.rows("officina_notification", username="aldo")
    helpdesk.service.transition(AGENT, "ticket", record["id"], "wait")
    assert [n["message"] for n in helpdesk.rows("officina_notification", username="aldo")] == [
        "Waiting for the customer"]


def test_changed_field_and_the_acting_users_name(helpdesk: RulesEnv) -> None:
    record = ticket(helpdesk)
    record = edit(helpdesk, record, assignee="aldo")  # by Aldo: no notice
    assert not helpdesk.rows("officina_notification", username="aldo")
    record = edit(helpdesk, record, actor=COORDINATOR, notes="same assignee")  # not changed
    assert not helpdesk.rows("officina_notification", username="aldo")
    record = edit(helpdesk, record, actor=COORDINATOR, assignee="cora")
    edit(helpdesk, record, actor=COORDINATOR, assignee="aldo")
    assert [n["message"] for n in helpdesk.rows("officina_notification", username="aldo")] == [
        "Assigned to you by Cora"]


def test_relative_time_after(helpdesk: RulesEnv) -> None:
    fresh = ticket(helpdesk)
    assert edit(helpdesk, fresh, notes="check-after")["score"] == 5
    old = ticket(helpdesk, opened_at="2026-11-20T10:00:00")  # three hours before "now"
    assert edit(helpdesk, old, notes="check-after")["score"] == 0


@pytest.mark.parametrize("score, escalated", [(10, False), (11, True), (20, True), (21, False)])
def test_numeric_ranges(helpdesk: RulesEnv, score: int, escalated: bool) -> None:
    record = ticket(helpdesk, score=score)
    assert edit(helpdesk, record, notes="range")["escalated"] is escalated


def test_is_empty(helpdesk: RulesEnv) -> None:
    assert edit(helpdesk, ticket(helpdesk), notes="empty")["score"] == 42
    assert edit(helpdesk, ticket(helpdesk, assignee="aldo"), notes="empty")["score"] == 0


def test_named_actions_registered_by_a_pack(helpdesk: RulesEnv) -> None:
    calls: list[dict] = []

    def bump(ctx, by: int) -> dict:
        calls.append({"record": ctx.record["ref"], "by": by, "rule": ctx.rule})
        return {"score": ctx.record["score"] + by}

    record = ticket(helpdesk, score=1)
    with pytest.raises(RuleActionError, match=r"no action .helpdesk\.bump. is registered"):
        edit(helpdesk, record, notes="call")
    helpdesk.engine.actions.register("helpdesk.bump", bump)
    assert edit(helpdesk, record, notes="call")["score"] == 4
    assert calls == [{"record": record["ref"], "by": 3, "rule": "extras.named_action"}]
    with pytest.raises(ValueError, match="already registered"):
        helpdesk.engine.actions.register("helpdesk.bump", bump)


def test_timers_relative_to_an_empty_date_are_not_started(helpdesk: RulesEnv) -> None:
    record = ticket(helpdesk)
    rules = Actor("rule:test", frozenset({"admin"}), trusted=True)  # the rules fill due_at
    helpdesk.service.update(rules, "ticket", record["id"], {"due_at": None, "version": 2})
    timers = helpdesk.rows("officina_timer", record_id=record["id"])
    assert {t["name"] for t in timers} == {"warn", "late"}  # from creation, when due_at was set
    assert all(t["due_at"] > dt.datetime(2026, 11, 20) for t in timers)


def test_a_rule_whose_condition_holds_two_ways_fires_once(helpdesk: RulesEnv) -> None:
    critical = helpdesk.service.create(SYSTEM, "product", {"title": "Chiller",
                                                            "critical": True})
    ticket(helpdesk, priority="urgent", product=critical["id"])  # both branches of the "any"
    assert len(helpdesk.service.list(SYSTEM, "task").rows) == 1
    assert [n["message"] for n in helpdesk.rows("officina_notification")] == ["Ticket urgente"]


def test_what_a_named_action_returns_is_stored_as_data_not_run(helpdesk: RulesEnv) -> None:
    """A Python action that copies a user's text back must not make it an expression."""
    helpdesk.engine.actions.register("helpdesk.bump", lambda ctx, by: {
        "subject": "= find('ticket') | length", "score": by})
    stored = edit(helpdesk, ticket(helpdesk, score=1), notes="call")
    assert (stored["subject"], stored["score"]) == ("= find('ticket') | length", 3)
