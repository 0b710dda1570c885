"""Save options on the test shop pack: validating only checks unique fields, defaults,
formulas and lines as a save does; trusted writes read-only fields."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.records.actor import SYSTEM, Actor
from core.records.errors import RecordValidationError
from core.records.options import VALIDATE_ONLY, SaveOptions
from tests.conftest import Env


def test_a_unique_value_taken_is_the_field_error_a_save_gives(shop: Env) -> None:
    shop.service.create(SYSTEM, "customer", {"company": "Rossi", "vat": "IT001"})
    data = {"company": "Bianchi", "vat": "IT001"}
    with pytest.raises(RecordValidationError) as checked:
        shop.service.create(SYSTEM, "customer", data, options=VALIDATE_ONLY)
    with pytest.raises(RecordValidationError) as saved:
        shop.service.create(SYSTEM, "customer", data)
    assert checked.value.field_errors == saved.value.field_errors
    assert list(checked.value.field_errors) == ["vat"]
    assert [r["company"] for r in shop.service.list(SYSTEM, "customer").rows] == ["Rossi"]


def test_the_record_validated_has_its_defaults_formulas_and_lines(shop: Env) -> None:
    customer = shop.service.create(SYSTEM, "customer", {"company": "Rossi"})
    product = shop.service.create(SYSTEM, "product", {"title": "Valve"})
    record = shop.service.create(SYSTEM, "sale", {
        "subject": "Boiler", "customer": customer["id"],
        "lines": [{"product": product["id"], "quantity": "2", "unit_price": "3.50"}]},
        options=VALIDATE_ONLY)
    assert record["status"] == "draft" and record["seller"] == "system"
    assert str(record["total"]) == "7.00"
    assert [str(line["amount"]) for line in record["lines"]] == ["7.00"]
    assert shop.service.list(SYSTEM, "sale").rows == []


def test_trusted_options_write_a_read_only_field_as_a_trusted_actor_does(shop: Env) -> None:
    clerk = Actor("carla", frozenset({"clerk"}))
    customer = shop.service.create(SYSTEM, "customer", {"company": "Rossi"})
    data = {"subject": "Boiler", "customer": customer["id"], "seller": "someone else"}
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(clerk, "sale", data)
    assert list(refused.value.field_errors) == ["seller"]
    sale = shop.service.create(clerk, "sale", data, options=SaveOptions(trusted=True))
    assert sale["seller"] == "someone else"
    assert shop.service.create(replace(clerk, trusted=True), "sale", data)["seller"] \
        == "someone else"
