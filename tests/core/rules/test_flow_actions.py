"""``for_each``, ``if``, ``update``, ``create.unless_exists``, refusals with placeholders and
the functions that read other records, on the helpdesk pack with a checklist entity added
to the test's copy (a ``mode`` field picks the rule that acts)."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.records.actor import SYSTEM, Actor
from core.records.errors import NotFound
from core.records.reading import ListQuery
from core.rules.actions import RuleActionError, RuleRefused
from core.users import create_user
from tests.core.rules.conftest import COORDINATOR, Clock, RulesEnv, open_rules_env
from tests.support.users import FAST_HASHING

CHECKLIST = """
name: checklist
label: Checklist
naming: "CHK-{#####}"
title_field: title
fields:
  title: {type: string, length: 120, required: true, user_editable: true}
  mode: {type: string, length: 20}
  ticket: {type: link, target: ticket}
  notes: {type: text}
  found: {type: string, length: 200}
  first: {type: string, length: 40}
  known: {type: boolean}
  got: {type: string, length: 200}
  starts_at: {type: datetime}
  ends_at: {type: datetime}
  worked: {type: integer}
  lines: {type: table, target: checklist_line}
permissions:
  coordinator: [read, create, update, delete]
"""
CHECKLIST_LINE = """
name: checklist_line
label: Checklist line
child: true
fields:
  title: {type: string, length: 80, required: true}
  hours: {type: integer, default: 1}
  minutes: {type: integer, computed: "(hours or 0) * 60"}
"""
WORKFLOW = """
name: checklist_flow
entity: checklist
calendar: office
rules:
  - name: task_per_line
    on: created
    when: {field: mode, eq: tasks}
    do:
      - for_each:
          in: "= record.lines"
          as: line
          do:
            - create:
                entity: task
                values: {ticket: "= record.ticket", title: "= record.title ~ ': ' ~ line.title"}
            - notify: {to: ["user:aldo"], message: "Check {{ line.title }} of {{ record.ref }}"}
  - name: long_or_short
    on: created
    when: {field: mode, eq: branch}
    do:
      - for_each:
          in: "= record.lines"
          as: line
          do:
            - if:
                test: "= line.hours > 4"
                do:
                  - create:
                      entity: task
                      values: {ticket: "= record.ticket", title: "= 'Long: ' ~ line.title"}
                else:
                  - create:
                      entity: task
                      values: {ticket: "= record.ticket", title: "= 'Short: ' ~ line.title"}
  - name: touch_ticket
    on: created
    when: {field: mode, eq: update}
    do:
      - update:
          entity: ticket
          id: "= record.ticket"
          values: {priority: urgent, resolved_at: "= now", notes: "= 'From ' ~ record.ref"}
  - name: touch_missing
    on: created
    when: {field: mode, eq: missing}
    do:
      - update: {entity: ticket, id: 99999, values: {score: 1}}
  - name: once_on_create
    on: created
    when: {field: mode, eq: once}
    do: &once
      - create:
          entity: task
          unless_exists: [ticket, title]
          values: {ticket: "= record.ticket", title: "= 'Follow up ' ~ record.title"}
  - name: once_on_update
    on: updated
    fields: [notes]
    when: {field: mode, eq: once}
    do: *once
  - name: too_long
    on: created
    when: {field: mode, eq: limits}
    do:
      - for_each:
          in: "= record.lines"
          as: line
          do:
            - create: {entity: task, values: {ticket: "= record.ticket", title: "= line.title"}}
            - if:
                test: "= line.hours > 8"
                do:
                  - refuse:
                      en: "{{ line.title }} takes {{ line.hours }} hours: split it."
                      it: "{{ line.title }} richiede {{ line.hours }} ore: dividila."
  - name: broken_in_loop
    on: created
    when: {field: mode, eq: broken}
    do:
      - update: {entity: ticket, id: "= record.ticket", values: {score: 99}}
      - for_each:
          in: "= record.lines"
          as: line
          do:
            - create: {entity: task, values: {ticket: "= record.ticket", title: "= line.title"}}
            - set: {worked: "= 60 // (3 - line.hours)"}
  - name: lookups
    on: created
    when: {field: mode, eq: lookups}
    do:
      - set:
          found: >-
            = find('ticket', {'priority': 'urgent'}, '-id')
              | map(attribute='subject') | join(',')
          first: >-
            = find_one('ticket', [['score', '>', 1], ['status', 'in', ['new', 'assigned']]],
                       'score').subject
          known: >-
            = exists('ticket', {'subject': 'Printer jam'})
              and not exists('ticket', {'subject': 'Nothing'})
          got: >-
            = get('ticket', record.ticket).subject ~ '|' ~ (get('ticket', 99999) is none)
              ~ '|' ~ (get('ticket', none) is none)
              ~ '|' ~ (find_one('ticket', {'score': 1000}) is none)
              ~ '|' ~ (find('ticket', none, ['-score', 'id'], 2)
                       | map(attribute='score') | join(','))
  - name: times
    on: created
    when: {field: mode, eq: times}
    do:
      - set:
          starts_at: "= local_time(today, '08:00')"
          ends_at: "= add_working_time(local_time(today, '08:00'), 4.5, 'office')"
          worked: >-
            = working_time_between(local_time(today, '08:00'),
                                   local_time(today, '18:00')).total_seconds() | int
  - name: copy
    on: created
    when: {field: mode, eq: copy}
    do:
      - create:
          entity: checklist
          values:
            title: "= record.title ~ ' (copy)'"
            lines: "= copy_lines('checklist', 'lines', record.lines)"
"""


@pytest.fixture
def flows(database_url: str, packs_dir: Path) -> Iterator[RulesEnv]:
    pack = packs_dir / "helpdesk"
    for path, text in {"entities/checklist.yaml": CHECKLIST,
                       "entities/checklist_line.yaml": CHECKLIST_LINE,
                       "workflows/checklist_flow.yaml": WORKFLOW}.items():
        (pack / path).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    # Friday 2026-11-20 14:00 in Rome (13:00 UTC).
    env = open_rules_env(database_url, packs_dir, Clock(dt.datetime(2026, 11, 20, 13, 0)))
    with env.database.write() as connection:
        create_user(connection, "cora", "pw", roles=("coordinator",), language="it",
                    hashing=FAST_HASHING)
        create_user(connection, "aldo", "pw", roles=("agent",), hashing=FAST_HASHING)
    yield env
    env.database.dispose()


def ticket(env: RulesEnv, subject: str, **values: Any) -> dict[str, Any]:
    return env.service.create(COORDINATOR, "ticket", {"subject": subject, **values})


def checklist(env: RulesEnv, mode: str, ticket_id: int | None, *lines: tuple[str, int],
              **values: Any) -> dict[str, Any]:
    return env.service.create(COORDINATOR, "checklist", {
        "title": "Boiler", "mode": mode, "ticket": ticket_id,
        "lines": [{"title": title, "hours": hours} for title, hours in lines], **values})


def tasks(env: RulesEnv) -> list[tuple[int, str]]:
    rows = env.service.list(SYSTEM, "task", ListQuery(sort=("id",))).rows
    return [(row["ticket"], row["title"]) for row in rows]


def test_for_each_over_lines_creates_a_record_per_line(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    made = checklist(flows, "tasks", t["id"], ("Seal", 1), ("Pump", 2), ("Valve", 3))
    assert tasks(flows) == [(t["id"], "Boiler: Seal"), (t["id"], "Boiler: Pump"),
                            (t["id"], "Boiler: Valve")]
    notices = [n["message"] for n in flows.rows("officina_notification", username="aldo")]
    assert notices == [f"Check {name} of {made['ref']}" for name in ("Seal", "Pump", "Valve")]
    nothing = checklist(flows, "tasks", t["id"])  # no lines: nothing to do
    assert nothing["id"] and len(tasks(flows)) == 3


def test_if_chooses_do_or_else(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    checklist(flows, "branch", t["id"], ("Seal", 1), ("Overhaul", 6), ("Pump", 4))
    assert [title for _, title in tasks(flows)] == ["Short: Seal", "Long: Overhaul",
                                                    "Short: Pump"]


def test_update_changes_the_linked_record_which_fires_its_rules(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    assert t["priority"] == "normal" and t["resolved_at"] is None
    made = checklist(flows, "update", t["id"])
    after = flows.service.get(SYSTEM, "ticket", t["id"])
    assert after["priority"] == "urgent"
    assert after["resolved_at"] == flows.clock.now  # read-only for users, not for rules
    assert after["notes"] == f"From {made['ref']}"
    assert after["version"] == t["version"] + 1
    assert after["modified_by"] == "rule:checklist_flow.touch_ticket"
    changes = {a["field"]: (a["old_value"], a["new_value"]) for a in flows.rows(
        "officina_audit", entity="ticket", record_id=t["id"],
        username="rule:checklist_flow.touch_ticket")}
    assert sorted(changes) == ["notes", "priority", "resolved_at"]
    assert changes["priority"] == ("normal", "urgent")
    # The ticket's own rules fired: becoming urgent tells the coordinators.
    assert [n["message"] for n in flows.rows("officina_notification", username="cora")] == [
        "Ticket became urgent"]


def test_update_with_an_empty_link_does_nothing(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    checklist(flows, "update", None)
    assert flows.service.get(SYSTEM, "ticket", t["id"])["version"] == t["version"]


def test_update_of_a_record_that_does_not_exist_refuses_the_change(flows: RulesEnv) -> None:
    with pytest.raises(NotFound):
        checklist(flows, "missing", None)
    assert flows.service.list(SYSTEM, "checklist").total == 0


def test_unless_exists_makes_a_second_run_create_nothing(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    made = checklist(flows, "once", t["id"])
    assert tasks(flows) == [(t["id"], "Follow up Boiler")]
    again = flows.service.update(COORDINATOR, "checklist", made["id"], {"notes": "again"},
                                 version=made["version"])
    assert again["notes"] == "again"
    assert tasks(flows) == [(t["id"], "Follow up Boiler")]
    other = ticket(flows, "Chimney")
    checklist(flows, "once", other["id"])  # another ticket: not the same values
    assert tasks(flows) == [(t["id"], "Follow up Boiler"), (other["id"], "Follow up Boiler")]


def test_refuse_names_the_loop_item_and_nothing_is_kept(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    with pytest.raises(RuleRefused) as refused:
        checklist(flows, "limits", t["id"], ("Seal", 1), ("Overhaul", 12))
    assert refused.value.message == "Overhaul takes 12 hours: split it."
    italian = Actor("cora", frozenset({"coordinator"}), language="it")
    with pytest.raises(RuleRefused) as refused:
        flows.service.create(italian, "checklist", {
            "title": "Caldaia", "mode": "limits", "ticket": t["id"],
            "lines": [{"title": "Revisione", "hours": 9}]})
    assert refused.value.message == "Revisione richiede 9 ore: dividila."
    assert tasks(flows) == []
    assert flows.service.list(SYSTEM, "checklist").total == 0
    checklist(flows, "limits", t["id"], ("Seal", 1), ("Overhaul", 8))
    assert len(tasks(flows)) == 2


def test_an_expression_error_inside_for_each_rolls_back_everything(flows: RulesEnv) -> None:
    t = ticket(flows, "Boiler leaking")
    with pytest.raises(RuleActionError) as failed:
        # Lines 1 and 2 are done (a task each, the ticket's score set) before 3 divides by 0.
        checklist(flows, "broken", t["id"], ("Seal", 1), ("Pump", 2), ("Valve", 3))
    assert failed.value.code == "rule"
    assert "checklist_flow.broken_in_loop" in failed.value.message
    assert tasks(flows) == []
    assert flows.service.list(SYSTEM, "checklist").total == 0
    unchanged = flows.service.get(SYSTEM, "ticket", t["id"])
    assert (unchanged["score"], unchanged["version"]) == (0, t["version"])
    assert flows.rows("officina_audit", entity="task") == []
    done = checklist(flows, "broken", t["id"], ("Seal", 1), ("Pump", 2))
    assert flows.service.get(SYSTEM, "checklist", done["id"])["worked"] == 60
    assert flows.service.get(SYSTEM, "ticket", t["id"])["score"] == 99


def test_get_find_find_one_and_exists(flows: RulesEnv) -> None:
    printer = ticket(flows, "Printer jam", priority="urgent", score=5)
    ticket(flows, "Boiler leaking", score=3)
    ticket(flows, "Fire in the lab", score=2)  # 'fire' makes it urgent
    done = checklist(flows, "lookups", printer["id"])
    assert done["found"] == "Fire in the lab,Printer jam"  # urgent ones, newest first
    assert done["first"] == "Fire in the lab"  # lowest score above 1 among new ones
    assert done["known"] is True
    assert done["got"] == "Printer jam|True|True|True|5,3"


def test_record_lines_copy_lines_and_computed_fields(flows: RulesEnv) -> None:
    original = checklist(flows, "copy", None, ("Seal", 1), ("Pump", 2))
    assert [line["minutes"] for line in original["lines"]] == [60, 120]
    copies = [c for c in flows.service.list(SYSTEM, "checklist", ListQuery(sort=("id",))).rows
              if c["id"] != original["id"]]
    assert [c["title"] for c in copies] == ["Boiler (copy)"]
    copy = flows.service.get(SYSTEM, "checklist", copies[0]["id"])
    assert [(ln["title"], ln["hours"], ln["minutes"]) for ln in copy["lines"]] == [
        ("Seal", 1, 60), ("Pump", 2, 120)]
    assert {ln["id"] for ln in copy["lines"]}.isdisjoint(ln["id"] for ln in original["lines"])
    assert len(flows.service.get(SYSTEM, "checklist", original["id"])["lines"]) == 2


def test_local_time_and_working_time_on_a_named_calendar(flows: RulesEnv) -> None:
    done = checklist(flows, "times", None)
    # Friday 20 November 2026 in Rome (UTC+1); office hours 08:00-12:00 and 13:00-17:00.
    assert done["starts_at"] == dt.datetime(2026, 11, 20, 7, 0)
    assert done["ends_at"] == dt.datetime(2026, 11, 20, 12, 30)  # 13:30 local
    assert done["worked"] == 8 * 3600
