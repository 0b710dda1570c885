"""The permission hook: every records-service call asks a policy first.

A policy answers, for an actor, an entity and an action, with an ``Access``: whether the
action is allowed, which rows it reaches (a row condition in the list-filter syntax) and
which fields are hidden or locked. The records service compiles and enforces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any, Protocol

from core.i18n import Translator, _
from core.metadata.access import fill_user
from core.metadata.specs import EntitySpec, RolePermission
from core.records.actor import Actor
from core.records.errors import PermissionDenied

ACTION_NAMES = {"read": _("read"), "create": _("create"), "update": _("update"),
                "delete": _("delete"), "export": _("export")}


@dataclass(frozen=True)
class Access:
    """What an actor may do with one action on one entity.

    ``where`` is the row condition (list-filter syntax, ``$user`` filled in), or None for
    every row; ``hidden`` fields are neither returned nor usable in filters, sorts, searches
    and reports; ``locked`` fields (hidden ones included) cannot be written.
    """

    allowed: bool
    where: Any = None
    hidden: frozenset[str] = frozenset()
    locked: frozenset[str] = frozenset()

    @property
    def restricted(self) -> bool:
        """Whether anything limits the actor beyond the action itself."""
        return self.where is not None or bool(self.hidden) or bool(self.locked)


@dataclass(frozen=True)
class FieldAccess:
    """The fields an actor may read, and may write, on one entity (for forms); ``locked``
    are those their permissions keep them from writing (whoever else fills them)."""

    readable: frozenset[str]
    writable: frozenset[str]
    locked: frozenset[str] = frozenset()


FULL_ACCESS = Access(allowed=True)
NO_ACCESS = Access(allowed=False)


class PermissionPolicy(Protocol):
    """Decides what an actor may do; implementations compose entity, row and field rules."""

    def allows(self, actor: Actor, entity: EntitySpec, action: str) -> bool:
        """Whether ``actor`` may ``action`` records of ``entity`` at all."""
        ...

    def access(self, actor: Actor, entity: EntitySpec, action: str) -> Access:
        """The rows and fields ``actor`` may ``action`` on ``entity``."""
        ...


class RolePolicy:
    """Entity permissions by role, from metadata; the ``admin`` role may do everything.

    ``"*"`` in an entity's ``permissions`` means any signed-in user. An entity without
    ``permissions`` is open to administrators only. Child entities follow their parent.

    With several roles (``"*"`` counts as one every user has), an action is allowed when any
    role grants it. Among the roles granting it: the rows reached are those any of them
    reaches (the OR of their ``where``; all rows when one has none); a field is hidden when
    every one hides it, and locked (not writable) when none leaves it writable.
    """

    def allows(self, actor: Actor, entity: EntitySpec, action: str) -> bool:
        return self.access(actor, entity, action).allowed

    def access(self, actor: Actor, entity: EntitySpec, action: str) -> Access:
        if actor.is_admin:
            return FULL_ACCESS
        granting = [p for p in _roles(actor, entity) if action in p.actions]
        if not granting:
            return NO_ACCESS
        if any(p.where is None for p in granting):
            where = None
        else:
            conditions = [fill_user(p.where, actor.username) for p in granting]
            where = conditions[0] if len(conditions) == 1 else {
                "or": [_one_filter(condition) for condition in conditions]}
        hidden = reduce(frozenset.intersection, (p.hidden for p in granting))
        locked = reduce(frozenset.intersection, (p.hidden | p.read_only for p in granting))
        return Access(allowed=True, where=where, hidden=hidden, locked=locked)


class ScopedPolicy:
    """Another policy, limited by the API token an actor acts through (``Actor.scopes``).

    An entity the token's scopes do not reach, or a write with a read scope, is not allowed,
    whatever the owner's roles (administrators included). Lines follow their parent, whose
    scope was checked to reach them.
    """

    def __init__(self, inner: PermissionPolicy):
        self.inner = inner

    def allows(self, actor: Actor, entity: EntitySpec, action: str) -> bool:
        return self.access(actor, entity, action).allowed

    def access(self, actor: Actor, entity: EntitySpec, action: str) -> Access:
        if (actor.scopes is not None and not entity.is_child
                and not actor.scopes.permits(entity.name, action)):
            return NO_ACCESS
        return self.inner.access(actor, entity, action)


def _one_filter(where: Any) -> Any:
    """A filter as one item of a group: a list of filters becomes ``{"and": [...]}``."""
    if (isinstance(where, list) and where
            and all(isinstance(item, list | dict) for item in where)):
        return {"and": where}
    return where


def _roles(actor: Actor, entity: EntitySpec) -> Iterable[RolePermission]:
    for role in ("*", *sorted(actor.roles)):
        permission = entity.role_permissions.get(role)
        if permission is not None:
            yield permission


def denied(actor: Actor, entity: EntitySpec, action: str) -> PermissionDenied:
    """The localised ``PermissionDenied`` for ``action`` on ``entity``."""
    t = Translator(actor.language)
    return PermissionDenied(t.gettext(_("You may not {action} {entity}."),
                                      action=t.gettext(ACTION_NAMES[action]),
                                      entity=entity.plural.lower()))


def require(policy: PermissionPolicy, actor: Actor, entity: EntitySpec, action: str) -> Access:
    """The actor's ``Access``; ``PermissionDenied`` (localised) unless the action is allowed."""
    access = policy.access(actor, entity, action)
    if not access.allowed:
        raise denied(actor, entity, action)
    return access
