"""Field values the rules hold back for a record until its event's rules have run.

The ``set`` actions of the rules one event fires change the event's record in memory and
are written as one update when those rules end (``core.rules.engine``). Until then the
record as stored is behind: whoever reads or writes that entity through the records service
(or the rules' own reads of linked rows) first has the held values written (``release``),
so nobody but the rules of the event ever sees the difference.

Held values live per connection and transaction, and go with the outermost rule run
(``drop_all``) when it fails.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

KEY = "officina_pending_sets"


@dataclass
class Held:
    """What is held back for one record: the values as the rules gave them (to write), the
    same values as stored (for the rules to read), and how to write them."""

    given: dict[str, Any]
    typed: dict[str, Any]
    write: Callable[[dict[str, Any]], None]


@dataclass
class _Pending:
    transaction: Any
    records: dict[tuple[str, int], Held] = field(default_factory=dict)
    changes: int = 0  # moves on with every value held (for readers that keep snapshots)


def _pending(connection: Connection, create: bool = False) -> _Pending | None:
    found = connection.info.get(KEY)
    transaction = connection.get_transaction()
    if found is not None and found.transaction is transaction:
        return found
    if not create:
        return None
    found = connection.info[KEY] = _Pending(transaction)
    return found


def hold(connection: Connection, entity: str, record_id: int, given: dict[str, Any],
         typed: dict[str, Any], write: Callable[[dict[str, Any]], None]) -> None:
    """Hold ``given`` (and its stored form ``typed``) for record ``record_id`` of
    ``entity``, over what is held already; ``write`` (of the first values held) writes them
    all."""
    pending = _pending(connection, create=True)
    assert pending is not None
    held = pending.records.get((entity, record_id))
    if held is None:
        pending.records[(entity, record_id)] = Held(dict(given), dict(typed), write)
    else:
        held.given.update(given)
        held.typed.update(typed)
    pending.changes += 1


def held_values(connection: Connection, entity: str, record_id: Any) -> dict[str, Any] | None:
    """The values held for the record, as stored (shared: do not change), or None."""
    pending = _pending(connection)
    if pending is None or not pending.records:
        return None
    held = pending.records.get((entity, record_id))
    return None if held is None else held.typed


def pending_mark(connection: Connection) -> int:
    """A number that changes whenever a value is held on ``connection``."""
    pending = _pending(connection)
    return 0 if pending is None else pending.changes


def release(connection: Connection, entity: str, record_id: Any = None,
            fields: Collection[str] | None = None) -> None:
    """Write what is held for record ``record_id`` of ``entity`` (every record of it when
    None; only if some of ``fields`` are held, when given), before someone reads or writes
    it as stored."""
    pending = _pending(connection)
    if pending is None or not pending.records:
        return
    keys = [key for key, held in pending.records.items()
            if key[0] == entity and (record_id is None or key[1] == record_id)
            and (fields is None or not held.given.keys().isdisjoint(fields))]
    for key in keys:
        held = pending.records.pop(key, None)
        if held is not None:
            held.write(held.given)


def drop_all(connection: Connection) -> None:
    """Forget everything held (the rule run that held it failed)."""
    connection.info.pop(KEY, None)
