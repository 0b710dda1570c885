"""Bad workflows are refused at validation, with the file, line and key of each problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.conftest import FIXTURE_PACKS
from tests.support.packs import write_pack

HEAD = """
name: flow
entity: ticket
"""


def problems(tmp_path: Path, body: str) -> list[str]:
    write_pack(tmp_path, "probe", {"workflows/flow.yaml": HEAD + textwrap.dedent(body)},
               depends=["helpdesk"])
    with pytest.raises(MetadataError) as caught:
        load_registry(["probe"], [tmp_path, FIXTURE_PACKS])
    return [str(d).split("/probe/")[-1] for d in caught.value.diagnostics]


@pytest.mark.parametrize("body, expected", [
    ("""
     rules:
       - {name: r, on: created, when: {field: colour, eq: red}, do: []}
     """, "workflows/flow.yaml:5: rules[0].when.field: unknown field 'colour' of entity 'ticket'"),
    ("""
     rules:
       - {name: r, on: created, when: {field: priority, eqals: high}, do: []}
     """, "workflows/flow.yaml:5: rules[0].when.eqals: unknown key 'eqals'"),
    ("""
     rules:
       - {name: r, on: created, do: [{explode: {}}]}
     """, "workflows/flow.yaml:5: rules[0].do[0].explode: unknown key 'explode'"),
    ("""
     rules:
       - {name: r, on: created, when: {user: role, eq: boss}, do: []}
     """, "workflows/flow.yaml:5: rules[0].when.eq: unknown role 'boss'"),
    ("""
     rules:
       - {name: r, on: schedule, cron: "every morning", do: []}
     """, "workflows/flow.yaml:5: rules[0].cron: 'every morning' is not a cron expression"),
    ("""
     rules:
       - {name: r, on: timer, do: []}
     """, "workflows/flow.yaml:5: rules[0].on: a 'timer' rule needs 'timer'"),
    ("""
     rules:
       - {name: r, on: created, do: [{start_timer: {name: t, at: "tomorrow morning"}}]}
     """, "workflows/flow.yaml:5: rules[0].do[0].start_timer.at: 'tomorrow morning' is not a"),
    ("""
     rules:
       - {name: r, on: created, do: [{send_mail: {template: nothing, to: ["role:agent"]}}]}
     """, "rules[0].do[0].send_mail.template: no mail template 'nothing'"),
    ("""
     rules:
       - {name: r, on: created, when: {field: subject, matches: "(unclosed"}, do: []}
     """, "rules[0].when.matches: invalid regular expression"),
    ("""
     rules:
       - {name: r, on: created, when: {field: escalated, gt: 1}, do: []}
     """, "rules[0].when.gt: 'gt' does not apply to a boolean field"),
    ("""
     rules:
       - {name: r, on: transition, transition: teleport, do: []}
     """, "rules[0].transition: unknown transition 'teleport'"),
])
def test_rule_errors(tmp_path: Path, body: str, expected: str) -> None:
    found = problems(tmp_path, body)
    assert any(expected in p for p in found), found


def test_state_machine_errors(tmp_path: Path) -> None:
    found = problems(tmp_path, """
     calendar: nowhere
     state_machine:
       field: status
       states: [new, lost]
       transitions:
         - {name: go, from: [limbo], to: new, roles: [boss]}
     rules:
       - {name: r, on: created, do: [{set: {status: new}}]}
     """)
    expected = [
        "workflows/flow.yaml:4: calendar: unknown calendar 'nowhere'",
        "workflows/flow.yaml:5: state_machine: entity 'ticket' already has a state machine in "
        "workflow 'ticket_flow'",
        "workflows/flow.yaml:7: state_machine.states[1]: 'lost' is not an option of 'status'",
        "workflows/flow.yaml:9: state_machine.transitions[0].from[0]: unknown state 'limbo'",
        "workflows/flow.yaml:9: state_machine.transitions[0].roles[0]: unknown role 'boss'",
        "workflows/flow.yaml:11: rules[0].do[0].set.status: the state changes through "
        "'transition', so that guards and roles apply",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), (line, found)


def test_bad_calendar_hours_are_reported_with_their_line(tmp_path: Path) -> None:
    write_pack(tmp_path, "probe", {"calendars/c.yaml": textwrap.dedent("""
        name: c
        hours:
          mon: ["13:00-12:00"]
        """)})
    with pytest.raises(MetadataError) as caught:
        load_registry(["probe"], [tmp_path])
    assert any("c.yaml:3: hours.mon[0]: '13:00-12:00' ends before it starts" in str(d)
               for d in caught.value.diagnostics), caught.value
