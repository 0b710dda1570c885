"""The order computed fields are evaluated in, and the formula cycles that have none.

A computed field depends on every field its formula reads (found in Jinja2's parsed
expression, never by matching text); a ``table`` field stands for its lines, so it
depends on the computed fields of its child entity. Fields are computed after what they
read, whatever order they are declared in; formulas that read each other in a circle,
directly or through child lines, have no such order and are refused when metadata loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from graphlib import CycleError, TopologicalSorter
from typing import Any

from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_names
from core.metadata.overlay import EntityDraft
from core.metadata.specs import EntitySpec, FieldSpec

Node = tuple[str, str]  # (entity, field)


def _edges(entities: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[Node, set[Node]]:
    """What each field depends on: a formula on the fields it reads, a table on its lines'
    computed fields. ``entities`` maps entity names to their fields' data."""
    edges: dict[Node, set[Node]] = {}
    for entity, fields in entities.items():
        for name, spec in fields.items():
            if spec.get("computed"):
                read = formula_names(spec["computed"]) & set(fields)
                edges[entity, name] = {(entity, other) for other in read}
            elif spec.get("type") == "table" and spec.get("target") in entities:
                target = spec["target"]
                edges[entity, name] = {(target, line_field) for line_field, line_spec
                                       in entities[target].items()
                                       if line_spec.get("computed")}
    return edges


def _cycle(edges: dict[Node, set[Node]]) -> list[Node] | None:
    """One cycle of ``edges`` as ``[a, b, ..., a]``, or None when there is none."""
    try:
        TopologicalSorter(edges).prepare()
    except CycleError as exc:
        return list(reversed(exc.args[1]))
    return None


def formula_cycle_problems(drafts: Iterable[EntityDraft]) -> list[Diagnostic]:
    """One diagnostic per formula cycle, on the formula of the first computed field in it.

    Each diagnostic names the fields of the cycle in order (``total → tax → total``).
    """
    by_name = {draft.name: draft for draft in drafts}
    edges = _edges({name: draft.data["fields"] for name, draft in by_name.items()})
    problems: list[Diagnostic] = []
    while (cycle := _cycle(edges)) is not None:
        entity, name = next(((e, f) for e, f in cycle
                             if by_name[e].data["fields"][f].get("computed")), cycle[0])
        path = " → ".join(f if e == entity else f"{e}.{f}" for e, f in cycle)
        problems.append(by_name[entity].diagnostic(
            ["fields", name, "computed"],
            f"formula cycle: {path}; a computed field cannot depend on itself, "
            "directly or through other fields"))
        for node in cycle:
            edges.pop(node, None)  # report each cycle once, then look for others
    return problems


@cache
def _order(fields: tuple[tuple[str, str | None], ...]) -> tuple[str, ...]:
    """The names of the computed ones of ``fields`` (name, formula) in evaluation order."""
    formulas = dict(fields)
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name, formula in fields:  # declaration order breaks ties
        if formula:
            reads = formula_names(formula) & set(formulas)
            sorter.add(name, *(other for other in reads if formulas[other]))
    try:
        return tuple(sorter.static_order())
    except CycleError:  # refused when metadata loads; keep declaration order regardless
        return tuple(name for name, formula in fields if formula)


def computed_in_order(entity: EntitySpec) -> tuple[FieldSpec, ...]:
    """``entity``'s computed fields, each after the computed fields its formula reads."""
    names = _order(tuple((spec.name, spec.computed) for spec in entity.stored_fields))
    return tuple(spec for name in names if (spec := entity.field(name)) is not None)
