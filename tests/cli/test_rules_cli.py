"""``officina rules`` and ``officina worker`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import new_instance, officina


@pytest.fixture
def desk(tmp_path: Path, packs_dir: Path) -> dict[str, str]:
    """An initialised instance running the helpdesk pack and its workflows."""
    return new_instance(tmp_path, packs_dir, "helpdesk")


def test_rules_list_shows_triggers_and_locations(desk: dict[str, str]) -> None:
    out = officina("rules", "list", env=desk).stdout
    assert "ticket: transition close: resolved -> closed (coordinator)" in out
    assert "ticket: ticket_flow.late: on timer late" in out
    assert "ticket: ticket_flow.nightly_reminder: on schedule 0 6 * * *" in out
    assert "ticket_flow.yaml:31)" in out


def test_rules_explain_says_which_rules_fire_and_why(desk: dict[str, str]) -> None:
    created = json.loads(officina("records", "create", "ticket",
                                  '{"subject": "Fire in the server room"}', env=desk).stdout)
    assert created["priority"] == "urgent"
    out = officina("rules", "explain", "ticket", created["ref"], "--event", "timer", "--name",
                   "late", env=desk).stdout
    assert "FIRES ticket_flow.late (on timer late; when status in" in out
    assert "-> set escalated=True" in out
    assert "no    ticket_flow.warn" in out


def test_dry_run_reports_and_changes_nothing(desk: dict[str, str], tmp_path: Path) -> None:
    officina("records", "create", "ticket", '{"subject": "Old printer"}', env=desk)
    officina("records", "create", "ticket", '{"subject": "New laptop", "priority": "low"}',
             env=desk)
    draft = tmp_path / "draft.yaml"
    draft.write_text("""name: draft_rules
entity: ticket
rules:
  - name: low_priority_cleanup
    on: updated
    when: {field: priority, eq: low}
    do:
      - set: {notes: cleaned}
""")
    out = officina("rules", "dry-run", str(draft), env=desk).stdout
    assert "TCK-00002: would run draft_rules.low_priority_cleanup: set notes=cleaned" in out
    assert "TCK-00001" not in out
    assert "2 record(s) tried, 1 rule firing(s) would happen." in out
    listed = json.loads(officina("records", "list", "ticket", env=desk).stdout)
    assert all(row.get("notes") is None for row in listed["rows"])
    draft.write_text("name: draft_rules\nentity: ticket\nrules:\n  - name: x\n    on: updated\n"
                     "    when: {field: colour, eq: red}\n    do: []\n")
    bad = officina("rules", "dry-run", str(draft), env=desk, check=False)
    assert bad.returncode == 1
    assert "draft.yaml:6: rules[0].when.field: unknown field 'colour'" in bad.stderr


def test_worker_once_reports_what_it_did(desk: dict[str, str]) -> None:
    out = officina("worker", "--once", env=desk).stdout
    assert "timers fired: 0, schedules run: 0, delivered: 0, failed: 0" in out


def test_rule_log_and_outbox_are_visible(desk: dict[str, str]) -> None:
    created = json.loads(officina("records", "create", "ticket", '{"subject": "Fire!"}',
                                  env=desk).stdout)
    log = officina("rules", "log", "--entity", "ticket", env=desk).stdout
    assert "ticket_flow.deadline  created  ticket:1  by system  done" in log
    assert "ticket_flow.fire_means_urgent" in log
    officina("records", "delete", "ticket", created["ref"], env=desk)
    outbox = officina("outbox", "--status", "pending", env=desk).stdout
    assert "webhook  pending  attempts 0  rule ticket_flow.goodbye  ticket:1" in outbox
    officina("worker", "--once", env=desk)
    failed = officina("outbox", env=desk).stdout
    assert "attempts 1" in failed and "last error:" in failed


def test_transitions_and_named_events_from_the_command_line(desk: dict[str, str]) -> None:
    officina("user", "add", "cora", "--role", "coordinator", "--password", "pw",
             "--email", "cora@example.com", env=desk)
    created = json.loads(officina("records", "create", "ticket",
                                  '{"subject": "Jam", "assignee": "aldo"}', env=desk).stdout)
    ref = created["ref"]
    for name in ("assign", "start", "wait"):
        moved = json.loads(officina("records", "transition", "ticket", ref, name,
                                    env=desk).stdout)
    assert moved["status"] == "waiting"
    refused = officina("records", "transition", "ticket", ref, "close", env=desk, check=False)
    assert refused.returncode == 1 and '"close" cannot start from "Waiting".' in refused.stderr
    assert "posted" in officina("rules", "event", "ticket", ref, "customer_replied",
                                env=desk).stdout
    assert json.loads(officina("records", "get", "ticket", ref, env=desk).stdout)[
        "status"] == "in_progress"


@pytest.mark.parametrize(("condition", "message"), [
    ('{field: opened_at, eq: "not-a-date"}',
     ":6: rules[0].when.eq: 'not-a-date' does not fit 'opened_at' (datetime): Not a valid "
     "date and time"),
    ('{field: due_at, lt: "2026-02-30"}',
     ":6: rules[0].when.lt: '2026-02-30' does not fit 'due_at' (datetime): Not a valid date"),
    ("{field: due_at, lt: 2026-02-30}",  # unquoted, YAML itself cannot make it a date
     "broken.yaml:1: (document): YAML: day is out of range for month"),
    ("{field: score, eq: {a: 1}}",
     ":6: rules[0].when.eq: {'a': 1} does not fit 'score' (integer): Not a valid whole number."),
    ("{field: score, in: [1, two]}",
     ":6: rules[0].when.in: 'two' does not fit 'score' (integer): Not a valid whole number."),
    ('{field: opened_at, before: "now + 99999999999d"}',
     ":6: rules[0].when.before: '99999999999d' is longer than a hundred years"),
])
def test_rules_set_refuses_conditions_it_could_not_run(desk: dict[str, str], tmp_path: Path,
                                                       condition: str, message: str) -> None:
    draft = tmp_path / "broken.yaml"
    draft.write_text("name: broken_rules\nentity: ticket\nrules:\n  - name: x\n"
                     f"    on: updated\n    when: {condition}\n"
                     "    do:\n      - set: {notes: seen}\n")
    refused = officina("rules", "set", str(draft), env=desk, check=False)
    assert refused.returncode == 1, refused.stdout
    assert any(message in line for line in refused.stderr.splitlines()), refused.stderr
    assert "Internal error" not in refused.stderr
    assert "broken_rules" not in officina("rules", "list", env=desk).stdout  # nothing stored
    created = json.loads(officina("records", "create", "ticket", '{"subject": "Still works"}',
                                  env=desk).stdout)  # and the entity is still writable
    version = json.loads(officina("records", "get", "ticket", created["ref"],
                                  env=desk).stdout)["version"]
    updated = officina("records", "update", "ticket", created["ref"],
                       json.dumps({"priority": "urgent", "version": version}), env=desk)
    assert json.loads(updated.stdout)["priority"] == "urgent"
