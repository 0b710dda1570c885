"""Permissions in metadata: a role's actions, row condition and field restrictions.

A role's value in ``permissions`` is a list of actions, or a mapping with ``actions`` and
optionally ``where`` (a row condition), ``read_only`` and ``hidden`` (field names, and
``table.field`` for a field of a child table's lines). This module freezes either form into
a ``RolePermission`` and checks the names it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from core.errors import QueryError
from core.i18n import Translator
from core.metadata.diagnostics import Diagnostic
from core.metadata.expressions import formula_names, formula_words
from core.metadata.field_types import traits_of
from core.metadata.filter_grammar import FilterParser
from core.metadata.overlay import EntityDraft
from core.metadata.specs import EntitySpec, RolePermission

USER = "$user"
GROUP_KEYS = ("and", "or", "not")


def where_filter(raw: Any) -> Any:
    """A ``where`` in the list-filter syntax.

    A mapping other than a group (``{"and": [...]}``, ``{"or": ...}``, ``{"not": ...}``) is
    shorthand: ``{field: value}`` means ``field = value`` (a list means ``in``, null means
    ``is null``), and several keys must all hold.
    """
    if isinstance(raw, Mapping) and not (len(raw) == 1 and next(iter(raw)) in GROUP_KEYS):
        return [shorthand_condition(name, value) for name, value in raw.items()]
    return raw


def shorthand_condition(name: str, value: Any) -> list[Any]:
    """The condition ``{name: value}`` stands for."""
    if value is None:
        return [name, "is null"]
    if isinstance(value, list | tuple):
        return [name, "in", list(value)]
    return [name, "=", value]


def freeze(value: Any) -> Any:
    """Lists as tuples and mappings as read-only mappings, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def fill_user(where: Any, username: str) -> Any:
    """``where`` with every ``$user`` value replaced by ``username``."""
    if isinstance(where, Mapping):
        return {k: fill_user(v, username) for k, v in where.items()}
    if isinstance(where, list | tuple):
        return [fill_user(v, username) for v in where]
    return username if where == USER else where


def role_permission(value: Any) -> RolePermission:
    """A ``RolePermission`` from either metadata form of a role's value."""
    if not isinstance(value, Mapping):
        return RolePermission(actions=frozenset(value))
    where = value.get("where")
    return RolePermission(actions=frozenset(value.get("actions") or ()),
                          where=None if where is None else freeze(where_filter(where)),
                          read_only=frozenset(value.get("read_only") or ()),
                          hidden=frozenset(value.get("hidden") or ()))


def permission_problems(draft: EntityDraft, entity: EntitySpec,
                        entities: Mapping[str, EntitySpec]) -> list[Diagnostic]:
    """Unknown fields in ``read_only``/``hidden``; ``where`` conditions that do not compile."""
    problems: list[Diagnostic] = []
    for role, value in (draft.data.get("permissions") or {}).items():
        if not isinstance(value, Mapping):
            continue
        at = ["permissions", role]
        known = True
        for key in ("read_only", "hidden"):
            for i, name in enumerate(value.get(key) or ()):
                problem = _path_problem(entity, entities, name)
                if problem:
                    known = False
                    problems.append(draft.diagnostic([*at, key, i], problem))
        if known:
            problems += _rebuildable_totals(draft, entity, entities, at,
                                            list(value.get("hidden") or ()))
        if "where" in value:
            problems += _where_problems(draft, entity, entities, [*at, "where"],
                                        value["where"])
    return problems


def _path_problem(entity: EntitySpec, entities: Mapping[str, EntitySpec],
                  path: str) -> str | None:
    """What is wrong with a field name or ``table.field`` path, or None."""
    head, _, rest = path.partition(".")
    spec = entity.field(head)
    if spec is None:
        return f"unknown field '{head}' of entity '{entity.name}'"
    if not rest:
        return None
    if traits_of(spec).family != "table" or spec.target not in entities:
        return f"'{head}' is not a child table: '{path}' names no field of its lines"
    return _path_problem(entities[spec.target], entities, rest)


def line_fields_of(formula: str, entity: EntitySpec,
                   entities: Mapping[str, EntitySpec]) -> set[str]:
    """The ``table.field`` paths a formula of ``entity`` may read: for each child table it
    names, the fields of the lines whose names it mentions (``lines | sum(attribute=
    'amount')`` reads ``lines.amount``)."""
    names = formula_names(formula)
    words = formula_words(formula)
    found: set[str] = set()
    for spec in entity.table_fields:
        if spec.name in names and spec.target in entities:
            found |= {f"{spec.name}.{f.name}" for f in entities[spec.target].stored_fields
                      if f.name in words}
    return found


def _holder(entity: EntitySpec, entities: Mapping[str, EntitySpec],
            path: str) -> tuple[EntitySpec, str] | None:
    """The (child) entity that holds the last field of ``path``, and that field's name."""
    head, _, rest = path.partition(".")
    if not rest:
        return entity, head
    spec = entity.field(head)
    if spec is None or spec.target not in entities:
        return None
    return _holder(entities[spec.target], entities, rest)


def _exposed(path: str, entity: EntitySpec, entities: Mapping[str, EntitySpec],
             hidden: frozenset[str], seen: frozenset[str] = frozenset()) -> str | None:
    """The visible field that reveals line field ``path``: itself when it is not hidden,
    or one its formula reads when it is computed from visible fields (at any depth of
    lines); None if none does."""
    if not any(path == h or path.startswith(h + ".") for h in hidden):
        return path
    found = _holder(entity, entities, path)
    field = found[0].field(found[1]) if found is not None else None
    if found is None or field is None or not field.computed or path in seen:
        return None
    holder, base = found[0], path.rpartition(".")[0]
    names = formula_names(field.computed)
    sources = [f"{base}.{n}" for n in sorted(names)
               if (spec := holder.field(n)) is not None and spec.stored]
    sources += [f"{base}.{p}" for p in sorted(line_fields_of(field.computed, holder,
                                                             entities))]
    revealed = [_exposed(p, entity, entities, hidden, seen | {path}) for p in sources]
    return revealed[0] if revealed and all(revealed) else None


def _rebuildable_totals(draft: EntityDraft, entity: EntitySpec,
                        entities: Mapping[str, EntitySpec], at: list,
                        listed: list[str]) -> list[Diagnostic]:
    """A hidden field computed from line fields the role still sees could be rebuilt from
    them: refuse it, naming the line field to hide too."""
    problems = []
    hidden = frozenset(listed)
    for index, name in enumerate(listed):
        spec = entity.field(name)
        if spec is None or not spec.computed:
            continue
        for path in sorted(line_fields_of(spec.computed, entity, entities)):
            visible = _exposed(path, entity, entities, hidden)
            if visible is not None:
                seen = ("which the role sees" if visible == path
                        else f"which the role can work out from '{visible}'")
                problems.append(draft.diagnostic(
                    [*at, "hidden", index], f"'{spec.name}' is hidden but computed from "
                    f"'{path}', {seen}: hide '{visible}' too, or '{spec.name}' can be "
                    "rebuilt from the lines"))
                break
    return problems


def _where_problems(draft: EntityDraft, entity: EntitySpec,
                    entities: Mapping[str, EntitySpec], at: list, raw: Any) -> list[Diagnostic]:
    parser = FilterParser(entity, Translator(), entities=entities)
    if isinstance(raw, Mapping) and not (len(raw) == 1 and next(iter(raw)) in GROUP_KEYS):
        parts = [([*at, name], [shorthand_condition(name, value)])
                 for name, value in raw.items()]
    else:
        parts = [(at, raw)]
    problems = []
    for path, condition in parts:
        try:
            parser.parse(condition)
        except QueryError as exc:
            problems.append(draft.diagnostic(path, f"invalid row condition: {exc.message}"))
    return problems
