"""``update``, ``for_each``, ``if`` and ``create.unless_exists`` are checked when the packs
load, nested actions included, each problem as FILE:LINE: key: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.conftest import FIXTURE_PACKS
from tests.support.packs import write_pack

# Line 1 is "name", so the first action of the rule is on line 7.
HEAD = """name: flow
entity: ticket
rules:
  - name: r
    on: created
    do:
"""


def problems(tmp_path: Path, actions: str) -> list[str]:
    """The diagnostics of a workflow on tickets whose one rule does ``actions``."""
    write_pack(tmp_path, "probe", {"workflows/flow.yaml": HEAD + actions}, depends=["helpdesk"])
    with pytest.raises(MetadataError) as caught:
        load_registry(["probe"], [tmp_path, FIXTURE_PACKS])
    return [str(d).split("/probe/")[-1] for d in caught.value.diagnostics]


def test_a_valid_workflow_with_every_new_action_loads(tmp_path: Path) -> None:
    write_pack(tmp_path, "probe", {"workflows/flow.yaml": HEAD + """\
      - for_each:
          in: "= find('task', {'ticket': record.id})"
          as: task
          do:
            - if:
                test: "= task.title and record.product"
                do:
                  - update: {entity: product, id: "= record.product", values: {critical: true}}
                else:
                  - transition: start
            - create:
                entity: task
                unless_exists: [ticket, title]
                values: {ticket: "= record.id", title: "= 'Again: ' ~ task.title"}
"""}, depends=["helpdesk"])
    registry = load_registry(["probe"], [tmp_path, FIXTURE_PACKS])
    loop = registry.workflows["flow"].rules[0].actions[0]
    branch, create = loop.params["do"]
    assert (loop.kind, branch.kind, create.kind) == ("for_each", "if", "create")
    assert [a.kind for a in branch.params["do"]] == ["update"]
    assert [a.kind for a in branch.params["else"]] == ["transition"]
    assert branch.location.endswith("flow.yaml:11")


@pytest.mark.parametrize("actions, expected", [
    ("""\
      - update: {entity: tickets, id: "= record.id", values: {score: 1}}
""", ["workflows/flow.yaml:7: rules[0].do[0].update.entity: unknown entity 'tickets'"]),
    ("""\
      - create: {entity: taks, values: {title: x}}
""", ["workflows/flow.yaml:7: rules[0].do[0].create.entity: unknown entity 'taks'"]),
    ("""\
      - update:
          entity: product
          id: "= record.product"
          values: {critical: true, colour: red}
""", ["workflows/flow.yaml:10: rules[0].do[0].update.values.colour: unknown field 'colour' "
      "of entity 'product'"]),
    ("""\
      - update: {entity: product, id: "= record.product +", values: {critical: true}}
""", ["workflows/flow.yaml:7: rules[0].do[0].update.id: syntax error in formula: "
      "unexpected 'end of template'"]),
    ("""\
      - create:
          entity: task
          unless_exists: [ticket, name]
          values: {ticket: "= record.id", title: x}
""", ["workflows/flow.yaml:9: rules[0].do[0].create.unless_exists[1]: unknown field 'name' "
      "of entity 'task'"]),
    ("""\
      - for_each:
          in: "= record.lines |"
          as: line
          do:
            - set: {score: 1}
""", ["workflows/flow.yaml:8: rules[0].do[0].for_each.in: syntax error in formula: "
      "unexpected end of template, expected 'name'."]),
    ("""\
      - if:
          test: "= record.score >> 2"
          do:
            - set: {score: 1}
""", ["workflows/flow.yaml:8: rules[0].do[0].if.test: syntax error in formula: "
      "unexpected '>'"]),
    ("""\
      - for_each:
          in: "= [1, 2]"
          as: n
          do:
            - transition: teleport
""", ["workflows/flow.yaml:11: rules[0].do[0].for_each.do[0].transition: unknown "
      "transition 'teleport'"]),
    ("""\
      - for_each:
          in: "= [1, 2]"
          as: n
          do:
            - if:
                test: "= n > 1"
                do:
                  - set: {colour: red}
                else:
                  - create: {entity: task, values: {ticket: "= record.id", titel: "= n"}}
""", ["workflows/flow.yaml:14: rules[0].do[0].for_each.do[0].if.do[0].set.colour: unknown "
      "field 'colour' of entity 'ticket'",
      "workflows/flow.yaml:16: rules[0].do[0].for_each.do[0].if.else[0].create.values.titel: "
      "unknown field 'titel' of entity 'task'"]),
    ("""\
      - for_each: {in: "= record.lines", do: [{set: {score: 1}}]}
""", ["workflows/flow.yaml:7: rules[0].do[0].for_each: 'as' is a required property"]),
    ("""\
      - if: {test: "= true", do: [], else: [{set: {score: 1}}]}
""", ["workflows/flow.yaml:7: rules[0].do[0].if.do: [] should be non-empty"]),
    ("""\
      - update: {entity: ticket, id: "= record.id", values: {}}
""", ["workflows/flow.yaml:7: rules[0].do[0].update.values: {} should be non-empty"]),
], ids=["update-entity", "create-entity", "update-field", "update-id", "unless-exists",
        "for-each-in", "if-test", "nested-transition", "nested-if", "for-each-as", "if-do",
        "update-values"])
def test_problems_name_file_line_and_key(tmp_path: Path, actions: str,
                                         expected: list[str]) -> None:
    assert problems(tmp_path, actions) == expected


def test_a_loop_name_may_not_hide_a_name_expressions_have(tmp_path: Path) -> None:
    assert problems(tmp_path, """\
      - for_each:
          in: "= find('task', {'ticket': record.id})"
          as: user
          do:
            - transition: start
""") == ["workflows/flow.yaml:9: rules[0].do[0].for_each.as: 'user' is a name expressions "
         "already have: choose another"]


def test_unless_exists_fields_must_be_among_the_values(tmp_path: Path) -> None:
    assert problems(tmp_path, """\
      - create:
          entity: task
          unless_exists: [ticket, title]
          values: {ticket: "= record.id"}
""") == ["workflows/flow.yaml:9: rules[0].do[0].create.unless_exists[1]: 'title' is not "
         "among the values: the record to look for would have it empty"]


def test_condition_values_and_offsets_are_checked_when_packs_load(tmp_path: Path) -> None:
    write_pack(tmp_path, "probe", {"workflows/flow.yaml": """\
name: flow
entity: ticket
rules:
  - name: r
    on: updated
    when:
      all:
        - {field: opened_at, eq: "2026-13-01"}
        - {field: score, ge: "many"}
        - {field: due_at, after: "opened_at + 40000d"}
        - {field: escalated, eq: true}
    do:
      - start_timer: {name: t, at: "now + 1000000w"}
"""}, depends=["helpdesk"])
    with pytest.raises(MetadataError) as caught:
        load_registry(["probe"], [tmp_path, FIXTURE_PACKS])
    found = [str(d).split("/probe/")[-1] for d in caught.value.diagnostics]
    assert found[:3] == [
        "workflows/flow.yaml:8: rules[0].when.all[0].eq: '2026-13-01' does not fit 'opened_at'"
        " (datetime): Not a valid date and time (YYYY-MM-DDTHH:MM).",
        "workflows/flow.yaml:9: rules[0].when.all[1].ge: 'many' does not fit 'score' (integer):"
        " Not a valid whole number.",
        "workflows/flow.yaml:10: rules[0].when.all[2].after: '40000d' is longer than a hundred"
        " years"]
    assert any("'1000000w' is longer than a hundred years" in line for line in found), found
