"""What an actor reaches through the records service: the fields they may read and write,
the links they may follow, and whether a written record stays within their rows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.i18n import _
from core.i18n_metadata import MetadataTranslator
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, Registry
from core.records.actor import Actor
from core.records.errors import RecordValidationError
from core.records.permissions import ACTION_NAMES, FieldAccess, PermissionPolicy
from core.records.scope import Scope, row_condition
from core.records.write_context import LinkReach
from core.storage.registry_store import Loaded


def hidden_path(path: str, names: frozenset[str]) -> bool:
    """Whether field ``path`` (``table.field`` for lines) or a table holding it is among
    ``names``."""
    parts = path.split(".")
    return any(".".join(parts[:i]) in names for i in range(1, len(parts) + 1))


def link_reach(policy: PermissionPolicy, loaded: Loaded, actor: Actor) -> LinkReach:
    """Whether ``actor`` may read a link's target entity, and which of its rows."""
    def reach(target: EntitySpec, table: sa.Table
              ) -> tuple[bool, sa.ColumnElement[bool] | None]:
        access = policy.access(actor, target, "read")
        return access.allowed, row_condition(loaded, target, table, access)
    return reach


def check_reach(conn: Connection, scope: Scope, record_id: int, action: str) -> None:
    """Refuse a write that leaves the record outside the rows the actor may write."""
    visible = scope.rows()
    if visible is None:
        return
    found = conn.execute(sa.select(scope.table.c.id).where(
        scope.table.c.id == record_id, visible)).first()
    if found is None:
        t = scope.translator
        labels = MetadataTranslator(scope.loaded.registry.packs, t.language)
        raise RecordValidationError(labels.entity_message(
            _("The {entity} was not saved: it would be outside the records you may "
              "{action}."), scope.entity, lower=True,
            action=t.gettext(ACTION_NAMES[action])))


def governing(registry: Registry, entity: EntitySpec) -> EntitySpec:
    """The entity whose permissions apply to ``entity``: itself, or for lines the root."""
    while entity.is_child:
        parent = registry.parent_of(entity.name)
        if parent is None:
            break
        entity = parent[0]
    return entity


def field_access(policy: PermissionPolicy, registry: Registry, entity: EntitySpec,
                 actor: Actor, action: str) -> FieldAccess:
    """The fields of root ``entity`` that ``actor`` may read, and may write when they
    ``action`` (``create`` or ``update``) a record (see ``RecordsService.field_access``)."""
    read = policy.access(actor, entity, "read")
    write = policy.access(actor, entity, action)

    def names(of: EntitySpec, prefix: str = "") -> list[tuple[str, str, EntitySpec]]:
        found = []
        for f in of.fields:
            found.append((prefix + f.name, f.name, of))
            if traits_of(f).family == "table":
                found += names(registry.entity(f.target or ""), f"{prefix}{f.name}.")
        return found

    def system(of: EntitySpec, name: str) -> bool:
        spec = of.field(name)
        return spec is not None and (bool(spec.computed) or (
            not actor.trusted and name in registry.filled_by_system(of.name)))

    every = names(entity)
    readable = frozenset(path for path, _name, _of in every
                         if read.allowed and not hidden_path(path, read.hidden))
    writable = frozenset(path for path, name, of in every
                         if write.allowed and not hidden_path(path, write.locked)
                         and not system(of, name))
    return FieldAccess(readable=readable, writable=writable,
                       locked=frozenset(path for path, _name, _of in every
                                        if hidden_path(path, write.locked)))
