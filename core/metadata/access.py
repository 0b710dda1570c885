"""Permissions in metadata: a role's actions, row condition and field restrictions.

A role's value in ``permissions`` is a list of actions, or a mapping with ``actions`` and
optionally ``where`` (a row condition), ``read_only`` and ``hidden`` (field names). This
module freezes either form into a ``RolePermission`` and checks the names it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from core.i18n import Translator
from core.metadata.diagnostics import Diagnostic
from core.metadata.overlay import EntityDraft
from core.metadata.specs import EntitySpec, RolePermission
from core.records.errors import QueryError
from core.records.filters import FilterParser

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
        for key in ("read_only", "hidden"):
            for i, name in enumerate(value.get(key) or ()):
                if not entity.has_field(name):
                    problems.append(draft.diagnostic(
                        [*at, key, i], f"unknown field '{name}' of entity '{entity.name}'"))
        if "where" in value:
            problems += _where_problems(draft, entity, entities, [*at, "where"],
                                        value["where"])
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
