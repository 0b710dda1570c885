"""docs/workflows.md stays true to the code: its example pack, every key, its diagnostics.

Conventions the page follows (and these tests rely on):

- a file of the example pack is a line ``File: `packs/workflowdocs/PATH` `` directly followed
  by a fenced ``yaml`` block with the file's exact content, the same as
  ``tests/fixtures/packs/workflowdocs/PATH``;
- a broken example is a line ``Broken: `packs/workflowdocs/PATH` `` directly followed by a
  ``yaml`` block (a file added to the example pack), a blank line and a ``text`` block with
  the diagnostics loading the pack then gives, one per line, as ``officina pack validate``
  prints them;
- the table in "Timers and business hours" gives the deadlines of the example's
  ``compute_deadlines`` rule, in the local time of its calendar.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from ruamel.yaml import YAML

from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.metadata.schemas import schema_for
from core.metadata.workflow_conditions import OPERATORS
from core.records.actor import SYSTEM, Actor
from core.records.errors import PermissionDenied, RecordValidationError
from core.rules.actions import ACTIONS, RuleRefused
from core.rules.engine import RulesEngine
from core.rules.mail import TEMPLATE_PARTS, MailSettings
from core.rules.worker import Worker
from core.users import create_user
from tests.conftest import Env, open_env
from tests.support.markdown import documented, markdown_sections
from tests.support.packs import write_pack
from tests.support.users import FAST_HASHING

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
PACKS_DOC = (ROOT / "docs" / "packs.md").read_text(encoding="utf-8")
FIXTURE_PACKS = ROOT / "tests" / "fixtures" / "packs"
PACK = FIXTURE_PACKS / "workflowdocs"
PREFIX = "packs/workflowdocs/"
FILE_BLOCK = re.compile(r"^File: `(?P<path>[^`]+)`\n```yaml\n(?P<body>.*?)^```$",
                        re.MULTILINE | re.DOTALL)
BROKEN_BLOCK = re.compile(r"^Broken: `(?P<path>[^`]+)`\n```yaml\n(?P<body>.*?)^```\n\n"
                          r"```text\n(?P<output>.*?)^```$", re.MULTILINE | re.DOTALL)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ROME = ZoneInfo("Europe/Rome")


def sections(level: int, text: str = DOC) -> dict[str, str]:
    """The sections of one heading level of ``text`` (this page by default)."""
    return markdown_sections(text, level)


def missing(keys: Any, text: str) -> list[str]:
    return sorted(k for k in keys if not documented(k, text))


def property_names(node: Any) -> set[str]:
    """Every property name of a JSON Schema, walking ``properties`` and ``$defs`` alike."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "properties" and isinstance(value, dict):
                keys.update(value)
            keys |= property_names(value)
    elif isinstance(node, list):
        for item in node:
            keys |= property_names(item)
    return keys


WORKFLOW = schema_for("workflow")
DEFS = WORKFLOW["$defs"]
RULE = WORKFLOW["properties"]["rules"]["items"]
MACHINE = WORKFLOW["properties"]["state_machine"]
TRANSITION = MACHINE["properties"]["transitions"]["items"]


# -- (a) the files shown are the fixture pack ------------------------------------------------


def shown_files() -> dict[str, str]:
    files: dict[str, str] = {}
    for match in FILE_BLOCK.finditer(DOC):
        assert match["path"].startswith(PREFIX), f"{match['path']} is not in the example pack"
        assert match["path"] not in files, f"{match['path']} is shown twice"
        files[match["path"].removeprefix(PREFIX)] = match["body"]
    return files


def test_every_file_shown_is_the_fixture_file() -> None:
    shown = shown_files()
    on_disk = {str(p.relative_to(PACK)): p.read_bytes().decode("utf-8")
               for p in sorted(PACK.rglob("*")) if p.is_file()}
    assert sorted(shown) == sorted(on_disk)
    for path, body in on_disk.items():
        assert shown[path] == body, f"docs/workflows.md shows another {path}"


def test_every_yaml_block_is_preceded_by_its_file_or_is_a_snippet_that_parses() -> None:
    for block in YAML_BLOCK.findall(DOC):
        YAML(typ="safe").load(block)
    for match in re.finditer(r"^(.*)\n```yaml\n", DOC, re.MULTILINE):
        if match[1].startswith(("File: ", "Broken: ")):
            assert re.match(r"(File|Broken): `packs/workflowdocs/[^`]+`$", match[1]), match[1]


# -- (b) the example pack validates -----------------------------------------------------------


def test_example_pack_validates() -> None:
    registry = load_registry(["workflowdocs"], [FIXTURE_PACKS, BUILTIN_PACKS])
    assert sorted(registry.entities) == ["intervention", "maintenance", "service_call"]
    assert sorted(registry.workflows) == ["call_deadlines", "call_lifecycle", "call_visit",
                                          "maintenance_reminder"]
    assert sorted(registry.calendars) == ["office"]
    machine = registry.state_machine("service_call")
    assert machine is not None and machine.initial == "new"
    assert machine.transition("close").roles == frozenset({"coordinator"})
    assert machine.transition("start").guard is not None
    assert registry.workflows["call_deadlines"].calendar == "office"


# -- (c) every key, trigger, operator and action is documented --------------------------------


def test_every_workflow_key_is_documented() -> None:
    assert not missing(property_names(WORKFLOW), DOC)


def test_keys_are_documented_in_their_sections() -> None:
    level2, level3 = sections(2), sections(3)
    assert not missing(WORKFLOW["properties"], level2["The workflow file"])
    assert not missing(RULE["properties"], level2["Rules"])
    assert not missing(MACHINE["properties"], level2["State machines"])
    assert not missing(TRANSITION["properties"], level2["State machines"])
    assert not missing(RULE["properties"]["on"]["enum"], level3["Triggers"])
    assert not missing(property_names(DEFS["condition"]), level3["Conditions"])
    assert not missing(OPERATORS, level3["Conditions"])
    assert not missing(property_names(DEFS["action"]), level2["Actions"])


def test_every_action_of_the_engine_has_its_own_heading() -> None:
    headings = set(re.findall(r"^### `(\w+)`$", DOC, re.MULTILINE))
    assert headings == set(ACTIONS) == set(DEFS["action"]["properties"])


def test_calendars_mail_templates_and_mail_settings_are_documented() -> None:
    level2, level3 = sections(2), sections(3)
    assert not missing(property_names(schema_for("calendar")), level2["Calendars"])
    assert not missing(TEMPLATE_PARTS, level2["Mail templates"])
    settings = [f.name for f in dataclasses.fields(MailSettings)]
    assert not missing(settings, level3["Mail settings"])


def test_packs_page_links_here() -> None:
    assert "(workflows.md)" in sections(2, PACKS_DOC)["Workflows"]


# -- (d) the broken examples give the diagnostics shown ---------------------------------------


BROKEN = list(BROKEN_BLOCK.finditer(DOC))


def test_there_are_broken_examples() -> None:
    assert len(BROKEN) >= 5
    assert len(BROKEN) == DOC.count("\nBroken: `")


def line_of(match: re.Match[str]) -> str:
    return f"line{DOC.count(chr(10), 0, match.start()) + 1}"


@pytest.mark.parametrize("example", BROKEN, ids=line_of)
def test_broken_example_gives_the_diagnostics_shown(example: re.Match[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = example["path"].removeprefix(PREFIX)
    files = {str(p.relative_to(PACK)): p.read_text(encoding="utf-8")
             for p in PACK.rglob("*.yaml") if p.name != "pack.yaml"}
    files[path] = example["body"]
    write_pack(tmp_path / "packs", "workflowdocs", files,
               manifest=(PACK / "pack.yaml").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)  # diagnostics name files relative to the working folder
    with pytest.raises(MetadataError) as error:
        load_registry(["workflowdocs"], [Path("packs"), BUILTIN_PACKS])
    assert [str(d) for d in error.value.diagnostics] == example["output"].splitlines()


# -- the examples do what the page says -------------------------------------------------------

COORDINATOR = Actor("anna", frozenset({"coordinator"}), language="it")
TECHNICIAN = Actor("marco", frozenset({"technician"}))
OFFICE = Actor("olga", frozenset({"office"}))


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@dataclasses.dataclass
class Service:
    env: Env
    clock: Clock
    worker: Worker

    @property
    def records(self):
        return self.env.service

    def rows(self, table: str) -> list[dict[str, Any]]:
        t = self.env.schema.system[table]
        with self.env.database.read() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.select(t).order_by(t.c.id))]


def utc(local: dt.datetime) -> dt.datetime:
    """A naive local time in Rome as naive UTC (how Officina stores times)."""
    return local.replace(tzinfo=ROME).astimezone(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    env = open_env(f"sqlite:///{tmp_path / 'docs.sqlite3'}", ["workflowdocs"], [FIXTURE_PACKS])
    clock = Clock(utc(dt.datetime(2026, 3, 2, 10, 0)))
    engine = RulesEngine(env.service, clock=clock)
    env.service.events = engine
    env.service.clock = clock
    with env.database.write() as connection:
        create_user(connection, "anna", "pw", roles=("coordinator",),
                    email="anna@example.com", language="it", hashing=FAST_HASHING)
        create_user(connection, "marco", "pw", roles=("technician",), email="marco@example.com",
                    hashing=FAST_HASHING)
        create_user(connection, "olga", "pw", roles=("office",), hashing=FAST_HASHING)
    yield Service(env, clock, Worker(engine, clock=clock))
    env.database.dispose()


def deadline_table() -> list[list[str]]:
    text = sections(2)["Timers and business hours"]
    return [[cell.strip() for cell in line.split("|")[1:-1]]
            for line in text.splitlines() if re.match(r"\| (Mon|Tue|Wed|Thu|Fri|Sat|Sun) ", line)]


def test_deadline_table_has_rows() -> None:
    assert len(deadline_table()) >= 4


@pytest.mark.parametrize("row", deadline_table(), ids=lambda row: f"{row[0]} {row[1]}")
def test_deadlines_are_those_of_the_table(row: list[str], service: Service) -> None:
    opened_text, priority, response_text, warning_text, resolution_text = row
    opened = dt.datetime.strptime(opened_text, "%a %d %B %Y, %H:%M")

    def moment(text: str) -> dt.datetime:
        return dt.datetime.strptime(f"{text.split(',')[0]} {opened.year},{text.split(',')[1]}",
                                    "%a %d %B %Y, %H:%M")

    call = service.records.create(OFFICE, "service_call", {
        "subject": "Boiler leaking", "priority": priority.split()[0],
        "opened_at": utc(opened).isoformat()})
    response, resolution = moment(response_text), moment(resolution_text)
    warning = dt.datetime.combine(response.date(), dt.time.fromisoformat(warning_text))
    assert call["response_due"] == utc(response)
    assert call["resolution_due"] == utc(resolution)
    timers = {t["name"]: t["due_at"] for t in service.rows("officina_timer")}
    assert timers == {"response_warning": utc(warning), "response_deadline": utc(response)}


def test_first_intervention_warning_and_escalation(service: Service) -> None:
    call = service.records.create(OFFICE, "service_call", {
        "subject": "Boiler leaking", "needs_visit": True,
        "opened_at": service.clock.now.isoformat()})
    interventions = service.records.list(SYSTEM, "intervention").rows
    assert [(i["service_call"], i["description"]) for i in interventions] == [
        (call["id"], "First visit: Boiler leaking")]
    plain = service.records.create(OFFICE, "service_call", {"subject": "Invoice question"})
    assert service.records.list(SYSTEM, "intervention").total == 1
    assert plain["response_due"] is not None

    service.clock.now = utc(dt.datetime(2026, 3, 2, 15, 31))  # past both timers of both calls
    report = service.worker.run_once()
    assert report.timers == 4
    notices = [(n["username"], n["message"]) for n in service.rows("officina_notification")]
    assert notices == [("anna", "Una chiamata va presa in carico entro 30 minuti.")] * 2
    assert service.records.get(SYSTEM, "service_call", call["id"])["escalated"] is True
    mails = [m for m in service.rows("officina_outbox") if m["kind"] == "mail"]
    assert len(mails) == 2
    assert f"{call['ref']} ha superato il tempo di risposta" in mails[0]["payload"]


def test_lifecycle_refusals_are_those_of_the_page(service: Service) -> None:
    records = service.records
    call = records.create(OFFICE, "service_call", {"subject": "Boiler leaking"})

    def refused(error: type[Exception], action: Any, *args: Any, **kwargs: Any) -> str:
        with pytest.raises(error) as caught:
            action(*args, **kwargs)
        message = caught.value.message  # type: ignore[attr-defined]
        assert message in DOC, message
        return message

    refused(RecordValidationError, records.create, OFFICE, "service_call",
            {"subject": "Wrong start", "status": "planned"})
    refused(RecordValidationError, records.update, SYSTEM, "service_call", call["id"],
            {"status": "closed"}, version=call["version"])
    refused(RecordValidationError, records.transition, TECHNICIAN, "service_call", call["id"],
            "start")
    records.transition(OFFICE, "service_call", call["id"], "plan")
    assert {t["status"] for t in service.rows("officina_timer")} == {"cancelled"}
    refused(RecordValidationError, records.transition, TECHNICIAN, "service_call", call["id"],
            "start")
    current = records.get(SYSTEM, "service_call", call["id"])
    started = records.update(TECHNICIAN, "service_call", call["id"],
                             {"technician": "marco", "status": "in_progress"},
                             version=current["version"])
    assert started["status"] == "in_progress"
    service.clock.now = utc(dt.datetime(2026, 3, 2, 16, 0))
    resolved = records.transition(TECHNICIAN, "service_call", call["id"], "resolve")
    assert resolved["resolved_at"] == service.clock.now
    assert resolved["time_to_resolve"] == 4.5 * 3600  # 10:00-12:30 and 14:00-16:00
    refused(PermissionDenied, records.transition, TECHNICIAN, "service_call", call["id"],
            "close")
    refused(RuleRefused, records.transition, COORDINATOR, "service_call", call["id"], "close")
    current = records.get(SYSTEM, "service_call", call["id"])
    closed = records.update(COORDINATOR, "service_call", call["id"],
                            {"status": "closed", "closing_notes": "Seal replaced."},
                            version=current["version"])
    assert closed["status"] == "closed"


def test_maintenance_reminder_runs_once_a_day_and_once_per_date(service: Service) -> None:
    records = service.records
    service.clock.now = utc(dt.datetime(2026, 3, 2, 6, 0))
    soon = records.create(COORDINATOR, "maintenance", {
        "description": "Yearly boiler check", "planned_for": "2026-03-12"})
    later = records.create(COORDINATOR, "maintenance", {
        "description": "Chimney cleaning", "planned_for": "2026-04-20"})
    assert service.worker.run_once().schedules == 0  # the schedule starts counting now
    service.clock.now = utc(dt.datetime(2026, 3, 2, 7, 1))
    assert service.worker.run_once().schedules == 1
    assert records.get(SYSTEM, "maintenance", soon["id"])["reminder_sent"] is True
    assert records.get(SYSTEM, "maintenance", later["id"])["reminder_sent"] is False
    mails = [m["payload"] for m in service.rows("officina_outbox")]
    assert len(mails) == 1 and "Conferma la manutenzione del 12/03/2026" in mails[0]

    current = records.get(SYSTEM, "maintenance", soon["id"])
    moved = records.update(COORDINATOR, "maintenance", soon["id"],
                           {"planned_for": "2026-03-13"}, version=current["version"])
    assert moved["reminder_sent"] is False
    service.clock.now = utc(dt.datetime(2026, 3, 3, 7, 1))
    assert service.worker.run_once().schedules == 1
    assert len(service.rows("officina_outbox")) == 2


def test_examples_of_the_packs_page_validate(tmp_path: Path) -> None:
    level2 = sections(2, PACKS_DOC)
    workflow = YAML_BLOCK.search(level2["Workflows"])[1]
    rentals = FIXTURE_PACKS / "rentals"
    files = {str(p.relative_to(rentals)): p.read_text(encoding="utf-8")
             for p in rentals.rglob("*.yaml") if p.name != "pack.yaml"}
    files["workflows/rental_flow.yaml"] = workflow
    write_pack(tmp_path, "rentals", files,
               manifest=(rentals / "pack.yaml").read_text(encoding="utf-8"))
    registry = load_registry(["rentals"], [tmp_path, BUILTIN_PACKS])
    assert registry.state_machine("rental") is not None
    calendar = YAML_BLOCK.search(level2["Calendars"])[1]
    assert calendar == (PACK / "calendars" / "office.yaml").read_text(encoding="utf-8")
