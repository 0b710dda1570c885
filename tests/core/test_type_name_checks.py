"""No code outside the field-type registries branches on a type's name (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.type_names import checks_in, checks_under

ROOT = Path(__file__).parents[2]
REGISTRIES = frozenset({"core/metadata/field_types/", "core/ui/field_facets.py",
                        "core/field_registration.py"})
# Checks left, each where the registry cannot be imported without a circle (the registry
# imports these modules): the list may only shrink.
LEFT = {
    "core/metadata/specs.py": 2,  # FieldSpec.stored, EntitySpec.table_fields
    "core/metadata/value_limits.py": 1,  # the default lengths of text types
}


def test_no_code_outside_the_registries_branches_on_a_type_name() -> None:
    found: dict[str, list[str]] = {}
    for check in checks_under(ROOT / "core", ROOT, REGISTRIES):
        found.setdefault(check.path, []).append(str(check))
    over = {path: lines for path, lines in found.items() if len(lines) > LEFT.get(path, 0)}
    assert over == {}


def _checks(tmp_path: Path, source: str) -> list[str]:
    path = tmp_path / "sample.py"
    path.write_text(source)
    return [check.code for check in checks_in(path, tmp_path)]


def test_the_scan_finds_each_kind_of_check(tmp_path: Path) -> None:
    source = '''
NUMERIC = ("integer", "decimal")
WIDTHS = {"string": 1, "email": 2}
def f(spec, field_type, raw):
    kind = raw["type"]
    return (spec.type == "link", spec.type in ("date", "datetime"), spec.type in NUMERIC,
            field_type != "money", kind == "table", spec.type in {"file", "signature"})
'''
    assert _checks(tmp_path, source) == [
        "NUMERIC = ('integer', 'decimal')", "{'string': 1, 'email': 2}",
        "spec.type == 'link'", "spec.type in ('date', 'datetime')", "spec.type in NUMERIC",
        "field_type != 'money'", "kind == 'table'", "spec.type in {'file', 'signature'}"]


def test_the_scan_finds_a_type_name_handed_to_a_function_or_a_registry(tmp_path: Path) -> None:
    source = '''
def format_value(value, field_type, locale):
    return value
def f(value, spec):
    return (format_value(value, "date", "it"), shown(value, field_type="money"),
            FACETS["datetime"], format_value(value, spec.type, "it"), FACETS[spec.type])
'''
    assert _checks(tmp_path, source) == [
        "format_value(value, 'date', 'it')", "shown(value, field_type='money')",
        "FACETS['datetime']"]


def test_the_scan_leaves_other_types_and_kinds_alone(tmp_path: Path) -> None:
    source = '''
SCHEMA = {"type": "string"}
def f(action, event, schema, wanted):
    kind = wanted.kind
    return (action.type == "mail", event.type in ("created", "updated"),
            schema["type"] == "string", kind in ("boolean", "text", "link"),
            traits_of(spec).family == "link")
'''
    assert _checks(tmp_path, source) == []



TEMPLATE_CHECK = re.compile(r"\.type\s*(==|!=|\bin\b|\bnot in\b)")


def test_no_template_branches_on_a_type_name() -> None:
    templates = [*(ROOT / "core" / "ui" / "templates").rglob("*.html"),
                 *(ROOT / "packs").rglob("*.html")]
    found = [f"{path.relative_to(ROOT)}:{number}" for path in templates
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if TEMPLATE_CHECK.search(line)]
    assert templates and found == []
