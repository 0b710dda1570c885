"""The fields and entities a database held before a migration: what templates may rely on.

Every migration ends by recording each entity's field names in ``officina_state`` (child
tables included: a ``table`` field is no column, so the tables alone cannot tell that it
existed). The next migration compares the registry it brings with that record, and with the
columns the tables have, which also covers a database migrated before the record was kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.metadata.names import CHILD_COLUMNS, STANDARD_COLUMNS
from core.metadata.specs import Registry
from core.storage.tables import system_tables

KNOWN_FIELDS_KEY = "document_fields"
_NOT_FIELDS = frozenset(STANDARD_COLUMNS + CHILD_COLUMNS)


@dataclass(frozen=True)
class FieldsBefore:
    """What the database held: field names by entity of the new registry (a renamed entity
    under its new name), and the names of entities it had that the new registry lacks."""

    fields: dict[str, frozenset[str]]
    gone_entities: frozenset[str]


def _state() -> sa.Table:
    return system_tables().system["officina_state"]


def recorded_fields(connection: Connection) -> dict[str, frozenset[str]]:
    """The field names by entity recorded by the last migration ({} before the first)."""
    state = _state()
    if not sa.inspect(connection).has_table(state.name):
        return {}
    value = connection.execute(sa.select(state.c.value).where(
        state.c.key == KNOWN_FIELDS_KEY)).scalar()
    return {entity: frozenset(names) for entity, names in json.loads(value).items()} \
        if value else {}


def record_fields(connection: Connection, registry: Registry) -> None:
    """Record ``registry``'s field names by entity as those the database now holds."""
    state = _state()
    value = json.dumps({entity.name: sorted(spec.name for spec in entity.fields)
                        for entity in registry.entities.values()}, sort_keys=True)
    updated = connection.execute(state.update().where(state.c.key == KNOWN_FIELDS_KEY)
                                 .values(value=value))
    if updated.rowcount == 0:
        connection.execute(state.insert().values(key=KNOWN_FIELDS_KEY, value=value))


def fields_before(connection: Connection, registry: Registry) -> FieldsBefore:
    """The fields and entities the database holds before it is migrated to ``registry``."""
    recorded = recorded_fields(connection)
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    fields: dict[str, frozenset[str]] = {}
    tables_of_entities: set[str] = set()
    for entity in registry.entities.values():
        former = entity.renamed_from
        old_name = former if former in recorded and entity.name not in recorded else entity.name
        known = set(recorded.get(old_name, ()))
        former_table = f"{entity.pack}_{former}" if former else None
        table = entity.table_name if entity.table_name in tables or former_table not in \
            tables else former_table
        tables_of_entities |= {entity.table_name, former_table or entity.table_name}
        if table in tables:
            known |= {column["name"] for column in inspector.get_columns(table)} - _NOT_FIELDS
        fields[entity.name] = frozenset(known)
    present = set(registry.entities) | {e.renamed_from for e in registry.entities.values()
                                        if e.renamed_from}
    gone = {name for name in recorded if name not in present}
    for table in tables - tables_of_entities:  # tables of entities no pack declares now
        for pack in registry.packs:
            name = table.removeprefix(f"{pack.name}_")
            if name != table and name not in present:
                gone.add(name)
    return FieldsBefore(fields, frozenset(gone))
