"""The records service on SQLite and PostgreSQL: what a user creates, reads, changes, deletes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.records.actor import SYSTEM, Actor
from core.records.errors import Conflict, NotFound, PermissionDenied, RecordValidationError
from tests.conftest import Env

CLERK = Actor("carla", frozenset({"clerk"}))
VIEWER = Actor("victor", frozenset({"viewer"}))
STRANGER = Actor("sam", frozenset({"guest"}))


def audit_rows(env: Env, entity: str | None = None) -> list[dict]:
    audit = env.schema.system["officina_audit"]
    statement = sa.select(audit).order_by(audit.c.id)
    if entity:
        statement = statement.where(audit.c.entity == entity)
    with env.database.read() as connection:
        return [dict(r._mapping) for r in connection.execute(statement)]


def row_count(env: Env, entity: str) -> int:
    with env.database.read() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(
            env.schema.table(entity))).scalar_one()


@pytest.fixture
def acme(shop: Env) -> dict:
    return shop.service.create(CLERK, "customer", {"company": "ACME", "vat": "IT01",
                                                   "city": "Milano"})


@pytest.fixture
def bolt(shop: Env) -> dict:
    return shop.service.create(SYSTEM, "product", {"title": "Bolt", "price": "0.50"})


def new_sale(shop: Env, acme: dict, bolt: dict, **extra) -> dict:
    data = {"subject": "Spring order", "customer": acme["ref"],
            "lines": [{"product": bolt["id"], "quantity": "10", "unit_price": "0.50",
                       "notes": [{"note": "fragile"}]},
                      {"product": bolt["ref"], "quantity": 2, "unit_price": "1.25"}]}
    return shop.service.create(CLERK, "sale", {**data, **extra})


def test_create_applies_defaults_naming_links_lines_and_formulas(shop: Env, acme: dict,
                                                                 bolt: dict) -> None:
    sale = new_sale(shop, acme, bolt)
    year = dt.date.today().year
    assert sale["ref"] == f"SO-{year}-00001"
    assert acme["ref"] == "CUS-00001" and bolt["ref"] == "P-0001"
    assert sale["customer"] == acme["id"]
    assert sale["_titles"] == {"customer": "ACME"}
    assert sale["status"] == "draft" and sale["priority"] == 3
    assert sale["day"] == dt.date.today()
    assert sale["seller"] == "carla" and sale["created_by"] == "carla"
    assert sale["version"] == 1
    assert [line["amount"] for line in sale["lines"]] == [Decimal("5.00"), Decimal("2.50")]
    assert sale["total"] == Decimal("7.50")
    assert sale["lines"][0]["notes"][0]["note"] == "fragile"
    assert sale["lines"][1]["_titles"] == {"product": "Bolt"}
    assert new_sale(shop, acme, bolt)["ref"] == f"SO-{year}-00002"


def test_every_field_type_round_trips(shop: Env, acme: dict) -> None:
    values = {"label_text": "Alpha", "body": "long\ntext", "count": "12", "ratio": "3.14",
              "price": "1234.5", "flag": "true", "born_on": "2026-02-28",
              "seen_at": "2026-02-28T10:30:00+01:00", "effort": "1:45",
              "colour": "green", "tags": ["sale", "hot"], "owner": acme["id"],
              "email": "a@b.example", "phone": "+39 02 1234 5678",
              "homepage": "https://example.com/x", "manual": "a" * 64 + "/manual.pdf",
              "picture": "b" * 64 + "/photo.png"}
    record = shop.service.create(SYSTEM, "specimen", values)
    assert record["count"] == 12 and record["ratio"] == Decimal("3.14")
    assert record["price"] == Decimal("1234.50") and record["flag"] is True
    assert record["born_on"] == dt.date(2026, 2, 28)
    assert record["seen_at"] == dt.datetime(2026, 2, 28, 9, 30)  # stored as UTC
    assert record["effort"] == 6300
    assert record["tags"] == ["hot", "sale"]  # in the options' order
    assert record["_titles"]["owner"] == "ACME"
    assert record["manual"].endswith("/manual.pdf")


@pytest.mark.parametrize("field, value, message", [
    ("label_text", "alpha", "Does not match the expected format."),
    ("label_text", "A" + "b" * 30, "At most 20 characters."),
    ("count", "many", "Not a valid whole number."),
    ("count", 5000, "Must be between 0 and 1000."),
    ("ratio", "12345.6", "Too large: at most 4 digits before the decimal point."),
    ("flag", "perhaps", "Not a valid yes/no value."),
    ("born_on", "31/02/2026", "Not a valid date (YYYY-MM-DD)."),
    ("effort", "soon", "Not a valid duration (seconds, h:mm or 2h 30m)."),
    ("colour", "purple", "Must be one of: red, green, blue."),
    ("tags", ["cold"], "Must be one of: hot, new, sale."),
    ("owner", "CUS-99999", 'No customer "CUS-99999" exists.'),
    ("email", "not-an-address", "Not a valid e-mail address."),
    ("phone", "call me", "Not a valid phone number."),
    ("homepage", "example", "Not a valid URL."),
    ("manual", "../../etc/passwd", "Not a stored file reference."),
    ("nonsense", 1, "Unknown field."),
])
def test_bad_values_are_refused_per_field_and_nothing_is_written(
        shop: Env, field: str, value: object, message: str) -> None:
    before = len(audit_rows(shop))
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(SYSTEM, "specimen", {field: value})
    assert refused.value.field_errors == {field: [message]}
    assert row_count(shop, "specimen") == 0
    assert len(audit_rows(shop)) == before


def test_missing_required_values_and_line_errors_are_all_reported(shop: Env, acme: dict) -> None:
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(CLERK, "sale", {"priority": 9, "lines": [{"quantity": "x"}]})
    assert refused.value.field_errors == {
        "subject": ["A value is required."], "customer": ["A value is required."],
        "priority": ["Must be between 1 and 5."], "lines.0.quantity": ["Not a valid number."],
        "lines.0.product": ["A value is required."]}
    assert row_count(shop, "sale") == 0 and row_count(shop, "sale_line") == 0


def test_read_only_and_unique_fields(shop: Env, acme: dict) -> None:
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(CLERK, "customer", {"company": "Copy", "vat": "IT01"})
    assert refused.value.field_errors == {"vat": ["Already used by ACME."]}
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(CLERK, "sale", {"subject": "x", "customer": acme["id"],
                                            "seller": "mallory", "total": 1})
    assert refused.value.field_errors == {"seller": ["This field is read-only."],
                                          "total": ["This field is read-only."]}


def test_update_changes_fields_lines_and_version(shop: Env, acme: dict, bolt: dict) -> None:
    sale = new_sale(shop, acme, bolt)
    first, second = sale["lines"]
    updated = shop.service.update(CLERK, "sale", sale["ref"], {
        "status": "confirmed", "version": 1,
        "lines": [{"id": second["id"], "quantity": 4}, {"product": bolt["id"], "unit_price": 3}]})
    assert updated["version"] == 2 and updated["status"] == "confirmed"
    assert updated["lines"][0]["id"] == second["id"]
    assert [line["amount"] for line in updated["lines"]] == [Decimal("5.00"), Decimal("3.00")]
    assert updated["total"] == Decimal("8.00")
    assert row_count(shop, "sale_line") == 2
    assert row_count(shop, "sale_line_note") == 0  # went with the first line
    assert first["id"] not in [line["id"] for line in updated["lines"]]


def test_stale_update_is_refused_and_nothing_is_lost(shop: Env, acme: dict, bolt: dict) -> None:
    sale = new_sale(shop, acme, bolt)
    shop.service.update(CLERK, "sale", sale["id"], {"status": "confirmed", "version": 1})
    with pytest.raises(Conflict) as conflict:
        shop.service.update(SYSTEM, "sale", sale["id"], {"subject": "Mine", "version": 1})
    assert "was changed by carla since you opened it" in conflict.value.message
    current = shop.service.get(SYSTEM, "sale", sale["id"])
    assert current["status"] == "confirmed" and current["subject"] == "Spring order"
    assert current["version"] == 2
    with pytest.raises(RecordValidationError):
        shop.service.update(SYSTEM, "sale", sale["id"], {"subject": "No version"})


def test_audit_trail_records_who_what_old_and_new(shop: Env, acme: dict, bolt: dict) -> None:
    sale = new_sale(shop, acme, bolt)
    shop.service.update(SYSTEM, "sale", sale["id"], {"subject": "Autumn order", "version": 1})
    rows = audit_rows(shop, "sale")
    created = [r for r in rows if r["action"] == "create"]
    assert {r["field"] for r in created} >= {"subject", "customer", "status", "total"}
    assert all(r["username"] == "carla" and r["record_id"] == sale["id"] for r in created)
    [change] = [r for r in rows if r["action"] == "update"]
    assert (change["username"], change["field"], change["old_value"], change["new_value"]) == (
        "system", "subject", "Spring order", "Autumn order")
    lines = audit_rows(shop, "sale_line")
    assert len(lines) > 0 and all(r["parent_entity"] == "sale" and r["parent_id"] == sale["id"]
                                  for r in lines)
    shop.service.delete(SYSTEM, "sale", sale["id"])
    deleted = [r for r in audit_rows(shop, "sale") if r["action"] == "delete"]
    assert ("subject", "Autumn order") in {(r["field"], r["old_value"]) for r in deleted}


def test_delete_removes_lines_but_refuses_records_still_linked(shop: Env, acme: dict,
                                                               bolt: dict) -> None:
    sale = new_sale(shop, acme, bolt)
    with pytest.raises(Conflict) as conflict:
        shop.service.delete(SYSTEM, "customer", acme["id"])
    assert "still used by 1 sales (customer)" in conflict.value.message
    with pytest.raises(Conflict):
        shop.service.delete(SYSTEM, "sale", sale["id"], version=7)
    shop.service.delete(SYSTEM, "sale", sale["id"], version=1)
    assert row_count(shop, "sale") == 0 and row_count(shop, "sale_line") == 0
    assert row_count(shop, "sale_line_note") == 0
    with pytest.raises(NotFound):
        shop.service.get(SYSTEM, "sale", sale["id"])


def test_permissions_are_enforced_by_the_service(shop: Env, acme: dict) -> None:
    assert shop.service.list(VIEWER, "customer").total == 1
    with pytest.raises(PermissionDenied) as denied:
        shop.service.create(VIEWER, "customer", {"company": "X"})
    assert denied.value.message == "You may not create customers."
    with pytest.raises(PermissionDenied):
        shop.service.update(CLERK, "product", 1, {"title": "X", "version": 1})
    with pytest.raises(PermissionDenied):
        shop.service.delete(CLERK, "customer", acme["id"])
    with pytest.raises(PermissionDenied):
        shop.service.list(STRANGER, "customer")
    with pytest.raises(PermissionDenied):
        shop.service.list(CLERK, "specimen")  # no permissions block: administrators only


def test_lines_are_reached_only_through_their_parent(shop: Env) -> None:
    with pytest.raises(NotFound) as refused:
        shop.service.list(SYSTEM, "sale_line")
    assert "holds lines of sale" in refused.value.message
    with pytest.raises(NotFound):
        shop.service.list(SYSTEM, "nothing")


def test_messages_follow_the_users_language(shop: Env) -> None:
    italian = Actor("giulia", frozenset({"viewer"}), language="it")
    with pytest.raises(PermissionDenied) as denied:
        shop.service.create(italian, "customer", {"company": "X"})
    assert denied.value.message.startswith("Non")
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(Actor("g", frozenset({"admin"}), "it"), "customer", {})
    assert refused.value.field_errors["company"] != ["A value is required."]


def test_attachments_must_name_stored_files(shop: Env, tmp_path) -> None:
    from core.files import FileStore
    from core.records.service import RecordsService

    store = FileStore(tmp_path / "files")
    service = RecordsService(shop.database, shop.store, files=store)
    key = store.put(b"%PDF-1.4 manual", "../../Manual v2.pdf")
    assert key.endswith("/Manual v2.pdf") and store.read(key) == b"%PDF-1.4 manual"
    assert store.put(b"%PDF-1.4 manual", "copy.pdf").split("/")[0] == key.split("/")[0]
    record = service.create(SYSTEM, "specimen", {"manual": key})
    assert record["manual"] == key
    with pytest.raises(RecordValidationError) as refused:
        service.create(SYSTEM, "specimen", {"picture": "c" * 64 + "/ghost.png"})
    assert refused.value.field_errors == {
        "picture": ['The file "ghost.png" is not stored: upload it first.']}


def test_an_update_that_changes_nothing_keeps_the_version(shop: Env, acme: dict) -> None:
    before = len(audit_rows(shop))
    same = shop.service.update(CLERK, "customer", acme["id"], {"city": "Milano", "version": 1})
    assert same["version"] == 1 and len(audit_rows(shop)) == before
    with pytest.raises(Conflict):
        shop.service.update(CLERK, "customer", acme["id"], {"city": "Milano", "version": 0})


def test_today_and_naming_dates_follow_the_instance_time_zone(shop: Env, acme: dict) -> None:
    shop.service.clock = lambda: dt.datetime(2026, 12, 31, 23, 30)  # 00:30 on New Year in Rome
    sale = shop.service.create(CLERK, "sale", {"subject": "First of the year",
                                               "customer": acme["id"]})
    assert sale["day"] == dt.date(2027, 1, 1) and sale["ref"] == "SO-2027-00001"
    assert sale["created_at"] == dt.datetime(2026, 12, 31, 23, 30)  # stored in UTC
