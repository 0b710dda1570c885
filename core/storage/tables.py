"""SQLAlchemy Core tables built from the registry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache, cached_property

import sqlalchemy as sa

from core.metadata.field_types import FIELD_TYPES, traits_of
from core.metadata.specs import EntitySpec, FieldSpec, Registry
from core.storage.conventions import ID_TYPE, NAMING_CONVENTION
from core.storage.system_tables import add_system_tables


def _field_column(spec: FieldSpec, registry: Registry) -> sa.Column:
    column_type = FIELD_TYPES[spec.type].column
    assert column_type is not None
    args: list = []
    if traits_of(spec).family == "link":
        target = registry.entity(spec.target or "")
        args.append(sa.ForeignKey(f"{target.table_name}.id"))
    return sa.Column(spec.name, column_type(spec), *args, nullable=True,
                     index=spec.index or spec.unique or traits_of(spec).family == "link",
                     unique=spec.unique or None,
                     comment=spec.label)


def _standard_columns(entity: EntitySpec, registry: Registry) -> list[sa.Column]:
    columns = [sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True)]
    if entity.is_child:
        parent = registry.parent_of(entity.name)
        assert parent is not None
        columns += [
            sa.Column("parent_id", ID_TYPE,
                      sa.ForeignKey(f"{parent[0].table_name}.id", ondelete="CASCADE"),
                      nullable=False, index=True),
            sa.Column("idx", sa.Integer(), nullable=False),
        ]
        return columns
    return [
        *columns,
        sa.Column("ref", sa.String(140), nullable=False, unique=True, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(140), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("modified_by", sa.String(140), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def index_name(table: str, fields: tuple[str, ...], prefix: str = "ix") -> str:
    """A deterministic name for a composite index, shortened with a hash past 63 characters."""
    name = f"{prefix}_{table}_{'_'.join(fields)}"
    if len(name) <= 63:
        return name
    return f"{name[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"  # noqa: S324 - a name


@dataclass(frozen=True)
class Schema:
    """The tables of one registry version."""

    metadata: sa.MetaData
    tables: dict[str, sa.Table]
    aliases: dict[tuple[str, str], sa.Alias] = field(default_factory=dict, compare=False,
                                                     repr=False)

    def table(self, entity: str) -> sa.Table:
        """The table of ``entity``."""
        return self.tables[entity]

    def alias(self, entity: str, name: str) -> sa.Alias:
        """An alias of ``entity``'s table, its columns set up once for all reads: building
        an alias's column collection costs a proxy per column, and every read needs them."""
        key = (entity, name)
        found = self.aliases.get(key)
        if found is None:
            found = self.tables[entity].alias(name)
            _ = found.c  # set up the column collection now, once
            self.aliases[key] = found
        return found

    @cached_property
    def system(self) -> dict[str, sa.Table]:
        """The engine's own tables, by name (found once: a schema's tables do not change)."""
        return {name: table for name, table in self.metadata.tables.items()
                if name.startswith("officina_")}


# Schemas by the content hash of the registry they were built from. Tables are descriptions
# (no engine, no state), nothing changes them once built, and the same registry is built into
# tables again and again: by each instance and web worker, by every migration (twice), by
# each test. Entities are all a schema depends on, and the content hash covers them.
_SCHEMAS: dict[str, Schema] = {}
_SCHEMAS_KEPT = 64


def build_schema(registry: Registry) -> Schema:
    """Every entity's table plus the engine's own, in one ``MetaData`` (built once per
    registry content)."""
    cached = _SCHEMAS.get(registry.content_hash)
    if cached is None:
        if len(_SCHEMAS) >= _SCHEMAS_KEPT:
            _SCHEMAS.clear()
        cached = _SCHEMAS[registry.content_hash] = _build_schema(registry)
    return cached


def _build_schema(registry: Registry) -> Schema:
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    add_system_tables(metadata)
    tables: dict[str, sa.Table] = {}
    for entity in registry.entities.values():
        columns = _standard_columns(entity, registry)
        columns += [_field_column(f, registry) for f in entity.stored_fields]
        table = sa.Table(entity.table_name, metadata, *columns, comment=entity.label)
        for fields in entity.indexes:
            sa.Index(index_name(entity.table_name, fields), *(table.c[f] for f in fields))
        for fields in entity.unique:  # a unique index, as single unique fields have
            sa.Index(index_name(entity.table_name, fields, "uq"),
                     *(table.c[f] for f in fields), unique=True)
        tables[entity.name] = table
    return Schema(metadata=metadata, tables=tables)


@cache
def system_tables() -> Schema:
    """Only the engine's own tables (for code that needs no registry); built once, since
    they do not depend on any pack."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    add_system_tables(metadata)
    return Schema(metadata=metadata, tables={})
