"""Fixtures as `officina demo` loads them: relative dates, steps, existing records, errors."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.config import Settings
from core.fixtures import Clock, load_fixtures
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.errors import RecordError
from core.records.reading import ListQuery
from core.users import actor_for, create_user, verify_password
from tests.conftest import migrate_instance
from tests.support.packs import write_pack
from tests.support.users import FAST_HASHING

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def officina(database_url: str, tmp_path: Path, packs_dir: Path) -> Iterator[Officina]:
    """An instance of the fixturesteps pack (a copy that tests may add files to)."""
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("fixturesteps",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    instance = Officina.open(settings)
    migrate_instance(instance)
    yield instance
    instance.close()


def fixture_file(packs_dir: Path, name: str, text: str) -> Path:
    path = packs_dir / "fixturesteps" / "fixtures" / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def rows(officina: Officina, entity: str) -> list[dict]:
    return officina.records.list(SYSTEM, entity, ListQuery(sort=("id",))).rows


def local(moment: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) moment in Rome's time."""
    return moment.replace(tzinfo=dt.UTC).astimezone(ROME)


def test_relative_dates_resolve_against_the_load_time_in_the_instance_zone() -> None:
    # 23:30 UTC on 28 March 2026 is already 29 March in Rome, the day summer time starts.
    clock = Clock(dt.datetime(2026, 3, 28, 23, 30), ROME)
    assert clock.relative("$today") == dt.date(2026, 3, 29)
    assert clock.relative("$today-30d") == dt.date(2026, 2, 27)
    assert clock.relative("$today+2w") == dt.date(2026, 4, 12)
    # 9:00 in Rome on a summer-time day is 7:00 UTC; the day before, 8:00 UTC.
    assert clock.relative("$today+9h") == dt.datetime(2026, 3, 29, 7, 0)
    assert clock.relative("$today-1d+9h30m") == dt.datetime(2026, 3, 28, 8, 30)
    assert clock.relative("$now-3d+2h") == dt.datetime(2026, 3, 26, 1, 30)
    for wrong in ("$today-3x", "$now+", "$today 2d", "$nowadays"):
        with pytest.raises(ValueError):
            clock.relative(wrong)


def test_records_are_created_found_and_moved_through_their_workflow(
        officina: Officina) -> None:
    before = officina.records.clock()
    loaded = load_fixtures(officina, "fixturesteps", SYSTEM)
    assert [Path(f).name for f in loaded] == ["10-jobs.yaml"]
    today = Clock(before, ROME).today
    boiler, pump = rows(officina, "job")
    assert (boiler["subject"], boiler["status"], boiler["assignee"]) == (
        "Boiler check", "done", "anna")
    assert boiler["due_on"] == today + dt.timedelta(days=14)
    opened = boiler["opened_at"] - (before - dt.timedelta(days=3) + dt.timedelta(hours=2))
    assert dt.timedelta(0) <= opened < dt.timedelta(minutes=5)
    lines = officina.records.get(SYSTEM, "job", boiler["id"])["lines"]
    assert [(line["work_date"], line["hours"]) for line in lines] == [
        (today - dt.timedelta(days=1), 2)]
    assert pump["status"] == "open"
    # The rule made one visit per job; the fixture found the boiler's and completed it.
    visits = {v["job"]: v for v in rows(officina, "visit")}
    assert len(visits) == 2
    done = visits[boiler["id"]]
    assert done["status"] == "done"
    assert local(done["starts_at"]).replace(tzinfo=None) == dt.datetime.combine(
        today - dt.timedelta(days=2), dt.time(9))
    assert visits[pump["id"]]["status"] == "planned"


def test_a_second_load_loads_nothing(officina: Officina) -> None:
    load_fixtures(officina, "fixturesteps", SYSTEM)
    assert load_fixtures(officina, "fixturesteps", SYSTEM) == []
    assert len(rows(officina, "job")) == 2 and len(rows(officina, "visit")) == 2


def test_a_find_that_matches_nothing_names_file_and_line_and_writes_nothing(
        officina: Officina, packs_dir: Path) -> None:
    fixture_file(packs_dir, "20-more.yaml", """
        records:
          - entity: job
            values: {subject: Leak}
          - entity: visit
            find: {note: Visit for a ghost}
            steps:
              - transition: complete
        """)
    with pytest.raises(RecordError) as raised:
        load_fixtures(officina, "fixturesteps", SYSTEM)
    assert str(raised.value).endswith(
        "fixtures/20-more.yaml:5: records[1].find: No visit matches note: Visit for a ghost.")
    assert rows(officina, "job") == [] and rows(officina, "visit") == []
    # Nothing is remembered as loaded either: once fixed, both files load.
    fixture_file(packs_dir, "20-more.yaml", """
        records:
          - entity: job
            values: {subject: Leak}
        """)
    assert len(load_fixtures(officina, "fixturesteps", SYSTEM)) == 2


def test_a_find_that_matches_several_records_is_refused(officina: Officina,
                                                        packs_dir: Path) -> None:
    fixture_file(packs_dir, "20-more.yaml", """
        records:
          - entity: job
            values: {subject: Leak}
          - entity: visit
            find: {status: planned}
        """)
    with pytest.raises(RecordError, match=r"20-more.yaml:5: records\[1\].find: Several "
                                          r"records of visit match status: planned"):
        load_fixtures(officina, "fixturesteps", SYSTEM)


def test_a_step_the_workflow_refuses_names_file_and_line_and_writes_nothing(
        officina: Officina, packs_dir: Path) -> None:
    fixture_file(packs_dir, "20-more.yaml", """
        records:
          - entity: job
            values: {subject: Leak}
            steps:
              - update: {notes: Dripping}
              - transition: assign
        """)
    with pytest.raises(RecordError) as raised:
        load_fixtures(officina, "fixturesteps", SYSTEM)
    message = str(raised.value)
    assert message.startswith(f"{packs_dir}/fixturesteps/fixtures/20-more.yaml:6: "
                              "records[0].steps[1]: "), message
    assert rows(officina, "job") == [] and rows(officina, "visit") == []


def test_a_bad_relative_date_names_file_line_and_the_fix(officina: Officina,
                                                         packs_dir: Path) -> None:
    fixture_file(packs_dir, "20-more.yaml", """
        records:
          - entity: job
            values: {subject: Leak, due_on: "$today+3x"}
        """)
    with pytest.raises(RecordError, match=r"20-more.yaml:3: records\[0\].values: "
                                          r"\"\$today\+3x\" is not a relative date: use "
                                          r"\$today or \$now"):
        load_fixtures(officina, "fixturesteps", SYSTEM)
    assert rows(officina, "job") == []


def test_a_row_the_fixtures_schema_refuses_names_file_and_line_and_writes_nothing(
        officina: Officina, packs_dir: Path) -> None:
    fixture_file(packs_dir, "20-more.yaml", """
        # rows the quick parse reads: the schema's complaint still names its line
        records:
          - entity: job
            values: {subject: Leak}
          - entity: job
            valeus: {subject: Drip}
        """)
    with pytest.raises(MetadataError) as raised:
        load_fixtures(officina, "fixturesteps", SYSTEM)
    found = [str(d) for d in raised.value.diagnostics]
    assert any(d.startswith(f"{packs_dir}/fixturesteps/fixtures/20-more.yaml:6: ")
               and "records[1].valeus" in d for d in found), found
    assert rows(officina, "job") == []


def test_validation_checks_fields_of_find_and_update_and_needs_values_or_find(
        tmp_path: Path) -> None:
    entity = """
        name: job
        label: Job
        fields:
          subject: {type: string, length: 60}
        """
    write_pack(tmp_path, "jobs", {"entities/job.yaml": entity, "fixtures/10.yaml": """
        records:
          - entity: job
            find: {subjct: A, ref: JOB-1}
            steps:
              - update: {subject: B, size: 3}
        """})
    with pytest.raises(MetadataError) as raised:
        load_registry(["jobs"], [tmp_path])
    found = sorted(str(d) for d in raised.value.diagnostics)
    assert any("records[0].find.subjct: unknown field 'subjct' of entity 'job'" in d
               for d in found), found
    assert any("records[0].steps[0].update.size: unknown field 'size'" in d
               for d in found), found
    assert not any(".ref" in d for d in found), found
    write_pack(tmp_path, "jobs", {"entities/job.yaml": entity, "fixtures/10.yaml": """
        records:
          - entity: job
            steps:
              - transition: close
        """})
    with pytest.raises(MetadataError) as raised:
        load_registry(["jobs"], [tmp_path])
    assert "fixtures/10.yaml:2: records[0]" in str(raised.value.diagnostics[0])


def test_demo_users_are_created_once_with_the_given_password(officina: Officina,
                                                           packs_dir: Path) -> None:
    with officina.database.write() as connection:
        create_user(connection, "anna", "Own-password-1", roles=("admin",), hashing=FAST_HASHING)
    fixture_file(packs_dir, "20-users.yaml", """
        users:
          - {username: anna, roles: [clerk]}
          - {username: bruno, roles: [clerk, boss], language: it, full_name: Bruno Neri}
        records: []
        """)
    load_fixtures(officina, "fixturesteps", SYSTEM, users_password="Demo-pass-1")
    with officina.database.read() as connection:
        bruno = verify_password(connection, "bruno", "Demo-pass-1")
        assert bruno is not None and bruno.roles == {"clerk", "boss"} and bruno.language == "it"
        # anna existed: her password and roles stay hers
        assert verify_password(connection, "anna", "Demo-pass-1") is None
        assert actor_for(connection, "anna").roles == {"admin"}
