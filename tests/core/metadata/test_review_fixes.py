"""Review fixes in metadata: formulas, sorting, naming series, integers, messages, reports."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from marshmallow import ValidationError

from core.cli.main import cli
from core.i18n import Translator
from core.metadata.expressions import FormulaError, compile_formula, formula_names
from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import RESERVED_FIELD_NAMES
from core.metadata.registry import load_registry
from core.metadata.specs import FieldSpec
from tests.core.metadata.test_validation import CUSTOMER, errors_of, single_error
from tests.support.packs import write_pack

ORDER = """
name: purchase
label: Purchase
fields:
  subject: {type: string}
  lines: {type: table, target: purchase_line}
"""
LINE = """
name: purchase_line
label: Purchase line
child: true
fields:
  qty: {type: integer}
  price: {type: money}
  amount: {type: money, computed: "%s"}
"""


# -- 1. a formula whose result is Undefined is an error ------------------------------------


@pytest.mark.parametrize("expression, message", [
    ("prise", "formula failed: 'prise' is undefined"),
    ("().__class__", "formula not allowed: access to attribute '__class__'"),
    ("qty.missing", "formula failed:"),
])
def test_formula_that_evaluates_to_undefined_fails(expression: str, message: str) -> None:
    with pytest.raises(FormulaError, match=re.escape(message)):
        compile_formula(expression)({"qty": 3})


def test_formula_with_a_value_still_evaluates() -> None:
    assert compile_formula("(qty or 0) * 2")({"qty": 3}) == 6
    assert compile_formula("none")({}) is None


# -- 2. misspelt names in formulas are caught by validation --------------------------------


def test_formula_names_leave_out_globals_filters_and_attributes() -> None:
    assert formula_names("lines | sum(attribute='amount') + range(3) | length") == {"lines"}
    assert formula_names("(end - start).days if start else none") == {"end", "start"}
    assert formula_names("qty *") == set()


def test_unknown_name_in_formula_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": ORDER,
                               "entities/b.yaml": LINE % "(qty or 0) * (prise or 0)"})
    assert single_error(tmp_path).endswith(
        "b.yaml:7: fields.amount.computed: unknown name 'prise' in formula: fields of "
        "'purchase_line' are qty, price, amount")


def test_formula_naming_fields_and_globals_is_accepted(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/a.yaml": ORDER + "  total: {type: money, computed: \"lines | "
                                   "sum(attribute='amount')\"}\n"
                                   "  n: {type: integer, computed: \"range(3) | length\"}\n",
        "entities/b.yaml": LINE % "(qty or 0) * (price or 0)"})
    assert load_registry(["p"], [tmp_path]).entity("purchase").field("total").computed


# -- 3. sorting by a field that cannot be sorted -------------------------------------------


def test_list_sort_by_a_multiselect_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER
                               + "  tags: {type: multiselect, options: [a, b]}\n"
                                 "list:\n  columns: [company, tags]\n  sort: -tags\n"})
    assert single_error(tmp_path).endswith("a.yaml:8: list.sort: cannot sort by a multiselect "
                                           "field")


def test_list_sort_by_a_standard_column_or_field_is_accepted(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "list:\n  sort: -created_at\n"})
    assert load_registry(["p"], [tmp_path]).entity("customer").name == "customer"


# -- 4. integers are whole numbers ---------------------------------------------------------


def integer_loader():
    return FIELD_TYPES["integer"].loader(FieldSpec("n", "integer", "N"), Translator())


@pytest.mark.parametrize("value, expected", [
    (4, 4), ("4", 4), (4.0, 4), ("4.0", 4), (" -7 ", -7), (Decimal("5.00"), 5)])
def test_integer_accepts_whole_numbers(value: object, expected: int) -> None:
    assert integer_loader().deserialize(value) == expected


@pytest.mark.parametrize("value", [4.5, "4.5", Decimal("4.5"), True, "four", float("nan")])
def test_integer_refuses_fractions_instead_of_truncating(value: object) -> None:
    with pytest.raises(ValidationError, match=r"Not a valid whole number\."):
        integer_loader().deserialize(value)


# -- 5. an empty multiselect is no value ---------------------------------------------------


@pytest.mark.parametrize("value", [[], "", " , "])
def test_empty_multiselect_is_none(value: object) -> None:
    spec = FieldSpec("tags", "multiselect", "Tags", options=("a", "b"))
    assert FIELD_TYPES["multiselect"].loader(spec, Translator()).deserialize(value) is None


# -- 6. naming series that make references of digits only ----------------------------------


@pytest.mark.parametrize("naming", ["{###}", "{YYYY}{####}", "{YY} {MM}{###}"])
def test_digits_only_naming_series_is_refused(tmp_path: Path, naming: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": f'naming: "{naming}"\n' + CUSTOMER.lstrip()})
    assert single_error(tmp_path).endswith(
        "a.yaml:1: naming: a naming series needs a letter or sign outside its {tokens} (e.g. "
        "TCK-{#####}) so references are never taken for ids")


@pytest.mark.parametrize("naming", ["T{###}", "{YYYY}-{####}", "{YYYY}{####}X"])
def test_naming_series_with_a_letter_or_sign_is_accepted(tmp_path: Path, naming: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": f'naming: "{naming}"\n' + CUSTOMER.lstrip()})
    assert load_registry(["p"], [tmp_path]).entity("customer").naming == naming


# -- 8. messages ---------------------------------------------------------------------------


def test_type_mismatch_message_uses_the_right_article(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  size: {type: integer}\n"
                                                             "title_field: size\n"})
    assert "field 'size' is an integer field: expected one of" in single_error(tmp_path)


@pytest.mark.parametrize("name", ["parent_id", "idx"])
def test_reserved_name_message_lists_every_reserved_name(tmp_path: Path, name: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + f"  {name}: {{type: integer}}\n"})
    error = single_error(tmp_path)
    assert f"fields.{name}: '{name}' is a standard column's name" in error
    listed = error.split("(")[-1].removesuffix(" are reserved)").split(", ")
    assert sorted(listed) == sorted(RESERVED_FIELD_NAMES)


@pytest.mark.parametrize("files, expected", [
    ({"entities/a.yaml": CUSTOMER}, "OK: p — 1 entity."),
    ({"entities/a.yaml": CUSTOMER, "entities/b.yaml": CUSTOMER.replace("customer", "other")},
     "OK: p — 2 entities."),
])
def test_pack_validate_counts_entities_in_good_english(tmp_path: Path, files: dict,
                                                       expected: str) -> None:
    folder = write_pack(tmp_path, "p", files)
    result = CliRunner().invoke(cli, ["pack", "validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_as_option_help_names_the_system_user() -> None:
    result = CliRunner().invoke(cli, ["records", "list", "--help"])
    assert "(default: the system user, with administrator rights)" in " ".join(
        result.output.split())


# -- 9. report filters' operators and sort -------------------------------------------------


def test_report_filter_operators_and_sort_are_checked(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/a.yaml": CUSTOMER + "  tags: {type: multiselect, options: [a, b]}\n"
                                      "  kind: {type: select, options: [x, y]}\n",
        "reports/r.yaml": """
            name: by_kind
            label: By kind
            entity: customer
            filters:
              - [kind, like, x]
              - [created_at, has, x]
              - [company, LIKE, acme]
              - [tags, has, a]
              - [id, ">", 3]
            group_by: [kind]
            sort: tags
            """})
    found = errors_of(tmp_path)
    assert len(found) == 3, found
    assert found[0].endswith("r.yaml:5: filters[0][1]: operator 'like' does not apply to field "
                             "'kind' (a select field): use one of =, !=, in, not in, is null, "
                             "is not null")
    assert "r.yaml:6: filters[1][1]: operator 'has' does not apply to field 'created_at' (a " \
           "datetime field)" in found[1]
    assert found[2].endswith("r.yaml:11: sort: cannot sort by a multiselect field")


def test_report_sort_names_a_known_field(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER, "reports/r.yaml": """
        name: by_company
        label: By company
        entity: customer
        aggregates:
          - {function: count}
        sort: -compnay
        """})
    assert single_error(tmp_path).endswith(
        "r.yaml:6: sort: unknown field 'compnay' of entity 'customer'")
