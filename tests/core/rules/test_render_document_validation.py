"""The ``render_document`` action is checked when the packs load, with file, line and key."""

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


@pytest.mark.parametrize("action, expected", [
    ("{render_document: {template: report, attach_to: subject}}",
     "rules[0].do[0].render_document.attach_to: 'subject' is not an attachment field of "
     "entity 'ticket'"),
    ("{render_document: {template: report, attach_to: nothing}}",
     "rules[0].do[0].render_document.attach_to: 'nothing' is not an attachment field"),
    ("{render_document: {template: report}}",
     "rules[0].do[0].render_document"),
    ("{render_document: {template: report, format: odt, mail: {template: ticket_late, "
     "to: ['role:agent']}}}",
     "rules[0].do[0].render_document.format: 'odt' is not one of ['pdf', 'docx']"),
    ("{render_document: {template: report, language: fr, mail: {template: ticket_late, "
     "to: ['role:agent']}}}",
     "rules[0].do[0].render_document.language: unknown language 'fr'"),
    ("{render_document: {template: report, mail: {template: nope, to: ['role:agent']}}}",
     "rules[0].do[0].render_document.mail.template: no mail template 'nope'"),
    ("{render_document: {template: report, mail: {template: ticket_late, to: ['role:boss']}}}",
     "rules[0].do[0].render_document.mail.to[0]: unknown role 'boss'"),
    ("{render_document: {template: report, language: '= record.', mail: {template: "
     "ticket_late, to: ['role:agent']}}}",
     "rules[0].do[0].render_document.language:"),
])
def test_bad_render_document_actions_are_refused(tmp_path: Path, action: str,
                                                 expected: str) -> None:
    found = problems(tmp_path, f"""
        rules:
          - name: r
            on: created
            do: [{action}]
        """)
    assert any(expected in line and line.startswith("workflows/flow.yaml:") for line in found), \
        found


def test_a_good_render_document_action_loads(tmp_path: Path) -> None:
    write_pack(tmp_path, "probe", {"workflows/flow.yaml": HEAD + textwrap.dedent("""
        rules:
          - name: r
            on: created
            do:
              - render_document:
                  template: report
                  language: "= 'it' if record.priority == 'urgent' else 'en'"
                  format: pdf
                  mail: {template: ticket_late, to: ["field:customer_email", "role:agent"]}
        """)}, depends=["helpdesk"])
    registry = load_registry(["probe"], [tmp_path, FIXTURE_PACKS])
    action = registry.workflows["flow"].rules[0].actions[0]
    assert action.kind == "render_document"
    assert action.params["mail"]["template"] == "ticket_late"
