"""Row conditions (``where``) in permissions: list, get, count, update, delete, create."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied, QueryError, RecordValidationError
from core.records.reading import ListQuery
from tests.conftest import Env
from tests.core.records.permissions_support import (
    ANNA,
    BRUNO,
    LEAD_BRUNO,
    OFFICE,
    PLANNER,
)


def subjects(env: Env, actor: Actor, **query) -> list[str]:
    page = env.service.list(actor, "intervention", ListQuery(sort=("id",), **query))
    return [row["subject"] for row in page.rows]


def test_list_and_count_keep_to_the_rows_of_the_actor(dispatch: Env) -> None:
    assert subjects(dispatch, OFFICE) == ["Boiler", "Pump", "Valve"]
    assert subjects(dispatch, ANNA) == ["Boiler"]  # through the link: technician.username
    assert subjects(dispatch, BRUNO) == ["Pump", "Valve"]
    page = dispatch.service.list(BRUNO, "intervention", ListQuery(limit=1, exact_count=True))
    assert page.total == 2 and page.total_exact
    assert subjects(dispatch, Actor("nobody", frozenset({"technician"}))) == []


def test_a_record_outside_the_rows_is_not_found_like_a_missing_one(dispatch: Env) -> None:
    assert dispatch.service.get(ANNA, "intervention", "INT-0001")["subject"] == "Boiler"
    with pytest.raises(NotFound) as outside:
        dispatch.service.get(ANNA, "intervention", "INT-0002")
    with pytest.raises(NotFound) as missing:
        dispatch.service.get(ANNA, "intervention", "INT-0099")
    assert outside.value.message == missing.value.message.replace("INT-0099", "INT-0002")
    with pytest.raises(NotFound):
        dispatch.service.get(ANNA, "intervention", 2)


def test_update_reaches_only_the_rows_of_the_actor(dispatch: Env) -> None:
    record = dispatch.service.get(ANNA, "intervention", "INT-0001")
    changed = dispatch.service.update(ANNA, "intervention", record["id"],
                                      {"notes": "done", "version": record["version"]})
    assert changed["notes"] == "done" and changed["version"] == 2
    with pytest.raises(NotFound):
        dispatch.service.update(ANNA, "intervention", "INT-0002", {"notes": "x", "version": 1})
    assert dispatch.service.get(OFFICE, "intervention", "INT-0002")["notes"] is None


def test_an_update_cannot_move_a_record_out_of_reach(dispatch: Env) -> None:
    bruno = dispatch.service.get(OFFICE, "technician", "TEC-002")
    with pytest.raises(RecordValidationError) as caught:
        dispatch.service.update(ANNA, "intervention", "INT-0001",
                                {"technician": bruno["id"], "version": 1})
    # Anna may not read Bruno's technician record: the link is refused before the reach
    assert caught.value.field_errors == {"technician": [f'No technician "{bruno["id"]}" '
                                                        'exists.']}
    assert dispatch.service.get(OFFICE, "intervention", "INT-0001")["version"] == 1


def test_delete_reaches_only_the_rows_of_the_actor(dispatch: Env) -> None:
    with pytest.raises(NotFound):
        dispatch.service.delete(LEAD_BRUNO, "intervention", "INT-0001")  # assigned to anna
    dispatch.service.delete(LEAD_BRUNO, "intervention", "INT-0002")
    assert subjects(dispatch, OFFICE) == ["Boiler", "Valve"]
    with pytest.raises(PermissionDenied):
        dispatch.service.delete(ANNA, "intervention", "INT-0001")


def test_create_must_fall_inside_the_rows_of_the_actor(dispatch: Env) -> None:
    created = dispatch.service.create(PLANNER, "intervention",
                                      {"subject": "Tap", "assigned_to": "pia"})
    assert created["status"] == "open"  # a default still fills a field the planner cannot set
    with pytest.raises(RecordValidationError) as caught:
        dispatch.service.create(PLANNER, "intervention",
                                {"subject": "Sink", "assigned_to": "someone"})
    assert "outside the records you may create" in caught.value.message
    table = dispatch.schema.table("intervention")
    with dispatch.database.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(table)
                                  .where(table.c.subject == "Sink")).scalar_one() == 0


def test_several_roles_reach_the_rows_of_any_of_them(dispatch: Env) -> None:
    both = Actor("anna", frozenset({"technician", "lead"}))
    assert subjects(dispatch, both) == ["Boiler", "Valve"]  # technician OR assigned_to
    with_all_rows = Actor("anna", frozenset({"technician", "auditor"}))
    assert subjects(dispatch, with_all_rows) == ["Boiler", "Pump", "Valve"]
    # update is granted by the technician role only: its row condition still applies
    with pytest.raises(NotFound):
        dispatch.service.update(with_all_rows, "intervention", "INT-0002",
                                {"notes": "x", "version": 1})


def test_filters_across_a_link(dispatch: Env) -> None:
    assert subjects(dispatch, OFFICE, filters=[["technician.username", "=", "bruno"]]) == [
        "Pump", "Valve"]
    assert subjects(dispatch, OFFICE, filters=[["technician.full_name", "like", "anna"]]) == [
        "Boiler"]
    assert subjects(dispatch, OFFICE, filters={"not": ["technician.ref", "=", "TEC-001"]}) == [
        "Pump", "Valve"]
    with pytest.raises(QueryError, match=re.escape("unknown field \"technician.nope\"")):
        subjects(dispatch, OFFICE, filters=[["technician.nope", "=", 1]])
    with pytest.raises(QueryError, match=re.escape("unknown field \"status.x\"")):
        subjects(dispatch, OFFICE, filters=[["status.x", "=", 1]])


def test_filters_across_a_link_respect_the_target_permissions(dispatch: Env) -> None:
    # technicians may not read clients, nor the internal rate of technicians
    with pytest.raises(QueryError, match=re.escape("unknown field \"client.company\"")):
        subjects(dispatch, ANNA, filters=[["client.company", "=", "ACME"]])
    with pytest.raises(QueryError, match=re.escape("unknown field \"technician.internal_rate\"")):
        subjects(dispatch, ANNA, filters=[["technician.internal_rate", ">", 0]])
    # across a link, only the target rows the actor may read match
    both = Actor("anna", frozenset({"technician", "auditor"}))
    assert subjects(dispatch, both, filters=[["technician.full_name", "like", "Bruno"]]) == []
    assert subjects(dispatch, both, filters=[["technician.full_name", "like", "Anna"]]) == [
        "Boiler"]


def test_reports_keep_to_the_rows_of_the_actor(dispatch: Env) -> None:
    from core.reports import run_report

    report = {"name": "r", "label": "R", "entity": "intervention", "group_by": ["status"],
              "aggregates": [{"function": "count", "label": "Count"},
                             {"function": "sum", "field": "price", "label": "Price"}]}
    assert run_report(dispatch.service, OFFICE, report).totals["Count"] == 3
    assert run_report(dispatch.service, BRUNO, report).totals == {"Count": 2,
                                                                  "Price": 200}
    assert run_report(dispatch.service, ANNA, report).rows[0]["Count"] == 1
    with pytest.raises(PermissionDenied):
        run_report(dispatch.service, Actor("x", frozenset({"guest"})), report)
