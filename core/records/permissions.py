"""The permission hook: every records-service call asks a policy first."""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from core.i18n import Translator, _
from core.metadata.specs import EntitySpec
from core.records.actor import Actor
from core.records.errors import PermissionDenied

ACTION_NAMES = {"read": _("read"), "create": _("create"), "update": _("update"),
                "delete": _("delete")}


class PermissionPolicy(Protocol):
    """Decides what an actor may do; implementations compose entity, row and field rules."""

    def allows(self, actor: Actor, entity: EntitySpec, action: str) -> bool:
        """Whether ``actor`` may ``action`` records of ``entity`` at all."""
        ...

    def row_filter(self, actor: Actor, entity: EntitySpec,
                   table: sa.Table) -> sa.ColumnElement[bool] | None:
        """A condition limiting which rows ``actor`` sees, or None for all of them."""
        ...


class RolePolicy:
    """Entity permissions by role, from metadata; the ``admin`` role may do everything.

    ``"*"`` in an entity's ``permissions`` means any signed-in user. An entity without
    ``permissions`` is open to administrators only. Child entities follow their parent.
    """

    def allows(self, actor: Actor, entity: EntitySpec, action: str) -> bool:
        if actor.is_admin:
            return True
        granted = set(entity.permissions.get("*", ()))
        for role in actor.roles:
            granted |= entity.permissions.get(role, frozenset())
        return action in granted

    def row_filter(self, actor: Actor, entity: EntitySpec,
                   table: sa.Table) -> sa.ColumnElement[bool] | None:
        return None


def require(policy: PermissionPolicy, actor: Actor, entity: EntitySpec, action: str) -> None:
    """Raise ``PermissionDenied`` (localised) unless ``actor`` may ``action`` on ``entity``."""
    if not policy.allows(actor, entity, action):
        t = Translator(actor.language)
        raise PermissionDenied(t.gettext(_("You may not {action} {entity}."),
                                         action=t.gettext(ACTION_NAMES[action]),
                                         entity=entity.plural.lower()))
