"""docs/packs.md stays true to the code: keys, field types, the worked example and its output.

Conventions the page follows (and these tests rely on):

- a file of the worked example is a line ``File: `PATH` `` directly followed by a fenced block
  with the file's exact content; ``packs/rentals/...`` files are the example pack, identical
  to ``tests/fixtures/packs/rentals/``; other files (``instance/officina.toml``, a
  customisation) are written next to them before the transcript runs;
- ```` ```console ```` blocks are the worked example's transcript, run in order: lines
  starting with ``$ `` are commands, the lines after them what they print (standard output,
  then standard error).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from core.cli.main import main
from core.metadata import field_types
from core.metadata.field_types import FIELD_TYPES
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.names import RESERVED_FIELD_NAMES
from core.metadata.registry import load_registry
from core.metadata.schemas import BUILDERS, schema_for
from core.metadata.semantic_fields import DYNAMIC_DEFAULTS
from core.records.actor import SYSTEM, Actor
from core.records.errors import PermissionDenied, RecordValidationError
from core.records.naming import DATE_TOKENS
from core.records.reading import ListQuery
from core.records.service import RecordsService
from core.storage.database import Database
from core.storage.migrate import migrate
from core.storage.registry_store import RegistryStore
from tests.support.markdown import documented, markdown_sections

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "docs" / "packs.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
WORKFLOWS_DOC = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
FIXTURE_PACKS = ROOT / "tests" / "fixtures" / "packs"
EXAMPLE_PACK = FIXTURE_PACKS / "rentals"
EXAMPLE_PREFIX = "packs/rentals/"
# The section ("## ...") of the page that documents each kind of metadata file.
SECTIONS = {
    "pack": "pack.yaml",
    "entity": "Entities",
    "report": "Reports",
    "workflow": "Workflows",
    "calendar": "Calendars",
    "fixtures": "Fixtures",
    "overlay": "Customisations (overlay)",
    "document_template": "Templates and translations",
}
FILE_BLOCK = re.compile(r"^File: `(?P<path>[^`]+)`\n```(?P<lang>\w+)\n(?P<body>.*?)^```$",
                        re.MULTILINE | re.DOTALL)
CONSOLE_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.MULTILINE | re.DOTALL)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")
# The year the page shows in references of the yearly series RENT-{YYYY}-{####}.
DOC_YEAR = "2026"


def sections(level: int = 2) -> dict[str, str]:
    """The page's sections of one heading level (2 for ``##``), by heading text."""
    return markdown_sections(DOC, level)


def schema_keys(node: Any) -> set[str]:
    """Every property name anywhere in a JSON Schema."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "properties" and isinstance(value, dict):
                keys.update(value)
            keys |= schema_keys(value)
    elif isinstance(node, list):
        for item in node:
            keys |= schema_keys(item)
    return keys


def doc_files() -> dict[str, str]:
    """The files the page shows, by path."""
    files: dict[str, str] = {}
    for match in FILE_BLOCK.finditer(DOC):
        assert match["path"] not in files, f"{match['path']} is shown twice"
        files[match["path"]] = match["body"]
    return files


def table_rows(text: str) -> list[list[str]]:
    """Cells of the Markdown table rows in ``text`` whose first cell is code."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def codes(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


# -- (a) every key and every field type is documented -------------------------------------


def key_documentation(kind: str) -> tuple[str, str]:
    """Where every key of ``kind`` files must be documented: (description, text).

    Workflows have a page of their own, docs/workflows.md, which this page's section only
    summarises; calendars are documented in their section, every key of them.
    """
    if kind == "workflow":
        return "docs/workflows.md", WORKFLOWS_DOC
    if kind == "calendar":
        return f"section '{SECTIONS[kind]}' of docs/packs.md", sections()[SECTIONS[kind]]
    return "docs/packs.md", DOC


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_schema_key_is_documented(kind: str) -> None:
    where, text = key_documentation(kind)
    missing = sorted(k for k in schema_keys(schema_for(kind)) if not documented(k, text))
    assert not missing, f"keys of {kind} files missing from {where}: {missing}"


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_top_level_keys_are_documented_in_their_section(kind: str) -> None:
    assert kind in SECTIONS, f"docs/packs.md has no section for {kind} files"
    if kind == "workflow":  # summarised here, documented key by key in docs/workflows.md
        where, text = key_documentation(kind)
    else:
        where, text = f"section '{SECTIONS[kind]}'", sections()[SECTIONS[kind]]
    missing = sorted(k for k in schema_for(kind)["properties"] if not documented(k, text))
    assert not missing, f"{where} does not document {missing}"


def test_overlay_field_overrides_are_documented() -> None:
    overrides = schema_for("overlay")["properties"]["fields"]["additionalProperties"]
    text = sections()[SECTIONS["overlay"]]
    assert all(documented(key, text) for key in overrides["properties"])


def field_type_table() -> dict[str, list[str]]:
    rows = table_rows(sections(3)["Field types"])
    return {codes(row[0]).pop(): row for row in rows}


def operator_groups() -> dict[str, set[str]]:
    text = sections(3)["Field types"]
    return {name: codes(ops) for name, ops in
            re.findall(r"^- \*\*(\w+)\*\*: (.*)$", text, re.MULTILINE)}


def test_operator_groups_are_those_of_the_code() -> None:
    assert operator_groups() == {"comparison": set(field_types.COMPARISON),
                                 "text": set(field_types.TEXTUAL),
                                 "equality": set(field_types.EQUALITY)}


def test_every_field_type_is_documented_with_its_keys_and_operators() -> None:
    table = field_type_table()
    assert set(table) == set(FIELD_TYPES)
    groups = operator_groups()
    for name, field_type in FIELD_TYPES.items():
        _type, extra, _column, _input, _output, operators = table[name]
        assert codes(extra) == set(field_type.schema), f"extra keys of {name}"
        shown = groups.get(operators, set() if operators.startswith("none") else codes(operators))
        assert shown == set(field_type.operators), f"filter operators of {name}"


def test_every_type_specific_key_names_the_types_that_accept_it() -> None:
    rows = table_rows(sections(3)["Fields"])
    accepted: dict[str, set[str]] = {}
    for name, field_type in FIELD_TYPES.items():
        for key in field_type.schema:
            accepted.setdefault(key, set()).add(name)
    shown = {key: codes(row[1]) for row in rows if len(row) == 3 for key in codes(row[0])}
    assert {key: shown.get(key) for key in accepted} == accepted


def test_reserved_names_defaults_and_naming_tokens_are_documented() -> None:
    subsections = sections(3)
    assert all(documented(n, subsections["Names you cannot use"]) for n in RESERVED_FIELD_NAMES)
    for default, types in DYNAMIC_DEFAULTS.items():
        row = next(r for r in table_rows(subsections["Defaults"]) if codes(r[0]) == {default})
        assert codes(row[1]) == set(types), default
    assert all(documented(token, subsections["Naming series"]) for token in DATE_TOKENS)


def test_every_yaml_block_parses() -> None:
    for block in YAML_BLOCK.findall(DOC):
        YAML(typ="safe").load(block)


# -- (b) the worked example in the page is the pack under tests/fixtures ---------------------


def test_worked_example_files_are_the_fixture_pack() -> None:
    shown = {path.removeprefix(EXAMPLE_PREFIX): body for path, body in doc_files().items()
             if path.startswith(EXAMPLE_PREFIX)}
    on_disk = {str(p.relative_to(EXAMPLE_PACK)): p.read_bytes().decode("utf-8")
               for p in sorted(EXAMPLE_PACK.rglob("*")) if p.is_file()}
    assert sorted(shown) == sorted(on_disk)
    for path, body in on_disk.items():
        assert shown[path] == body, f"docs/packs.md shows another {path}"


def test_the_field_type_example_is_the_swatches_pack() -> None:
    prefix = "tests/fixtures/packs/swatches/"
    shown = {path: body for path, body in doc_files().items() if path.startswith(prefix)}
    assert sorted(shown) == [prefix + "entities/swatch.yaml", prefix + "hooks.py"]
    for path, body in shown.items():
        assert (ROOT / path).read_text(encoding="utf-8") == body, path


# -- (c) the example validates, and says what the page says it does -----------------------


def test_worked_example_validates() -> None:
    registry = load_registry(["rentals"], [FIXTURE_PACKS, BUILTIN_PACKS])
    assert sorted(registry.entities) == ["equipment", "rental", "rental_line", "renter"]
    rental = registry.entity("rental")
    assert rental.table_name == "rentals_rental"
    assert rental.naming == "RENT-{YYYY}-{####}"
    assert [tab.label for tab in rental.layout] == ["Rental", "Equipment", "Notes"]
    assert registry.entity("rental_line").is_child
    assert registry.parent_of("rental_line")[1].name == "lines"
    assert rental.permissions["workshop"] == {"read"}
    assert registry.entity("equipment").permissions["*"] == {"read"}


def test_customisation_examples_validate() -> None:
    overlay_section = sections()[SECTIONS["overlay"]]
    examples = [YAML_BLOCK.search(overlay_section)[1], doc_files()["equipment-custom.yaml"]]
    for text in examples:
        registry = load_registry(["rentals"], [FIXTURE_PACKS, BUILTIN_PACKS],
                                 overlays={"equipment": text})
        equipment = registry.entity("equipment")
        assert equipment.field("x_storage_bay").custom
        assert equipment.field("category").options[-1] == "gardening"
        assert equipment.field("daily_rate").label == "Rate per day"
        assert "x_storage_bay" in equipment.list_columns


# -- (d) end to end: migrate, create and list through the records service ------------------


@pytest.fixture
def rentals(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'rentals.sqlite3'}")
    store = RegistryStore(database, ["rentals"], [FIXTURE_PACKS, BUILTIN_PACKS],
                          check_interval=0)
    plan = migrate(database, store.current().registry)
    assert "apply: create table rentals_rental_line" in plan.describe()
    yield RecordsService(database, store)
    database.dispose()


def test_worked_example_end_to_end(rentals: RecordsService) -> None:
    year = dt.datetime.now(dt.UTC).year
    renter = rentals.create(SYSTEM, "renter", {"full_name": "Laura Conti"})
    assert (renter["ref"], renter["kind"], renter["id_checked"]) == ("RNT-0001", "private", False)
    drill = rentals.create(SYSTEM, "equipment", {
        "name": "Hammer drill 800 W", "category": "power_tools", "daily_rate": "18.00",
        "requirements": "training, ppe", "service_interval": "100h"})
    assert drill["ref"] == "EQ-00001"
    assert (drill["status"], drill["requirements"]) == ("available", ["training", "ppe"])
    assert drill["service_interval"] == 360000
    scaffold = rentals.create(SYSTEM, "equipment", {
        "name": "Mobile scaffold 6 m", "category": "access", "daily_rate": "60.00"})

    rental = rentals.create(SYSTEM, "rental", {
        "subject": "Flat renovation", "renter": "RNT-0001", "start_date": "2026-03-02",
        "end_date": "2026-03-06",
        "lines": [{"equipment": "EQ-00001", "quantity": 2, "daily_rate": "18.00"},
                  {"equipment": scaffold["id"], "daily_rate": "60.00"}]})
    assert rental["ref"] == f"RENT-{year}-0001"
    assert rental["_titles"] == {"renter": "Laura Conti"}
    assert [line["amount"] for line in rental["lines"]] == [Decimal("36.00"), Decimal("60.00")]
    assert rental["lines"][0]["_titles"] == {"equipment": "Hammer drill 800 W"}
    assert (rental["days"], rental["daily_total"], rental["total"]) == (
        5, Decimal("96.00"), Decimal("480.00"))
    assert (rental["status"], rental["handled_by"]) == ("reserved", "system")

    today = rentals.create(SYSTEM, "rental", {
        "subject": "Today", "renter": renter["id"], "end_date": "2099-01-01"})
    assert today["ref"] == f"RENT-{year}-0002"
    assert today["start_date"] == dt.datetime.now(dt.UTC).date()
    assert (today["daily_total"], today["total"]) == (Decimal("0.00"), Decimal("0.00"))

    page = rentals.list(SYSTEM, "rental", ListQuery(
        filters=[["renter", "=", "RNT-0001"], ["total", ">", 300]],
        fields=("ref", "renter", "total")))
    assert page.total == 1
    assert page.rows[0]["ref"] == rental["ref"]
    assert page.rows[0]["_titles"] == {"renter": "Laura Conti"}
    assert page.rows[0]["total"] == Decimal("480.00")
    default_order = rentals.list(SYSTEM, "rental", ListQuery(fields=("ref",)))
    assert [r["ref"] for r in default_order.rows] == [today["ref"], rental["ref"]]

    updated = rentals.update(SYSTEM, "rental", rental["ref"], {
        "version": 1, "end_date": "2026-03-03",
        "lines": [{"id": rental["lines"][1]["id"], "quantity": 2}]})
    assert updated["version"] == 2
    assert [(line["id"], line["amount"]) for line in updated["lines"]] == [
        (rental["lines"][1]["id"], Decimal("120.00"))]
    assert (updated["days"], updated["total"]) == (2, Decimal("240.00"))


def test_worked_example_refusals(rentals: RecordsService) -> None:
    rentals.create(SYSTEM, "renter", {"full_name": "Laura Conti"})
    with pytest.raises(RecordValidationError) as bad_input:
        rentals.create(SYSTEM, "rental", {
            "subject": "Oops", "renter": "RNT-0001", "end_date": "2026-05-08", "total": 100,
            "lines": [{"equipment": "Floor sander"}]})
    assert bad_input.value.field_errors == {
        "total": ["This field is read-only."],
        "lines.0.daily_rate": ["A value is required."],
        "lines.0.equipment": ['No equipment "Floor sander" exists.']}
    with pytest.raises(RecordValidationError) as backwards:
        rentals.create(SYSTEM, "rental", {
            "subject": "Backwards", "renter": "RNT-0001", "start_date": "2026-05-10",
            "end_date": "2026-05-08"})
    assert backwards.value.field_errors == {"days": ["Must be at least 1."]}

    workshop = Actor("giorgio", frozenset({"workshop"}))
    anyone = Actor("nina")
    assert rentals.list(workshop, "rental").total == 0
    assert rentals.list(anyone, "equipment").total == 0
    with pytest.raises(PermissionDenied, match=r"You may not create renters\."):
        rentals.create(workshop, "renter", {"full_name": "Paolo Neri"})
    with pytest.raises(PermissionDenied):
        rentals.list(anyone, "rental")


# -- the transcript of the worked example -------------------------------------------------


def transcript() -> list[tuple[str, str]]:
    """(command, expected output) pairs of the page's console blocks, in order."""
    steps: list[tuple[str, str]] = []
    for block in CONSOLE_BLOCK.findall(DOC):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((command, output))
    return steps


def normalised(text: str) -> str:
    """Output without what changes from run to run: timestamps and Officina's table count."""
    text = TIMESTAMP.sub("<timestamp>", text)
    text = re.sub(r"\d+ schema change\(s\)", "N schema change(s)", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


@pytest.mark.slow
def test_worked_example_transcript(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "work"
    for path, body in doc_files().items():
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    for variable in ("OFFICINA_INSTANCE", "OFFICINA_PACK_PATHS", "OFFICINA_DATABASE_URL",
                     "OFFICINA_ADMIN_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(work)
    year = str(dt.datetime.now(dt.UTC).year)
    steps = transcript()
    assert len(steps) >= 10
    for command, expected in steps:
        args = shlex.split(command.replace(f"RENT-{DOC_YEAR}-", f"RENT-{year}-"))
        assert args[0] == "officina", command
        monkeypatch.setattr(sys, "argv", args)
        try:
            main()
            status = 0
        except SystemExit as exc:
            status = exc.code
        printed = capsys.readouterr()
        actual = (printed.out + printed.err).replace(f"RENT-{year}-", f"RENT-{DOC_YEAR}-")
        assert normalised(actual) == normalised(expected), f"$ {command}"
        assert status == (1 if printed.err else 0), f"$ {command}: exit status {status}"
