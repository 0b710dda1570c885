"""The ``set`` actions of one event's rules reach its record as one change, later actions
see them, other records' rules see them too; lookups see writes; timers of new records and
of deleted ones, on the helpdesk pack with a memo entity added to the test's copy."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.records.actor import SYSTEM
from core.users import create_user
from tests.core.rules.conftest import COORDINATOR, Clock, RulesEnv, open_rules_env
from tests.support.users import FAST_HASHING

MEMO = """
name: memo
label: Memo
naming: "MEM-{#####}"
title_field: title
fields:
  title: {type: string, length: 120, required: true, user_editable: true}
  mode: {type: string, length: 20, user_editable: true}
  ticket: {type: link, target: ticket}
  parent: {type: link, target: memo}
  first: {type: string, length: 80}
  second: {type: string, length: 80}
  third: {type: string, length: 80}
  due_at: {type: datetime}
permissions:
  coordinator: [read, create, update, delete]
"""
WORKFLOW = """
name: memo_flow
entity: memo
rules:
  - name: fill_in
    on: created
    when: {field: mode, eq: fill}
    do:
      - set: {first: one}
      - set: {second: "= record.first ~ '+two'", due_at: "= now + duration('2h')"}
      - start_timer: {name: remind, at: due_at}
  - name: fill_more
    on: created
    when: {field: mode, eq: fill}
    do:
      - set: {third: three}
  - name: count_changes
    on: updated
    fields: [first, second, third]
    do:
      - create: {entity: memo, values: {title: "= 'update of ' ~ record.ref", mode: log}}
  - name: make_child
    on: created
    when: {field: mode, eq: parent}
    do:
      - set: {first: held}
      - create: {entity: memo, values: {title: child, mode: child, parent: "= record.id"}}
      - set: {third: "= 'after ' ~ record.first"}
  - name: read_parent
    on: created
    when: {field: mode, eq: child}
    do:
      - set: {second: "= get('memo', record.parent).first"}
  - name: touch_ticket
    on: created
    when: {field: mode, eq: lookup}
    do:
      - set: {first: "= get('ticket', record.ticket).notes or 'no notes'"}
      - update: {entity: ticket, id: "= record.ticket", values: {notes: Changed}}
      - set: {second: "= get('ticket', record.ticket).notes"}
  - name: remind_twice
    on: created
    when: {field: mode, eq: twice}
    do:
      - start_timer: {name: remind, at: "now + 1h"}
      - start_timer: {name: remind, at: "now + 3h"}
"""


@pytest.fixture
def memos(database_url: str, packs_dir: Path) -> Iterator[RulesEnv]:
    pack = packs_dir / "helpdesk"
    for path, text in {"entities/memo.yaml": MEMO,
                       "workflows/memo_flow.yaml": WORKFLOW}.items():
        (pack / path).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    env = open_rules_env(database_url, packs_dir, Clock(dt.datetime(2026, 11, 20, 13, 0)))
    with env.database.write() as connection:
        create_user(connection, "cora", "pw", roles=("coordinator",), hashing=FAST_HASHING)
    yield env
    env.database.dispose()


def memo(env: RulesEnv, title: str, mode: str, **values: Any) -> dict[str, Any]:
    return env.service.create(COORDINATOR, "memo", {"title": title, "mode": mode, **values})


def test_the_sets_of_one_event_are_one_change_that_later_actions_see(memos: RulesEnv) -> None:
    made = memo(memos, "Call back", "fill")
    assert (made["first"], made["second"], made["third"]) == ("one", "one+two", "three")
    assert made["version"] == 2  # created, then the rules' one change
    updates = [e for e in memos.service.history(SYSTEM, "memo", made["id"])
               if e.action == "update"]
    assert len(updates) == 1
    assert sorted(c.field for c in updates[0].changes) == ["due_at", "first", "second",
                                                           "third"]
    # One change fires the rules on updates once.
    logs = memos.service.list(SYSTEM, "memo", None).rows
    assert [m["title"] for m in logs if m["mode"] == "log"] == [f"update of {made['ref']}"]
    # The timer was started at the value set just before it.
    timers = memos.rows("officina_timer", entity="memo", record_id=made["id"])
    assert [(t["name"], t["status"], t["due_at"]) for t in timers] == [
        ("remind", "pending", memos.clock.now + dt.timedelta(hours=2))]


def test_a_record_created_by_the_rules_reads_the_values_set_before(memos: RulesEnv) -> None:
    parent = memo(memos, "Parent", "parent")
    child = next(m for m in memos.service.list(SYSTEM, "memo", None).rows
                 if m["mode"] == "child")
    assert child["parent"] == parent["id"]
    assert memos.service.get(SYSTEM, "memo", child["id"])["second"] == "held"
    assert (parent["first"], parent["third"]) == ("held", "after held")


def test_a_lookup_sees_a_write_of_its_record_made_since(memos: RulesEnv) -> None:
    ticket = memos.service.create(COORDINATOR, "ticket", {"subject": "Printer jam"})
    made = memo(memos, "Look", "lookup", ticket=ticket["id"])
    assert (made["first"], made["second"]) == ("no notes", "Changed")
    assert memos.service.get(SYSTEM, "ticket", ticket["id"])["notes"] == "Changed"


def test_a_timer_started_twice_for_a_new_record_is_pending_once(memos: RulesEnv) -> None:
    made = memo(memos, "Twice", "twice")
    timers = memos.rows("officina_timer", entity="memo", record_id=made["id"])
    assert [(t["status"], t["due_at"]) for t in timers] == [
        ("cancelled", memos.clock.now + dt.timedelta(hours=1)),
        ("pending", memos.clock.now + dt.timedelta(hours=3))]


def test_deleting_a_record_cancels_its_timers(memos: RulesEnv) -> None:
    made = memo(memos, "Gone", "twice")
    memos.service.delete(COORDINATOR, "memo", made["id"])
    timers = memos.rows("officina_timer", entity="memo", record_id=made["id"])
    assert [t["status"] for t in timers] == ["cancelled", "cancelled"]
