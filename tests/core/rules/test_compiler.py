"""Compiling many rules: rulesets stay small, names follow the content, every rule matches."""

from __future__ import annotations

from pathlib import Path

from core.metadata.registry import load_registry
from core.rules.compiler import RULES_PER_RULESET, compile_entity
from core.rules.host import RulesHost
from tests.support.packs import write_pack

ENTITY = """
name: reading
label: Reading
fields:
  value: {type: integer}
"""


def pack_with(tmp_path: Path, count: int, offset: int = 0) -> Path:
    rules = "".join(f"  - {{name: above_{i}, on: created, "
                    f"when: {{field: value, gt: {i + offset}}}, do: []}}\n" for i in range(count))
    write_pack(tmp_path, "meters", {"entities/reading.yaml": ENTITY,
                                    "workflows/many.yaml": f"name: many\nentity: reading\n"
                                                           f"rules:\n{rules}"})
    return tmp_path


def test_hundreds_of_rules_are_split_into_small_rulesets_and_all_match(tmp_path: Path) -> None:
    registry = load_registry(["meters"], [pack_with(tmp_path, 250)])
    compiled = compile_entity(registry.entity("reading"), registry)
    assert len(compiled.rulesets) == 3
    assert all(len(r) <= RULES_PER_RULESET for r in compiled.rulesets.values())
    host = RulesHost()
    host.register(compiled.rulesets)
    fired = host.match(compiled.rulesets, {"t__kind": "created", "r__value": 120, "_now": 0})
    assert sorted(fired) == sorted(f"many.above_{i}" for i in range(120))


def test_an_edited_workflow_gets_new_ruleset_names(tmp_path: Path) -> None:
    first = load_registry(["meters"], [pack_with(tmp_path / "a", 3)])
    edited = load_registry(["meters"], [pack_with(tmp_path / "b", 3, offset=1)])
    names = set(compile_entity(first.entity("reading"), first).rulesets)
    assert names.isdisjoint(compile_entity(edited.entity("reading"), edited).rulesets)
    host = RulesHost()
    for registry in (first, edited):  # both registered in one process, side by side
        host.register(compile_entity(registry.entity("reading"), registry).rulesets)
