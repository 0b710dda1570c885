"""What the web UI asks the records service: can, require, field_access and history."""

from __future__ import annotations

import re

import pytest

from core.records.actor import SYSTEM, Actor
from core.records.errors import NotFound, PermissionDenied, QueryError
from core.records.permissions import FieldAccess
from core.reports import run_report
from tests.conftest import Env
from tests.core.records.permissions_support import ANNA, AUDITOR, BRUNO, OFFICE, PLANNER


def test_can_answers_for_every_action_including_export(dispatch: Env) -> None:
    service = dispatch.service
    assert service.can(OFFICE, "intervention", "export")
    assert service.can(AUDITOR, "intervention", "export")
    assert not service.can(ANNA, "intervention", "export")
    assert service.can(ANNA, "intervention", "update")
    assert not service.can(ANNA, "intervention", "delete")
    assert not service.can(ANNA, "client", "read")
    assert service.can(SYSTEM, "client", "export")
    assert service.can(ANNA, "intervention_part", "read")  # lines follow their parent
    assert not service.can(ANNA, "intervention_part", "create")
    with pytest.raises(ValueError):
        service.can(ANNA, "intervention", "print")
    with pytest.raises(NotFound):
        service.can(ANNA, "nothing", "read")


def test_require_raises_a_localised_refusal(dispatch: Env) -> None:
    dispatch.service.require(AUDITOR, "intervention", "export")
    with pytest.raises(PermissionDenied, match=re.escape("You may not export interventions.")):
        dispatch.service.require(ANNA, "intervention", "export")


def test_field_access_tells_forms_what_to_show_and_let_edit(dispatch: Env) -> None:
    service = dispatch.service
    everything = {"subject", "client", "technician", "assigned_to", "status", "price",
                  "internal_cost", "secret_note", "notes", "parts",
                  "parts.part", "parts.quantity"}  # fields of lines are table.field
    assert service.field_access(OFFICE, "intervention") == FieldAccess(
        frozenset(everything), frozenset(everything))
    technician = service.field_access(ANNA, "intervention")
    assert technician.readable == everything - {"internal_cost", "secret_note"}
    assert technician.writable == everything - {"internal_cost", "secret_note", "price",
                                                "client"}
    assert service.field_access(ANNA, "intervention", "create").writable == frozenset()
    planner = service.field_access(PLANNER, "intervention", "create")
    assert planner.writable == everything - {"internal_cost", "status"}
    assert service.field_access(Actor("x", frozenset()), "intervention") == FieldAccess(
        frozenset(), frozenset())


def test_history_leaves_out_hidden_fields(dispatch: Env) -> None:
    service = dispatch.service
    service.update(OFFICE, "intervention", "INT-0001", {"internal_cost": "65", "version": 1})
    service.update(OFFICE, "intervention", "INT-0001", {"notes": "checked", "version": 2})
    office = service.history(OFFICE, "intervention", "INT-0001")
    assert [e.action for e in office] == ["update", "update", "create", "create"]
    assert [c.field for c in office[0].changes] == ["notes"]
    assert [c.field for c in office[1].changes] == ["internal_cost"]
    assert office[2].table == "parts" and office[2].entity == "intervention_part"
    assert "internal_cost" in {c.field for c in office[3].changes}
    anna = service.history(ANNA, "intervention", "INT-0001")
    assert [e.action for e in anna] == ["update", "create", "create"]  # cost update left out
    assert [(c.field, c.old, c.new) for c in anna[0].changes] == [("notes", None, "checked")]
    fields = {c.field for c in anna[2].changes}
    assert "subject" in fields and not fields & {"internal_cost", "secret_note"}
    assert anna[0].as_dict()["changes"] == [{"field": "notes", "old": None, "new": "checked"}]
    with pytest.raises(NotFound):
        service.history(ANNA, "intervention", "INT-0002")
    with pytest.raises(PermissionDenied):
        service.history(ANNA, "client", "CLI-001")


def test_reports_refuse_hidden_fields(dispatch: Env) -> None:
    by_cost = {"name": "r", "label": "R", "entity": "intervention",
               "group_by": ["internal_cost"]}
    assert run_report(dispatch.service, OFFICE, by_cost).totals == {"count": 3}
    with pytest.raises(QueryError, match="Cannot group by field \"internal_cost\""):
        run_report(dispatch.service, BRUNO, by_cost)
    summed = {"name": "r", "label": "R", "entity": "intervention",
              "aggregates": [{"function": "sum", "field": "internal_cost"}]}
    with pytest.raises(QueryError, match="Unknown field \"internal_cost\""):
        run_report(dispatch.service, BRUNO, summed)
    counted = {"name": "r", "label": "R", "entity": "intervention"}
    with pytest.raises(QueryError, match="unknown field \"secret_note\""):
        run_report(dispatch.service, BRUNO, counted, [["secret_note", "is null"]])


def test_report_groups_of_links_hide_titles_the_actor_may_not_read(dispatch: Env) -> None:
    by_client = {"name": "r", "label": "R", "entity": "intervention", "group_by": ["client"]}
    office = run_report(dispatch.service, OFFICE, by_client)
    assert [(r["client__label"], r["count"]) for r in office.rows] == [("ACME", 3)]
    bruno = run_report(dispatch.service, BRUNO, by_client)
    assert [(r["client"], r["client__label"], r["count"]) for r in bruno.rows] == [
        (office.rows[0]["client"], None, 2)]


def test_history_shows_the_rules_that_ran_and_their_details_to_administrators_only(
        dispatch: Env) -> None:
    import datetime as dt

    log = dispatch.schema.system["officina_rule_log"]
    with dispatch.database.write() as connection:
        connection.execute(log.insert().values(
            at=dt.datetime(2100, 1, 1), rule="notify_office", event="updated",
            entity="intervention", record_id=1, username="olga", result="failed",
            detail="cost 60 too high", duration_ms=1.0))
    admin = dispatch.service.history(SYSTEM, "intervention", 1)[0]
    assert (admin.action, admin.rule, admin.result) == ("rule", "notify_office", "failed")
    assert admin.detail == "cost 60 too high"
    for reader in (OFFICE, ANNA):  # the people who work the record see its changes only
        assert [e.action for e in dispatch.service.history(reader, "intervention", 1)
                if e.action == "rule"] == []
