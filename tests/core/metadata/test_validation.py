"""Each kind of metadata error is reported with its file, line and key path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.support.packs import write_pack

CUSTOMER = """
name: customer
label: Customer
fields:
  company: {type: string, length: 40}
"""


def errors_of(root: Path, packs: list[str] | None = None) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load_registry(packs or ["p"], [root])
    return [str(d) for d in caught.value.diagnostics]


def single_error(root: Path) -> str:
    found = errors_of(root)
    assert len(found) == 1, found
    return found[0]


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": """
        name: customer
        label: Customer
        fields:
          company: {type: string
          city: {type: string}
        """})
    error = single_error(tmp_path)
    assert error.startswith(f"{tmp_path}/p/entities/a.yaml:5: ")
    assert "YAML" in error


def test_unknown_field_type(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  age: {type: number}\n"})
    error = single_error(tmp_path)
    assert error.startswith(f"{tmp_path}/p/entities/a.yaml:5: fields.age.type: 'number' is not")


def test_misspelt_key_is_named(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  code: {type: string, lenght: 4}\n"})
    assert single_error(tmp_path).endswith("a.yaml:5: fields.code.lenght: unknown key 'lenght'")


def test_missing_required_key(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": "name: customer\nfields:\n  a: {type: text}\n"})
    assert single_error(tmp_path).endswith("a.yaml:1: (document): 'label' is a required property")


def test_link_to_missing_entity(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER
                               + "  agent:\n    type: link\n    target: agent\n"})
    assert single_error(tmp_path).endswith(
        "a.yaml:7: fields.agent.target: link to unknown entity 'agent'")


def test_list_column_and_layout_naming_unknown_fields(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + textwrap.dedent("""
        list:
          columns: [company, town]
        layout:
          sections:
            - columns: [[company], [zip]]
        """)})
    found = errors_of(tmp_path)
    assert any(e.endswith("a.yaml:7: list.columns[1]: unknown field 'town' of entity 'customer'")
               for e in found), found
    assert any(e.endswith("a.yaml:10: layout.sections[0].columns[1][0]: unknown field 'zip' of "
                          "entity 'customer'") for e in found), found


def test_duplicate_field_name(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  company: {type: text}\n"})
    error = single_error(tmp_path)
    assert "a.yaml:5:" in error and 'duplicate key "company"' in error


def test_duplicate_entity_across_packs(tmp_path: Path) -> None:
    write_pack(tmp_path, "base", {"entities/customer.yaml": CUSTOMER})
    write_pack(tmp_path, "p", {"entities/again.yaml": CUSTOMER}, depends=["base"])
    error = single_error(tmp_path)
    assert error.startswith(f"{tmp_path}/p/entities/again.yaml:1: name: entity 'customer' is "
                            f"already defined in {tmp_path}/base/entities/customer.yaml:1")


@pytest.mark.parametrize("name, reason", [("version", "standard column"),
                                          ("select", "SQL reserved word"),
                                          ("ref", "standard column")])
def test_reserved_field_names(tmp_path: Path, name: str, reason: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + f"  {name}: {{type: integer}}\n"})
    error = single_error(tmp_path)
    assert f"a.yaml:5: fields.{name}: '{name}' is a" in error and reason in error


def test_field_name_must_be_snake_case_and_short(tmp_path: Path) -> None:
    long_name = "a" * 64
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + f"  {long_name}: {{type: text}}\n"
                               + "  CamelCase: {type: text}\n"})
    found = errors_of(tmp_path)
    assert len(found) == 2, found
    assert found[0].endswith(f"a.yaml:5: fields.{long_name}: '{long_name}' is not a valid name: "
                             "use a lowercase snake_case name of at most 63 characters")
    assert found[1].endswith("a.yaml:6: fields.CamelCase: 'CamelCase' is not a valid name: use a "
                             "lowercase snake_case name of at most 63 characters")


def test_child_table_cycle(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/a.yaml": CUSTOMER + "  lines: {type: table, target: line}\n",
        "entities/line.yaml": """
            name: line
            label: Line
            child: true
            fields:
              sub: {type: table, target: subline}
            """,
        "entities/subline.yaml": """
            name: subline
            label: Sub-line
            child: true
            fields:
              back: {type: table, target: line}
            """})
    found = errors_of(tmp_path)
    assert any("line.yaml:4: fields: child tables form a cycle: line -> subline -> line" in e
               for e in found), found


def test_table_of_a_non_child_entity(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/a.yaml": CUSTOMER + "  others: {type: table, target: other}\n",
        "entities/b.yaml": "name: other\nlabel: Other\nfields:\n  x: {type: text}\n"})
    assert single_error(tmp_path).endswith(
        "a.yaml:5: fields.others.target: 'other' is not a child entity: declare it with "
        "'child: true'")


def test_missing_dependency_pack(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER}, depends=["crm"])
    assert single_error(tmp_path) == (f"{tmp_path}/p/pack.yaml:3: depends[0]: depends on pack "
                                      "'crm', which is not installed")


def test_pack_dependency_cycle(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {}, depends=["q"])
    write_pack(tmp_path, "q", {}, depends=["p"])
    assert "dependency cycle between packs: p -> q -> p" in single_error(tmp_path)


def test_link_to_another_packs_entity(tmp_path: Path) -> None:
    write_pack(tmp_path, "base", {"entities/customer.yaml": CUSTOMER})
    write_pack(tmp_path, "p", {"entities/order.yaml": """
        name: purchase
        label: Purchase
        fields:
          customer: {type: link, target: customer}
        """}, depends=["base"])
    registry = load_registry(["p"], [tmp_path])
    assert [p.name for p in registry.packs] == ["base", "p"]
    assert registry.entity("purchase").field("customer").target == "customer"
    assert registry.entity("customer").table_name == "base_customer"


@pytest.mark.parametrize("spec, key, message", [
    ("{type: date, default: tomorrow}", "default", "invalid default"),
    ("{type: string, default: $today}", "default", "'$today' is not a default for a string"),
    ("{type: select, options: [a, b], default: c}", "default", "invalid default: Must be one of"),
    ("{type: string, pattern: '([a-z'}", "pattern", "invalid regular expression"),
    ("{type: money, computed: 'qty *'}", "computed", "syntax error in formula"),
    ("{type: decimal, precision: 4, scale: 6}", "scale", "scale cannot exceed precision"),
    ("{type: integer, min: 10, max: 1}", "min", "min is greater than max"),
])
def test_field_value_errors(tmp_path: Path, spec: str, key: str, message: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + f"  extra: {spec}\n"})
    error = single_error(tmp_path)
    assert f"a.yaml:5: fields.extra.{key}: " in error and message in error, error


@pytest.mark.parametrize("spec, message", [
    ("{type: string, fetch_from: city.name}", "'city' is not a link field of this entity"),
    ("{type: string, fetch_from: parent.nickname}", "'customer' has no field 'nickname'"),
    ("{type: integer, fetch_from: parent.company}",
     "'customer.company' is a string field: it cannot fill an integer field"),
    ("{type: string, computed: 'company', fetch_from: parent.company}",
     "a computed field cannot also be fetched"),
])
def test_fetch_from_names_a_link_and_a_field_of_the_same_type(tmp_path: Path, spec: str,
                                                              message: str) -> None:
    fields = "  parent: {type: link, target: customer}\n" + f"  extra: {spec}\n"
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + fields})
    error = single_error(tmp_path)
    assert "a.yaml:6: fields.extra.fetch_from: " in error and message in error, error


@pytest.mark.parametrize("spec, key, message", [
    ("{type: string, required_when: {field: company, in: [x]}}", "required_when.field",
     "'company' is not another select or yes/no field of this entity"),
    ("{type: string, visible_when: {field: kind, in: [c]}}", "visible_when.in[0]",
     "'c' is not an option of 'kind'"),
])
def test_depends_on_names_a_select_and_its_options(tmp_path: Path, spec: str, key: str,
                                                   message: str) -> None:
    fields = "  kind: {type: select, options: [a, b]}\n" + f"  extra: {spec}\n"
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + fields})
    error = single_error(tmp_path)
    assert f"a.yaml:6: fields.extra.{key}: " in error and message in error, error


@pytest.mark.parametrize("spec, key, message", [
    ("{type: select, options: [a, b], badges: {c: {color: red}}}", "badges.c",
     "'c' is not an option of the field"),
    ("{type: string, badges: {a: {color: red}}}", "badges", "only select fields have badges"),
    ("{type: date, due: true}", "due", "only datetime fields show as due"),
    ("{type: datetime, due: {field: company, in: [x]}}", "due.field",
     "'company' is not a select field of this entity"),
])
def test_badges_and_due_name_real_options(tmp_path: Path, spec: str, key: str,
                                          message: str) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + f"  extra: {spec}\n"})
    error = single_error(tmp_path)
    assert f"a.yaml:5: fields.extra.{key}: " in error and message in error, error


def test_menu_sections_and_home_queues_name_real_entities_fields_and_options(
        tmp_path: Path) -> None:
    manifest = """name: p
version: "1.0"
navigation:
  - {label: Desk, entities: [customer, custumer]}
home:
  - {label: Mine, entity: customer, filters: {company: x}}
  - {label: Flags, entity: thing, filters: {kind: z, done: maybe}, sort: -nothing}
"""
    thing = """
        name: thing
        label: Thing
        fields:
          kind: {type: select, options: [x, y]}
          done: {type: boolean}
        """
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER, "entities/b.yaml": thing},
               manifest=manifest)
    found = errors_of(tmp_path)
    assert any("pack.yaml:4: navigation[0].entities[1]: unknown entity 'custumer'" in e
               for e in found), found
    assert any("pack.yaml:6: home[0].filters.company: 'company' is not an option, yes/no"
               in e for e in found), found
    assert any("pack.yaml:7: home[1].filters.kind: 'z' is not an option of 'kind'" in e
               for e in found), found
    assert any("home[1].filters.done: 'done' is yes/no: write true or false" in e
               for e in found), found
    assert any("home[1].sort: unknown field 'nothing' of entity 'thing'" in e
               for e in found), found


def test_database_limits_refused_at_validation(tmp_path: Path) -> None:
    wide = "".join(f"  code_{i}: {{type: string, length: 400}}\n" for i in range(30))
    many = "".join(f"  flag_{i}: {{type: boolean}}\n" for i in range(1000))
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + wide,
                               "entities/b.yaml": CUSTOMER.replace("customer", "other") + many})
    found = errors_of(tmp_path)
    assert any("a.yaml:3: fields: a row could reach" in e for e in found), found
    assert any("b.yaml:3: fields: too many fields" in e for e in found), found


def test_reports_and_fixtures_name_real_entities_and_fields(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {
        "entities/a.yaml": CUSTOMER,
        "reports/r.yaml": """
            name: by_city
            label: By city
            entity: customer
            group_by: [city]
            aggregates:
              - {function: sum, field: company}
            """,
        "fixtures/demo.yaml": """
            records:
              - entity: custumer
                values: {company: X}
            """})
    found = errors_of(tmp_path)
    assert any("r.yaml:4: group_by[0]: unknown field 'city'" in e for e in found), found
    assert any("r.yaml:6: aggregates[0].field: field 'company' is a string field" in e
               for e in found), found
    assert any("demo.yaml:2: records[0].entity: unknown entity 'custumer'" in e
               for e in found), found


def test_every_file_error_is_reported_at_once(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  x: {type: lnk}\n",
                               "entities/b.yaml": "name: [\n",
                               "entities/c.yaml": CUSTOMER.replace("label", "labl")})
    found = errors_of(tmp_path)
    assert [Path(e.split(":")[0]).name for e in found] == ["a.yaml", "b.yaml", "c.yaml", "c.yaml"]


def test_cross_file_errors_are_reported_together(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/a.yaml": CUSTOMER + "  x: {type: link, target: nope}\n",
                               "entities/b.yaml": CUSTOMER.replace("customer", "other")
                               + "  select: {type: text}\n"})
    assert len(errors_of(tmp_path)) == 2
