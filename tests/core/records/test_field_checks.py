"""Identifier checks (python-stdnum) through the records service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from core.records.errors import RecordValidationError
from tests.conftest import Env
from tests.core.records.checks_support import CLERK, IMPIEGATA, checks, rows

__all__ = ["checks"]


def refused(env: Env, data: dict, actor=CLERK) -> dict[str, list[str]]:
    with pytest.raises(RecordValidationError) as caught:
        env.service.create(actor, "company", {"name": "ACME", **data})
    return caught.value.field_errors


def test_a_vat_number_is_stored_compact_with_its_country_prefix(checks: Env) -> None:
    typed = checks.service.create(CLERK, "company", {"name": "A", "vat": "it 0123456 0017"})
    bare = checks.service.create(CLERK, "company", {"name": "B", "vat": "09876540015"})
    german = checks.service.create(CLERK, "company", {"name": "C", "vat": "DE 136 695 976"})
    assert [typed["vat"], bare["vat"], german["vat"]] == [
        "IT01234560017", "IT09876540015", "DE136695976"]
    assert [r["vat"] for r in rows(checks, "company")] == [
        "IT01234560017", "IT09876540015", "DE136695976"]


def test_an_invalid_vat_number_is_refused_and_nothing_is_saved(checks: Env) -> None:
    assert refused(checks, {"vat": "IT01234560018"}) == {
        "vat": ["Not a valid VAT number. The check digit is wrong."]}
    assert refused(checks, {"vat": "0123456001"}) == {
        "vat": ["Not a valid VAT number. It has the wrong number of characters."]}
    assert refused(checks, {"vat": "DE136695977"}) == {
        "vat": ["Not a valid VAT number. The check digit is wrong."]}
    assert refused(checks, {"vat": "XX01234560017"}) == {"vat": ["Not a valid VAT number."]}
    assert rows(checks, "company") == []


def test_the_message_is_in_the_users_language(checks: Env) -> None:
    with pytest.raises(RecordValidationError) as caught:
        checks.service.create(IMPIEGATA, "company", {"name": "ACME", "vat": "IT01234560018",
                                                     "tax_code": "RSSMRA85T10A562X"})
    assert caught.value.field_errors == {
        "vat": ["Partita IVA non valida. La cifra di controllo è errata."],
        "tax_code": ["Codice fiscale non valido. La cifra di controllo è errata."]}
    assert rows(checks, "company") == []


def test_a_fiscal_code_of_a_person_or_of_a_company(checks: Env) -> None:
    person = checks.service.create(CLERK, "company", {"name": "Mario Rossi",
                                                      "tax_code": "rssmra 85t10 a562s"})
    company = checks.service.create(CLERK, "company", {"name": "Rossi S.r.l.",
                                                       "tax_code": "01234560017"})
    assert (person["tax_code"], company["tax_code"]) == ("RSSMRA85T10A562S", "01234560017")
    assert refused(checks, {"tax_code": "RSSMRA85T10A562"}) == {
        "tax_code": ["Not a valid fiscal code. It has the wrong number of characters."]}
    assert refused(checks, {"tax_code": "01234560018"}) == {
        "tax_code": ["Not a valid fiscal code. The check digit is wrong."]}


def test_other_checks_and_the_generic_message(checks: Env) -> None:
    made = checks.service.create(CLERK, "company", {
        "name": "A", "iban": "IT60 X054 2811 1010 0000 0123 456", "imei": "49-015420-323751-8"})
    assert (made["iban"], made["imei"]) == ("IT60X0542811101000000123456", "490154203237518")
    assert refused(checks, {"iban": "IT61X0542811101000000123456"}) == {
        "iban": ["Not a valid IBAN. The check digit is wrong."]}
    assert refused(checks, {"imei": "490154203237519"}) == {
        "imei": ["Not a valid value (imei). The check digit is wrong."]}


def test_an_empty_value_is_no_value(checks: Env) -> None:
    made = checks.service.create(CLERK, "company", {"name": "A", "vat": None, "tax_code": ""})
    assert made["vat"] is None and made["tax_code"] == ""


def test_an_update_is_checked_and_an_invalid_one_changes_nothing(checks: Env) -> None:
    made = checks.service.create(CLERK, "company", {"name": "A", "vat": "IT01234560017"})
    with pytest.raises(RecordValidationError) as caught:
        checks.service.update(CLERK, "company", made["id"],
                              {"vat": "IT01234560018", "name": "B"}, version=1)
    assert caught.value.field_errors == {
        "vat": ["Not a valid VAT number. The check digit is wrong."]}
    [row] = rows(checks, "company")
    assert (row["vat"], row["name"], row["version"]) == ("IT01234560017", "A", 1)
    changed = checks.service.update(CLERK, "company", made["id"], {"vat": "09876540015"},
                                    version=1)
    assert changed["vat"] == "IT09876540015"


def test_uniqueness_compares_the_stored_form(checks: Env) -> None:
    first = checks.service.create(CLERK, "company", {"name": "A", "vat": "IT01234560017"})
    assert refused(checks, {"vat": "0123 4560 017"}) == {
        "vat": [f"Already used by {first['name']}."]}
    assert len(rows(checks, "company")) == 1
