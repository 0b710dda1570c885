"""What one actor reaches of one entity: rows, fields, filters and link titles.

A ``Scope`` turns the policy's ``Access`` into SQL: the row condition, the caller's filters
(hidden fields refused, conditions across links limited to the target rows the actor may
read) and the link titles the actor may see.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from core.i18n import Translator
from core.metadata.filter_grammar import FilterParser
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.actor import Actor
from core.records.filters import Targets, compile_filter
from core.records.limits import Limits
from core.records.permissions import Access, PermissionPolicy, require
from core.records.reading import title_column
from core.storage.registry_store import Loaded


def link_id(loaded: Loaded, spec: FieldSpec, value: Any) -> Any:
    """A link filter's value: an id, or the id of the record with that reference."""
    if isinstance(value, int):
        return value
    target = loaded.schema.table(spec.target or "")
    return sa.select(target.c.id).where(target.c.ref == value).scalar_subquery()


def row_condition(loaded: Loaded, entity: EntitySpec, table: sa.FromClause,
                  access: Access) -> sa.ColumnElement[bool] | None:
    """``access.where`` compiled against ``table`` (None when every row is reached).

    The condition comes from metadata (checked when the packs loaded), so it may use any
    field, hidden ones included, and reach across links without limits.
    """
    if access.where is None:
        return None
    parsed = FilterParser(entity, Translator(), loaded.registry.entities).parse(access.where)
    if parsed is None:
        return None
    return compile_filter(parsed, table, lambda s, v: link_id(loaded, s, v),
                          _targets(loaded, None, None))


def _targets(loaded: Loaded, policy: PermissionPolicy | None, actor: Actor | None) -> Targets:
    """Target tables for conditions across links; limited to the actor's rows when given."""

    def target(link: FieldSpec) -> tuple[sa.FromClause, sa.ColumnElement[bool] | None]:
        entity = loaded.registry.entity(link.target or "")
        alias = loaded.schema.table(entity.name).alias()
        if policy is None or actor is None:
            return alias, None
        return alias, row_condition(loaded, entity, alias, policy.access(actor, entity, "read"))

    return target


class Scope:
    """One actor's reach into one entity for one action (``PermissionDenied`` if none)."""

    def __init__(self, policy: PermissionPolicy, loaded: Loaded, actor: Actor,
                 entity: EntitySpec, action: str = "read"):
        self.policy = policy
        self.loaded = loaded
        self.actor = actor
        self.entity = entity
        self.table = loaded.schema.table(entity.name)
        self.access = require(policy, actor, entity, action)
        self.translator = Translator(actor.language)

    @property
    def hidden(self) -> frozenset[str]:
        """Fields the actor may not read."""
        return self.access.hidden

    def visible_fields(self) -> list[str]:
        """The stored fields the actor may read, in the entity's order."""
        return [f.name for f in self.entity.stored_fields if f.name not in self.hidden]

    def rows(self, table: sa.FromClause | None = None) -> sa.ColumnElement[bool] | None:
        """The row condition on ``table`` (the entity's own by default), or None."""
        return row_condition(self.loaded, self.entity,
                             self.table if table is None else table, self.access)

    def gate(self, entity: EntitySpec, name: str) -> bool:
        """Whether the actor's filters may use field ``name`` of ``entity``."""
        access = (self.access if entity is self.entity
                  else self.policy.access(self.actor, entity, "read"))
        return access.allowed and name not in access.hidden

    def filter(self, raw: Any, trusted: bool = False,
               limits: Limits | None = None) -> sa.ColumnElement[bool] | None:
        """List filters ``raw`` compiled, or None when there are none.

        The actor's filters (the default) cannot use hidden fields, nor reach targets the
        actor may not read, and across a link they match only targets the actor may read;
        ``trusted`` filters (written in a pack) may use anything.
        """
        parser = FilterParser(self.entity, self.translator, self.loaded.registry.entities,
                              None if trusted else self.gate, limits)
        parsed = parser.parse(raw)
        if parsed is None:
            return None
        targets = _targets(self.loaded, None if trusted else self.policy, self.actor)
        return compile_filter(parsed, self.table, lambda s, v: link_id(self.loaded, s, v),
                              targets)

    def titles(self, target: EntitySpec, alias: sa.FromClause
               ) -> tuple[sa.ColumnElement[Any] | None, sa.ColumnElement[bool] | None]:
        """How the actor sees the titles of ``target``'s records (a ``TitleSource``).

        None when the actor may not read ``target``; the reference when its title field is
        hidden from them; and only for the target rows they may read.
        """
        access = self.policy.access(self.actor, target, "read")
        if not access.allowed:
            return None, None
        column = (alias.c.ref if target.title_field in access.hidden
                  else title_column(target, alias))
        return column, row_condition(self.loaded, target, alias, access)
