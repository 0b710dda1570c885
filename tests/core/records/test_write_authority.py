"""Who may write a field: users never set what rules, formulas or the workflow fill, and the
links they write point to records they may read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from core.records.actor import SYSTEM, Actor
from core.records.errors import RecordValidationError
from tests.conftest import Env
from tests.core.records.authority_support import CLERK, CLERK_IT, OFFICE
from tests.support.packs import write_pack

RULES = "This field is filled by the rules: it cannot be entered."
TRUSTED = Actor("rule:test", frozenset({"admin"}), trusted=True)


def _count(env: Env, table: str) -> int:
    with env.database.read() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(
            env.schema.table(table))).scalar_one()


def _refusal(env: Env, actor: Actor, entity: str, data: dict, key: int | None = None
             ) -> dict[str, list[str]]:
    with pytest.raises(RecordValidationError) as refused:
        if key is None:
            env.service.create(actor, entity, data)
        else:
            env.service.update(actor, entity, key, data)
    return refused.value.field_errors


def test_the_registry_knows_which_fields_the_system_fills(authority: Env) -> None:
    registry = authority.store.current().registry
    assert dict(registry.filled_by_system("sale")) == {
        "status": "state", "risk": "rules", "taken_by": "read_only", "total": "computed",
        "cost_total": "computed"}  # discount is filled by a rule too, but user_editable
    assert dict(registry.filled_by_system("shipment")) == {"carrier": "rules"}  # by a create
    assert dict(registry.filled_by_system("sale_line")) == {"amount": "computed",
                                                            "cost": "computed"}
    assert dict(registry.filled_by_system("customer")) == {}


def test_a_user_cannot_set_a_field_the_rules_fill(authority: Env) -> None:
    assert _refusal(authority, CLERK, "sale", {"subject": "Mine", "risk": "low"}) == {
        "risk": [RULES]}
    assert _refusal(authority, CLERK_IT, "sale", {"subject": "Mia", "risk": "low"}) == {
        "risk": ["Questo campo è compilato dalle regole: non si può inserire."]}
    assert _count(authority, "sale") == 0
    sale = authority.service.create(CLERK, "sale", {"subject": "Mine", "customer": 1})
    assert (sale["risk"], sale["discount"], sale["taken_by"]) == ("low", 5, "carlo")
    assert _refusal(authority, CLERK, "sale", {"risk": "high", "version": sale["version"]},
                    sale["id"]) == {"risk": [RULES]}
    assert authority.service.get(OFFICE, "sale", sale["id"])["version"] == sale["version"]


def test_the_value_a_field_has_may_be_sent_back(authority: Env) -> None:
    sale = authority.service.create(CLERK, "sale", {"subject": "Round trip", "customer": 1,
                                                    "risk": "unknown", "taken_by": "carlo"})
    assert sale["risk"] == "low"  # the default was sent, then the rule filled it
    back = {k: v for k, v in sale.items() if k not in ("lines", "_titles", "ref", "created_at",
                                                       "created_by", "modified_at",
                                                       "modified_by", "id")}
    saved = authority.service.update(CLERK, "sale", sale["id"], {**back, "notes": "seen"})
    assert (saved["notes"], saved["risk"], saved["version"]) == ("seen", "low",
                                                                 sale["version"] + 1)


def test_a_field_users_may_enter_keeps_their_value(authority: Env) -> None:
    sale = authority.service.create(CLERK, "sale", {"subject": "Deal", "discount": 12})
    assert sale["discount"] == 12  # the rule fills it only when it is empty
    changed = authority.service.update(CLERK, "sale", sale["id"],
                                       {"discount": 20, "version": sale["version"]})
    assert changed["discount"] == 20


def test_read_only_and_computed_fields_are_refused_too(authority: Env) -> None:
    assert _refusal(authority, CLERK, "sale", {"subject": "x", "taken_by": "mallory",
                                               "total": 1}) == {
        "taken_by": ["This field is read-only."], "total": ["This field is read-only."]}


def test_a_field_a_rule_fills_on_another_entity_is_refused(authority: Env) -> None:
    sale = authority.service.create(CLERK, "sale", {"subject": "Ship it"})
    assert _refusal(authority, CLERK, "shipment", {"sale": sale["id"],
                                                   "carrier": "courier"}) == {
        "carrier": [RULES]}
    mine = authority.service.create(CLERK, "shipment", {"sale": sale["id"],
                                                        "reference": "by hand"})
    assert mine["carrier"] == "post"  # its default still applies
    authority.service.transition(CLERK, "sale", sale["id"], "confirm")
    shipped = authority.service.list(OFFICE, "shipment").rows
    assert sorted(s["carrier"] for s in shipped) == ["courier", "post"]  # the rule's


def test_trusted_actors_and_administrators_acting_as_rules_write_them(authority: Env) -> None:
    sale = authority.service.create(TRUSTED, "sale", {"subject": "Import",
                                                      "taken_by": "archive"})
    sale = authority.service.update(TRUSTED, "sale", sale["id"], {
        "risk": "high", "version": sale["version"]})
    assert (sale["risk"], sale["taken_by"]) == ("high", "archive")
    assert _refusal(authority, SYSTEM, "sale", {"risk": "low", "version": sale["version"]},
                    sale["id"]) == {"risk": [RULES]}  # an administrator is a user


def test_field_access_offers_only_what_the_user_may_write(authority: Env) -> None:
    access = authority.service.field_access(CLERK, "sale")
    assert {"subject", "customer", "discount", "notes", "lines"} <= access.writable
    assert not access.writable & {"risk", "status", "taken_by", "total", "cost_total"}
    assert {"risk", "status", "taken_by", "total"} <= access.readable
    assert "status" not in access.locked  # transitions stay available


def test_a_link_must_point_to_a_record_the_user_may_read(authority: Env) -> None:
    south = authority.service.get(OFFICE, "customer", 2)
    missing = _refusal(authority, CLERK, "sale", {"subject": "x", "customer": 999})
    hidden = _refusal(authority, CLERK, "sale", {"subject": "x", "customer": south["id"]})
    by_ref = _refusal(authority, CLERK, "sale", {"subject": "x", "customer": south["ref"]})
    assert missing == {"customer": ['No customer "999" exists.']}
    assert hidden == {"customer": [f'No customer "{south["id"]}" exists.']}  # as if missing
    assert by_ref == {"customer": [f'No customer "{south["ref"]}" exists.']}
    for product in (1, 999, "PRD-001", "PRD-999"):  # one answer, whether it exists or not
        assert _refusal(authority, CLERK, "sale", {"subject": "x", "product": product}) == {
            "product": ["You may not read products."]}
    assert _count(authority, "sale") == 0
    office = authority.service.create(OFFICE, "sale", {"subject": "South", "customer": 2,
                                                       "product": 1})
    assert office["customer"] == 2


def test_an_unchanged_link_is_not_checked_again(authority: Env) -> None:
    sale = authority.service.create(CLERK, "sale", {"subject": "Nord", "customer": 1})
    customer = authority.service.get(OFFICE, "customer", 1)
    authority.service.update(OFFICE, "customer", 1, {"region": "south",
                                                     "version": customer["version"]})
    kept = authority.service.update(CLERK, "sale", sale["id"], {
        "customer": 1, "notes": "still mine", "version": sale["version"]})
    assert (kept["customer"], kept["notes"]) == (1, "still mine")
    theirs = authority.service.create(OFFICE, "sale", {"subject": "Both", "customer": 2,
                                                       "product": 1})
    saved = authority.service.update(CLERK, "sale", theirs["id"], {
        "customer": 2, "product": 1, "notes": "ok", "version": theirs["version"]})
    assert saved["notes"] == "ok"


@pytest.mark.parametrize(("field", "message"), [
    ("taken_by", "'taken_by' is read_only: users cannot enter it"),
    ("total", "'total' is computed by its formula: users cannot enter it"),
    ("status", "'status' is the state of a workflow (it changes through transitions): users "
               "cannot enter it"),
])
def test_user_editable_cannot_open_what_only_the_system_writes(packs_dir: Path, field: str,
                                                               message: str) -> None:
    sale = packs_dir / "authority" / "entities" / "sale.yaml"
    text = sale.read_text()
    line = next(i for i, row in enumerate(text.splitlines(), 1)
                if row.startswith(f"  {field}: "))
    sale.write_text(text.replace(f"  {field}: {{", f"  {field}: {{user_editable: true, ", 1))
    with pytest.raises(MetadataError) as refused:
        load_registry(["authority"], [packs_dir])
    assert str(refused.value).splitlines() == [
        f"{sale}:{line}: fields.{field}.user_editable: {message}"]


def test_user_editable_is_checked_by_the_schema(tmp_path: Path) -> None:
    write_pack(tmp_path, "bad", {"entities/thing.yaml": """
        name: thing
        label: Thing
        fields:
          size: {type: integer, user_editable: "yes"}
        """})
    with pytest.raises(MetadataError) as refused:
        load_registry(["bad"], [tmp_path])
    assert "thing.yaml:4: fields.size.user_editable: 'yes' is not of type 'boolean'" in str(
        refused.value)
