"""Hidden and read-only fields in permissions: reading, filtering, sorting, writing, titles."""

from __future__ import annotations

import pytest

from core.records.actor import SYSTEM, Actor
from core.records.errors import QueryError, RecordValidationError
from core.records.reading import ListQuery
from tests.conftest import Env
from tests.core.records.permissions_support import ANNA, AUDITOR, BRUNO, OFFICE, PLANNER


def test_hidden_fields_are_never_returned(dispatch: Env) -> None:
    record = dispatch.service.get(ANNA, "intervention", "INT-0001")
    assert "internal_cost" not in record and "secret_note" not in record
    assert record["price"] == 100 and record["parts"][0]["part"] == "gasket"
    for row in dispatch.service.list(BRUNO, "intervention").rows:
        assert "internal_cost" not in row and "secret_note" not in row
    office = dispatch.service.get(OFFICE, "intervention", "INT-0001")
    assert office["internal_cost"] == 60 and office["secret_note"] == "whistle"
    auditor = dispatch.service.get(AUDITOR, "intervention", "INT-0001")
    assert "price" not in auditor and "internal_cost" not in auditor


@pytest.mark.parametrize("query, message", [
    (ListQuery(filters=[["internal_cost", ">", 1]]), "unknown field \"internal_cost\""),
    (ListQuery(filters={"or": [["status", "=", "open"], ["secret_note", "is null"]]}),
     "unknown field \"secret_note\""),
    (ListQuery(sort=("-internal_cost",)), "Cannot sort by \"internal_cost\""),
    (ListQuery(fields=("subject", "internal_cost")), "Unknown field \"internal_cost\""),
])
def test_hidden_fields_cannot_be_filtered_sorted_or_asked_for(dispatch: Env, query: ListQuery,
                                                              message: str) -> None:
    with pytest.raises(QueryError, match=message):
        dispatch.service.list(BRUNO, "intervention", query)
    dispatch.service.list(OFFICE, "intervention", query)  # the office may


def test_hidden_fields_are_not_searched(dispatch: Env) -> None:
    assert dispatch.service.list(OFFICE, "intervention", ListQuery(search="quiet")).total == 1
    assert dispatch.service.list(BRUNO, "intervention", ListQuery(search="quiet")).total == 0
    assert dispatch.service.list(BRUNO, "intervention", ListQuery(search="Pump")).total == 1


def test_a_default_sort_on_a_hidden_field_falls_back(dispatch: Env) -> None:
    # the entity sorts by internal_cost, hidden from technicians: they get newest first
    office = [r["subject"] for r in dispatch.service.list(OFFICE, "intervention").rows]
    assert office == ["Valve", "Pump", "Boiler"]
    assert [r["subject"] for r in dispatch.service.list(BRUNO, "intervention").rows] == [
        "Valve", "Pump"]


def test_titles_of_links_the_actor_may_not_read_are_not_shown(dispatch: Env) -> None:
    record = dispatch.service.get(ANNA, "intervention", "INT-0001")
    assert record["_titles"] == {"client": None, "technician": "Anna Rossi"}
    office = dispatch.service.get(OFFICE, "intervention", "INT-0001")
    assert office["_titles"] == {"client": "ACME", "technician": "Anna Rossi"}
    # anna reads INT-0003 as a lead (assigned to her), but not its technician, Bruno
    lead = Actor("anna", frozenset({"technician", "lead"}))
    valve = dispatch.service.get(lead, "intervention", "INT-0003")
    assert valve["_titles"] == {"client": None, "technician": None}
    rows = dispatch.service.list(lead, "intervention", ListQuery(sort=("id",))).rows
    assert [r["_titles"]["technician"] for r in rows] == ["Anna Rossi", None]


def test_a_hidden_title_field_shows_the_reference(dispatch: Env) -> None:
    dispatch.store.save_overlay("admin", "technician", """
permissions:
  office: [read]
  technician: {actions: [read], hidden: [full_name]}
""")
    record = dispatch.service.get(ANNA, "intervention", "INT-0001")
    assert record["_titles"]["technician"] == "TEC-001"


def test_writing_hidden_or_read_only_fields_is_refused(dispatch: Env) -> None:
    for field, value in (("price", "1"), ("client", None), ("internal_cost", "1"),
                         ("secret_note", "x")):
        with pytest.raises(RecordValidationError) as caught:
            dispatch.service.update(ANNA, "intervention", "INT-0001",
                                    {field: value, "notes": "n", "version": 1})
        assert caught.value.field_errors == {field: ["You may not change this field."]}
    record = dispatch.service.get(OFFICE, "intervention", "INT-0001")
    assert record["version"] == 1 and record["notes"] is None


def test_read_only_for_a_role_is_refused_on_create_too(dispatch: Env) -> None:
    with pytest.raises(RecordValidationError) as caught:
        dispatch.service.create(PLANNER, "intervention",
                                {"subject": "Tap", "assigned_to": "pia", "status": "done",
                                 "internal_cost": "5"})
    assert set(caught.value.field_errors) == {"status", "internal_cost"}


def test_several_roles_see_and_write_what_any_of_them_allows(dispatch: Env) -> None:
    both = Actor("anna", frozenset({"technician", "auditor"}))
    record = dispatch.service.get(both, "intervention", "INT-0001")
    assert record["price"] == 100  # hidden from auditors, not from technicians
    assert "internal_cost" not in record  # hidden from both
    with pytest.raises(RecordValidationError):  # update: technicians only, price read-only
        dispatch.service.update(both, "intervention", "INT-0001", {"price": 1, "version": 1})


def test_rules_and_administrators_see_everything(dispatch: Env) -> None:
    record = dispatch.service.get(SYSTEM, "intervention", "INT-0002")
    assert record["internal_cost"] == 30 and record["_titles"]["client"] == "ACME"
