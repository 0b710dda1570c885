"""Which fields rules fill: inside ``lock``, and the fields of lines a rule writes through
a whole table."""

from __future__ import annotations

from pathlib import Path

from core.metadata.registry import load_registry
from tests.support.packs import write_pack

ENTITIES = {
    "entities/job.yaml": """
        name: job
        label: Job
        fields:
          title: {type: string, length: 40}
          owner: {type: link, target: person}
          lines: {type: table, target: job_line}
        """,
    "entities/job_line.yaml": """
        name: job_line
        label: Job line
        child: true
        fields:
          machine: {type: string, length: 40}
          hours: {type: integer}
          checked_on: {type: date}
          note: {type: string, length: 40}
        """,
    "entities/person.yaml": """
        name: person
        label: Person
        fields:
          name: {type: string, length: 40}
          busy: {type: boolean}
        """,
}


def _filled(tmp_path: Path, workflow: str) -> dict[str, set[str]]:
    write_pack(tmp_path, "jobs", {**ENTITIES, "workflows/flow.yaml": workflow})
    registry = load_registry(["jobs"], [tmp_path])
    return {name: {f for f, why in registry.filled_by_system(name).items() if why == "rules"}
            for name in ("job", "job_line", "person")}


def test_a_field_updated_inside_lock_is_filled_by_the_rules(tmp_path: Path) -> None:
    assert _filled(tmp_path, """
        name: flow
        entity: job
        rules:
          - name: reserve
            on: created
            do:
              - lock:
                  entity: person
                  id: "= record.owner"
                  as: owner
                  do:
                    - update: {entity: person, id: "= owner.id", values: {busy: true}}
                    - set: {title: "= owner.name"}
        """) == {"job": {"title"}, "job_line": set(), "person": {"busy"}}


def test_edit_lines_fills_the_line_fields_it_sets_not_those_it_matches(
        tmp_path: Path) -> None:
    assert _filled(tmp_path, """
        name: flow
        entity: job
        rules:
          - name: check
            on: created
            do:
              - set:
                  lines: >-
                    = edit_lines('job', 'lines', record.lines, {'machine': 'press'},
                                 {'checked_on': today})
        """) == {"job": set(), "job_line": {"checked_on"}, "person": set()}


def test_edit_lines_by_fills_the_line_fields_it_sets_not_its_match(tmp_path: Path) -> None:
    assert _filled(tmp_path, """
        name: flow
        entity: job
        rules:
          - name: check
            on: created
            do:
              - set:
                  lines: >-
                    = edit_lines_by('job', 'lines', record.lines, 'machine',
                                    {'checked_on': {'press': today}})
        """) == {"job": set(), "job_line": {"checked_on"}, "person": set()}


def test_any_other_table_value_fills_the_line_fields_it_names(tmp_path: Path) -> None:
    assert _filled(tmp_path, """
        name: flow
        entity: person
        rules:
          - name: open_job
            on: created
            do:
              - create:
                  entity: job
                  values:
                    owner: "= record.id"
                    lines: "= [{'machine': 'lathe', 'hours': 2}]"
              - create:
                  entity: job
                  values:
                    lines: [{note: by the rules}]
        """) == {"job": {"owner"}, "job_line": {"machine", "hours", "note"},
                 "person": set()}
