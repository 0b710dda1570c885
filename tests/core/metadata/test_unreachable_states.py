"""A state machine whose states cannot all be reached from the initial one is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.support.cli import new_instance, officina
from tests.support.packs import write_pack

JOB = """
name: job
label: Job
fields:
  status: {type: select, options: [new, planned, done, archived], default: new}
"""
FLOW = """
name: job_flow
entity: job
state_machine:
  field: status
  states: [new, planned, done, archived]
  transitions:
    - {name: plan, from: [new], to: planned}
    - {name: finish, from: [planned], to: done}
    - {name: restore, from: [archived], to: done}
"""


def test_a_state_no_transition_reaches_is_refused_on_load(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/job.yaml": JOB, "workflows/job_flow.yaml": FLOW})
    with pytest.raises(MetadataError) as caught:
        load_registry(["p"], [tmp_path])
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path}/p/workflows/job_flow.yaml:5: state_machine.states[3]: state 'archived' "
        "cannot be reached: no transition leads to it from the initial state 'new'"]


def test_states_reached_through_several_transitions_load(tmp_path: Path) -> None:
    flow = FLOW.replace("from: [planned], to: done}", "from: [planned], to: done}\n"
                        "    - {name: archive, from: [done], to: archived}")
    write_pack(tmp_path, "p", {"entities/job.yaml": JOB, "workflows/job_flow.yaml": flow})
    machine = load_registry(["p"], [tmp_path]).state_machine("job")
    assert machine.states == ("new", "planned", "done", "archived")


def test_rules_set_refuses_unreachable_states_and_keeps_the_machine(
        tmp_path: Path, packs_dir: Path) -> None:
    desk = new_instance(tmp_path, packs_dir, "helpdesk")
    source = (packs_dir / "helpdesk" / "workflows" / "ticket_flow.yaml").read_text()
    edited = source.replace("    - {name: start, from: [assigned], to: in_progress}\n", "")
    assert edited != source
    draft = tmp_path / "ticket_flow.yaml"
    draft.write_text(edited)
    refused = officina("rules", "set", str(draft), env=desk, check=False)
    assert refused.returncode == 1, refused.stdout
    assert ("<workflow ticket_flow>:7: state_machine.states[2]: state 'in_progress' cannot be "
            "reached: no transition leads to it from the initial state 'new'"
            in refused.stderr), refused.stderr
    assert "state 'resolved' cannot be reached" in refused.stderr
    assert "Internal error" not in refused.stderr
    listed = officina("rules", "list", env=desk).stdout
    assert "ticket: transition start: assigned -> in_progress" in listed  # nothing stored
    created = json.loads(officina("records", "create", "ticket", '{"subject": "Still works"}',
                                  env=desk).stdout)
    assert created["status"] == "new"
