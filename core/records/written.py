"""Records this transaction wrote, as the records service read them right after writing.

A record the service has just inserted or updated is locked by the transaction (a row lock
on PostgreSQL, the whole database on SQLite), so no other writer can change it before the
commit: the copy the service read after writing stays exact until this connection writes
again. The service keeps those copies per connection and transaction, so that rules (and the
service itself, for the next update of the same record) need not read it again.

A write forgets the copies it can make stale: the record's own, and when the titles of the
entity's records may have changed (an update of the title field, a delete), the records of
every entity showing them (through links of the record or of its lines); a new record is
shown by none yet. A rolled-back savepoint forgets everything (``watch``), and a new
transaction starts empty. Every record write goes through the records service, which is
what makes this sound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, Registry
from core.records.write_marks import mark_written

KEY = "officina_written_records"


class _Held:
    """The copies of one transaction, by (entity, id): records as read, and their lines as
    stored (by child entity, the rows by id in order, as ``stored_lines`` gives them)."""

    __slots__ = ("created", "existing", "lines", "records", "transaction")

    def __init__(self, transaction: Any):
        self.transaction = transaction
        self.created: set[tuple[str, int]] = set()
        self.existing: set[tuple[str, int]] = set()
        self.records: dict[tuple[str, int], dict[str, Any]] = {}
        self.lines: dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]] = {}


def _held(connection: Connection, create: bool = False) -> _Held | None:
    held = connection.info.get(KEY)
    transaction = connection.get_transaction()
    if held is not None and held.transaction is transaction and transaction is not None:
        return held
    if not create or transaction is None:
        return None
    held = connection.info[KEY] = _Held(transaction)
    return held


def copied(value: Any) -> Any:
    """A copy of a record's dicts and lists (its values themselves are immutable)."""
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v) for v in value]
    return value


def remember(connection: Connection, entity: str, record: dict[str, Any]) -> None:
    """Keep a copy of ``record`` of ``entity``, just written and read in this transaction."""
    held = _held(connection, create=True)
    if held is not None:
        held.records[(entity, record["id"])] = copied(record)


def recall(connection: Connection, entity: str, record_id: Any,
           copy: bool = True) -> dict[str, Any] | None:
    """Record ``record_id`` of ``entity`` as this transaction last wrote it, if still exact
    (a copy, unless ``copy`` is False: then the caller must not change it)."""
    held = _held(connection)
    if held is None or not isinstance(record_id, int):
        return None
    found = held.records.get((entity, record_id))
    if found is None:
        return None
    return copied(found) if copy else found


def note_existing(connection: Connection, entity: EntitySpec,
                  record: Mapping[str, Any]) -> None:
    """Note that ``record`` of ``entity`` (read or written in this transaction) exists, and
    so do the records its links point to: a record still linked cannot be deleted."""
    held = _held(connection, create=True)
    if held is None or "id" not in record:
        return
    held.existing.add((entity.name, record["id"]))
    for spec in entity.stored_fields:
        if traits_of(spec).family == "link" and spec.target:
            value = record.get(spec.name)
            if isinstance(value, int) and not isinstance(value, bool):
                held.existing.add((spec.target, value))


def known_to_exist(connection: Connection, entity: str, record_id: Any) -> bool:
    """Whether record ``record_id`` of ``entity`` exists, as this transaction knows without
    reading it (False when it cannot tell)."""
    held = _held(connection)
    return held is not None and (entity, record_id) in held.existing


def note_created(connection: Connection, entity: str, record_id: int) -> None:
    """Note that record ``record_id`` of ``entity`` was created in this transaction."""
    held = _held(connection, create=True)
    if held is not None:
        held.created.add((entity, record_id))


def created_here(connection: Connection, entity: str, record_id: Any) -> bool:
    """Whether this transaction created record ``record_id`` of ``entity`` (False when it
    cannot tell: after a rolled-back savepoint, say)."""
    held = _held(connection)
    return held is not None and (entity, record_id) in held.created


def remember_lines(connection: Connection, entity: str, record_id: int,
                   lines: Mapping[str, dict[int, dict[str, Any]]]) -> None:
    """Keep the stored lines of record ``record_id`` (by child entity), read or written in
    this transaction while it holds the record; the caller must not change them after."""
    held = _held(connection, create=True)
    if held is not None:
        held.lines[(entity, record_id)] = dict(lines)


def recall_lines(connection: Connection, entity: str,
                 record_id: int) -> dict[str, dict[int, dict[str, Any]]] | None:
    """The stored lines of record ``record_id`` kept by ``remember_lines``, if still exact
    (shared: do not change them)."""
    held = _held(connection)
    return None if held is None else held.lines.get((entity, record_id))


def written(connection: Connection, registry: Registry, entity: str, record_id: int,
            titles: bool = True) -> None:
    """Note a write to record ``record_id`` of ``entity``: the connection's write mark moves
    on and the copies it may have made stale are forgotten (that record's, and when
    ``titles`` may have changed, every record of the entities showing them)."""
    mark_written(connection, showing(registry, entity) | {entity} if titles else (entity,))
    held = _held(connection)
    if held is None:
        return
    held.existing.discard((entity, record_id))  # it may be a delete
    held.lines.pop((entity, record_id), None)
    if not held.records:
        return
    held.records.pop((entity, record_id), None)
    if titles:
        stale = showing(registry, entity)
        for key in [key for key in held.records if key[0] in stale]:
            del held.records[key]


def forget_all(connection: Connection) -> None:
    """Forget every copy (after a rolled-back savepoint)."""
    connection.info.pop(KEY, None)


_SHOWING: dict[int, tuple[Registry, dict[str, frozenset[str]]]] = {}


def showing(registry: Registry, entity: str) -> frozenset[str]:
    """The root entities whose records, as read, show something of ``entity``'s records:
    ``entity`` itself (or, for lines, their root) and those linking to it, from their own
    fields or their lines' (found once per registry)."""
    found = _SHOWING.get(id(registry))
    if found is None or found[0] is not registry:
        if len(_SHOWING) > 16:
            _SHOWING.clear()
        found = _SHOWING[id(registry)] = (registry, _showing_map(registry))
    return found[1].get(entity, frozenset(registry.entities))


def _showing_map(registry: Registry) -> dict[str, frozenset[str]]:
    shown: dict[str, set[str]] = {name: set() for name in registry.entities}
    for root in registry.entities.values():
        if root.is_child:
            continue
        for part in _parts(registry, root):
            shown[part.name].add(root.name)
            for spec in part.stored_fields:
                if traits_of(spec).family == "link" and spec.target in shown:
                    shown[spec.target].add(root.name)
    return {name: frozenset(roots) for name, roots in shown.items()}


def _parts(registry: Registry, entity: EntitySpec) -> list[EntitySpec]:
    """``entity`` and the entities of its lines, at any depth."""
    parts = [entity]
    for spec in entity.table_fields:
        child = registry.entities.get(spec.target or "")
        if child is not None:
            parts += _parts(registry, child)
    return parts


def _savepoint_rolled_back(connection: Connection, *_args: Any) -> None:
    forget_all(connection)
    mark_written(connection)  # what was read inside the savepoint may be gone


def watch(engine: Engine) -> None:
    """Forget the copies (and move the write mark on) when a savepoint of ``engine`` rolls
    back: the records written inside it are as they were before it."""
    if not event.contains(engine, "rollback_savepoint", _savepoint_rolled_back):
        event.listen(engine, "rollback_savepoint", _savepoint_rolled_back)



def row_of(entity: EntitySpec, columns: Sequence[str],
           record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The table row that ``record`` (as the records service reads it) stands for, or None
    when it cannot tell: a column left out, or multiselect values (read as lists)."""
    if any(traits_of(f).multiple for f in entity.stored_fields):
        return None
    if not all(name in record for name in columns):
        return None
    return {name: record[name] for name in columns}
