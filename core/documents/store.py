"""Administrators' uploads of templates, kept per instance with every version."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.tables import system_tables


@dataclass(frozen=True)
class TemplateVersion:
    """One uploaded version of a template in one language."""

    version: int
    created_at: dt.datetime
    created_by: str
    size: int
    active: bool


@dataclass(frozen=True)
class ActiveUpload:
    """The upload in use for one template and language."""

    entity: str
    name: str
    language: str
    version: int
    label: str | None


def _table() -> sa.Table:
    return system_tables().system["officina_document_template"]


TABLE = _table()


def _key(entity: str, name: str, language: str) -> sa.ColumnElement[bool]:
    return sa.and_(TABLE.c.entity == entity, TABLE.c.name == name,
                    TABLE.c.language == language)


def active_uploads(connection: Connection, entity: str | None = None) -> list[ActiveUpload]:
    """The uploads in use (of one entity, or all)."""
    statement = sa.select(TABLE.c.entity, TABLE.c.name, TABLE.c.language, TABLE.c.version,
                          TABLE.c.label).where(TABLE.c.active.is_(True))
    if entity is not None:
        statement = statement.where(TABLE.c.entity == entity)
    return [ActiveUpload(**row._mapping) for row in
            connection.execute(statement.order_by(TABLE.c.name, TABLE.c.language))]


def active_content(connection: Connection, entity: str, name: str,
                   language: str) -> bytes | None:
    """The .docx in use for a template and language, if an administrator uploaded one."""
    return connection.execute(sa.select(TABLE.c.content).where(
        _key(entity, name, language), TABLE.c.active.is_(True))).scalar()


def version_content(connection: Connection, entity: str, name: str, language: str,
                    version: int) -> bytes | None:
    """The .docx of one stored version."""
    return connection.execute(sa.select(TABLE.c.content).where(
        _key(entity, name, language), TABLE.c.version == version)).scalar()


def versions(connection: Connection, entity: str, name: str,
             language: str) -> list[TemplateVersion]:
    """Every stored version, newest first."""
    rows = connection.execute(
        sa.select(TABLE.c.version, TABLE.c.created_at, TABLE.c.created_by, TABLE.c.size,
                  TABLE.c.active)
        .where(_key(entity, name, language)).order_by(TABLE.c.version.desc()))
    return [TemplateVersion(**{**row._mapping, "active": bool(row.active)}) for row in rows]


def add_version(connection: Connection, entity: str, name: str, language: str, content: bytes,
                *, username: str, now: dt.datetime, label: str | None) -> int:
    """Store ``content`` as the next version and make it the one in use."""
    current = connection.execute(sa.select(sa.func.max(TABLE.c.version)).where(
        _key(entity, name, language))).scalar()
    version = int(current or 0) + 1
    deactivate(connection, entity, name, language)
    connection.execute(TABLE.insert().values(
        entity=entity, name=name, language=language, version=version, label=label,
        content=content, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
        active=True, created_at=now, created_by=username))
    return version


def deactivate(connection: Connection, entity: str, name: str, language: str) -> None:
    """No upload in use any more: the pack's file serves (if the pack has one)."""
    connection.execute(TABLE.update().where(_key(entity, name, language),
                                            TABLE.c.active.is_(True)).values(active=False))


def label_of(connection: Connection, entity: str, name: str, language: str,
             version: int) -> str | None:
    """The label given with one version."""
    return connection.execute(sa.select(TABLE.c.label).where(
        _key(entity, name, language), TABLE.c.version == version)).scalar()


def move_entity(connection: Connection, old: str, new: str) -> None:
    """File the uploads of entity ``old`` under ``new`` (the entity was renamed), each
    template and language whose name ``new`` has no upload of its own."""
    taken = {(row.name, row.language) for row in connection.execute(
        sa.select(TABLE.c.name, TABLE.c.language).distinct().where(TABLE.c.entity == new))}
    for name, language in connection.execute(sa.select(TABLE.c.name, TABLE.c.language)
                                             .distinct().where(TABLE.c.entity == old)).all():
        if (name, language) not in taken:
            connection.execute(TABLE.update().where(_key(old, name, language))
                               .values(entity=new))
