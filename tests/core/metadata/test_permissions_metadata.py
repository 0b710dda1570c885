"""Permissions in metadata: both forms, the checks (with file and line) and customisations."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.metadata.specs import RolePermission
from tests.support.packs import write_pack

CREW = """
name: crew
label: Crew member
fields:
  login: {type: string, length: 40}
"""
JOB = """
name: job
label: Job
fields:
  title: {type: string, length: 40}
  crew: {type: link, target: crew}
  cost: {type: money}
  due: {type: date}
permissions:
  office: [read, create, update, delete, export]
  crew:
    actions: [read, update]
    where: {crew.login: $user}
    read_only: [title]
    hidden: [cost]
"""


def load(root: Path, job: str = JOB, overlays: dict[str, str] | None = None):
    write_pack(root, "p", {"entities/crew.yaml": CREW, "entities/job.yaml": job})
    return load_registry(["p"], [root, BUILTIN_PACKS], overlays=overlays)


def errors_of(root: Path, job: str, overlays: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(MetadataError) as caught:
        load(root, job, overlays)
    return [str(d) for d in caught.value.diagnostics]


def test_both_forms_freeze_into_role_permissions(tmp_path: Path) -> None:
    job = load(tmp_path).entity("job")
    assert job.permissions["office"] == {"read", "create", "update", "delete", "export"}
    assert job.permissions["crew"] == {"read", "update"}
    crew = job.role_permissions["crew"]
    assert crew == RolePermission(actions=frozenset({"read", "update"}),
                                  where=(("crew.login", "=", "$user"),),
                                  read_only=frozenset({"title"}), hidden=frozenset({"cost"}))
    assert job.role_permissions["office"].where is None


@pytest.mark.parametrize("change, expected", [
    ("read_only: [title]", "job.yaml:13: permissions.crew.read_only[0]: unknown field "
                           "'nope' of entity 'job'"),
    ("hidden: [cost]", "job.yaml:14: permissions.crew.hidden[0]: unknown field 'nope' of "
                       "entity 'job'"),
    ("where: {crew.login: $user}", "job.yaml:12: permissions.crew.where.nope: invalid row "
                                   "condition: Cannot filter on unknown field \"nope\" of job."),
])
def test_unknown_fields_are_named_with_file_and_line(tmp_path: Path, change: str,
                                                     expected: str) -> None:
    key = change.split(":")[0]
    broken = JOB.replace(change, f"{key}: [nope]" if key != "where" else "where: {nope: 1}")
    found = errors_of(tmp_path, broken)
    assert len(found) == 1 and found[0].endswith(expected), found


@pytest.mark.parametrize("where, message", [
    ("[[due, like, x]]", "Operator \"like\" does not apply to field \"due\""),
    ("[[due, \"=\", $user]]", "Filter on \"due\": Not a valid date"),
    ("{crew.nope: $user}", "unknown field \"crew.nope\""),
    ("{title.x: 1}", "unknown field \"title.x\""),
    ("{or: [[cost, \">\", 1], [nope, \"=\", 1]]}", "unknown field \"nope\""),
])
def test_row_conditions_are_checked_by_the_filter_compiler(tmp_path: Path, where: str,
                                                           message: str) -> None:
    found = errors_of(tmp_path, JOB.replace("where: {crew.login: $user}", f"where: {where}"))
    assert len(found) == 1 and "job.yaml:12: permissions.crew.where" in found[0], found
    assert message in found[0]


def test_schema_errors_in_the_mapping_form(tmp_path: Path) -> None:
    found = errors_of(tmp_path, JOB.replace("actions: [read, update]", "actions: [read, fly]"))
    assert any("job.yaml:11" in error for error in found), found
    found = errors_of(tmp_path, JOB.replace("hidden: [cost]", "secret: [cost]"))
    assert any("unknown key 'secret'" in error or "secret" in error for error in found), found


def test_a_customisation_replaces_the_permissions(tmp_path: Path) -> None:
    overlay = """
permissions:
  crew:
    actions: [read]
    hidden: [cost, due]
"""
    job = load(tmp_path, overlays={"job": overlay}).entity("job")
    assert set(job.role_permissions) == {"crew"}
    assert job.role_permissions["crew"].hidden == {"cost", "due"}


def test_a_customisation_of_permissions_is_checked_like_a_pack(tmp_path: Path) -> None:
    overlay = "label: Job\npermissions:\n  crew:\n    actions: [read]\n    hidden: [nope]\n"
    found = errors_of(tmp_path, JOB, {"job": overlay})
    assert found == ["<customisation of job>:5: permissions.crew.hidden[0]: unknown field "
                     "'nope' of entity 'job'"]
    overlay = "permissions:\n  crew: {actions: [read], where: {cost: soon}}\n"
    found = errors_of(tmp_path, JOB, {"job": overlay})
    assert len(found) == 1 and found[0].startswith(
        "<customisation of job>:2: permissions.crew.where.cost: invalid row condition"), found
