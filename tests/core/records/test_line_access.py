"""Hidden and read-only fields of lines (``table.field`` in a role's permissions)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from core.records.errors import RecordValidationError
from tests.conftest import Env
from tests.core.records.authority_support import CLERK, OFFICE

LOCKED = "You may not change this field."


def _sale(env: Env) -> dict:
    return env.service.create(OFFICE, "sale", {"subject": "Kit", "customer": 1, "lines": [
        {"item": "bolt", "quantity": 2, "unit_price": "3", "unit_cost": "1"}]})


def test_hidden_line_fields_are_not_read(authority: Env) -> None:
    sale = _sale(authority)
    seen = authority.service.get(CLERK, "sale", sale["id"])
    line = seen["lines"][0]
    assert (line["item"], line["quantity"], line["unit_price"], line["amount"]) == (
        "bolt", 2, 3, 6)
    assert not {"unit_cost", "cost"} & set(line)
    assert "cost_total" not in seen
    office = authority.service.get(OFFICE, "sale", sale["id"])["lines"][0]
    assert (office["unit_cost"], office["cost"]) == (1, 2)


def test_locked_line_fields_cannot_be_written(authority: Env) -> None:
    sale = _sale(authority)
    line = sale["lines"][0]
    for data in ({"lines": [{"id": line["id"], "unit_price": "1"}]},
                 {"lines": [{"id": line["id"]}, {"item": "nut", "unit_cost": "0"}]}):
        with pytest.raises(RecordValidationError) as refused:
            authority.service.update(CLERK, "sale", sale["id"],
                                     {**data, "version": sale["version"]})
        path = "lines.0.unit_price" if "unit_price" in data["lines"][0] else "lines.1.unit_cost"
        assert refused.value.field_errors == {path: [LOCKED]}
    assert authority.service.get(OFFICE, "sale", sale["id"])["version"] == sale["version"]
    added = authority.service.update(CLERK, "sale", sale["id"], {
        "lines": [{"id": line["id"], "quantity": 3}, {"item": "nut"}],
        "version": sale["version"]})
    kept, new = authority.service.get(OFFICE, "sale", added["id"])["lines"]
    assert (kept["quantity"], kept["unit_price"], kept["unit_cost"]) == (3, 3, 1)
    assert (new["unit_price"], new["unit_cost"]) == (10, None)  # the default applies


def test_a_guess_at_a_hidden_line_field_is_refused_whether_right_or_wrong(
        authority: Env) -> None:
    sale = _sale(authority)
    line = authority.service.get(OFFICE, "sale", sale["id"])["lines"][0]
    assert line["unit_cost"] == Decimal("1")
    for guess in (Decimal("1"), Decimal("5")):  # the stored cost, and another
        with pytest.raises(RecordValidationError) as refused:
            authority.service.update(CLERK, "sale", sale["id"], {
                "lines": [{"id": line["id"], "unit_cost": guess}],
                "version": sale["version"]})
        assert refused.value.field_errors == {"lines.0.unit_cost": [LOCKED]}
    seen = authority.service.get(CLERK, "sale", sale["id"])["lines"][0]
    kept = authority.service.update(CLERK, "sale", sale["id"], {  # as read: read-only too
        "lines": [{k: v for k, v in seen.items() if k in ("id", "item", "unit_price")}],
        "version": sale["version"]})
    assert kept["version"] == sale["version"]  # nothing changed


def test_the_history_leaves_out_changes_of_hidden_line_fields(authority: Env) -> None:
    sale = _sale(authority)
    line = sale["lines"][0]
    authority.service.update(OFFICE, "sale", sale["id"], {
        "lines": [{"id": line["id"], "unit_cost": "2"}], "version": sale["version"]})
    office = [c.field for e in authority.service.history(OFFICE, "sale", sale["id"])
              if e.table == "lines" for c in e.changes]
    clerk = [c.field for e in authority.service.history(CLERK, "sale", sale["id"])
             if e.table == "lines" for c in e.changes]
    assert {"unit_cost", "cost"} <= set(office)
    assert "item" in clerk and not {"unit_cost", "cost"} & set(clerk)
    updates = [e for e in authority.service.history(CLERK, "sale", sale["id"])
               if e.table == "lines" and e.action == "update"]
    assert updates == []  # the update changed only hidden fields of the line


def test_field_access_names_fields_of_lines(authority: Env) -> None:
    access = authority.service.field_access(CLERK, "sale")
    assert {"lines.item", "lines.quantity", "lines.unit_price", "lines.amount"} <= \
        access.readable
    assert not {"lines.unit_cost", "lines.cost"} & access.readable
    assert "lines.item" in access.writable
    assert not {"lines.unit_price", "lines.amount", "lines.unit_cost"} & access.writable


def _with_permissions(packs_dir: Path, block: str) -> tuple[Path, int]:
    """The pack's clerk role replaced by ``block``; the file and the line of its third row."""
    sale = packs_dir / "authority" / "entities" / "sale.yaml"
    text = sale.read_text()
    start = text.index("  clerk:\n")
    sale.write_text(text[:start] + block)
    return sale, text[:start].count("\n") + 3


def _errors(packs_dir: Path) -> list[str]:
    with pytest.raises(MetadataError) as refused:
        load_registry(["authority"], [packs_dir])
    return str(refused.value).splitlines()


def test_a_hidden_total_must_not_be_rebuildable_from_visible_lines(packs_dir: Path) -> None:
    sale, line = _with_permissions(packs_dir, "  clerk:\n    actions: [read]\n"
                                              "    hidden: [notes, total]\n")
    assert _errors(packs_dir) == [
        f"{sale}:{line}: permissions.clerk.hidden[1]: 'total' is hidden but computed from "
        "'lines.amount', which the role sees: hide 'lines.amount' too, or 'total' can be "
        "rebuilt from the lines"]
    _with_permissions(packs_dir, "  clerk:\n    actions: [read]\n"
                                 "    hidden: [notes, total, lines.amount]\n")
    assert "which the role can work out from 'lines.quantity': hide 'lines.quantity' " \
           "too" in _errors(packs_dir)[0]  # amount is quantity * unit_price
    _with_permissions(packs_dir, "  clerk:\n    actions: [read]\n"
                                 "    hidden: [total, lines.amount, lines.unit_price]\n")
    load_registry(["authority"], [packs_dir])  # quantity alone tells nothing


def test_unknown_line_fields_are_named_with_file_and_line(packs_dir: Path) -> None:
    sale, line = _with_permissions(packs_dir, "  clerk:\n    actions: [read]\n"
                                              "    read_only: [lines.colour, notes.size]\n")
    assert _errors(packs_dir) == [
        f"{sale}:{line}: permissions.clerk.read_only[0]: unknown field 'colour' of entity "
        "'sale_line'",
        f"{sale}:{line}: permissions.clerk.read_only[1]: 'notes' is not a child table: "
        "'notes.size' names no field of its lines"]
