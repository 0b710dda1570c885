"""The narrow ways other parts reach records: what rule actions, rule lookups and worker jobs
call on the records service, and no more.

``RecordsService`` satisfies these protocols as it is (structurally: nothing registers), so a
caller typed against a port says what it needs of records, and the import graph runs one
way: rules depend on this module, never on the service's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from core.files import FileStore
from core.records.actor import Actor
from core.records.reading import ListQuery, Page


class RecordsPort(Protocol):
    """Reading and changing records as an actor, inside a caller's transaction."""

    def get(self, actor: Actor, entity_name: str, key: int | str, *,
            connection: Connection | None = None) -> dict[str, Any]:
        """One record by id or ref, with its lines (``NotFound`` if out of reach)."""
        ...

    def list(self, actor: Actor, entity_name: str, query: ListQuery | None = None, *,
             connection: Connection | None = None) -> Page:
        """A page of the records matching ``query``."""
        ...

    def create(self, actor: Actor, entity_name: str, data: Mapping[str, Any], *,
               connection: Connection | None = None) -> dict[str, Any]:
        """A new record, as stored."""
        ...

    def update(self, actor: Actor, entity_name: str, key: int | str,
               data: Mapping[str, Any], *, version: int | None = None,
               connection: Connection | None = None) -> dict[str, Any]:
        """A changed record, as stored; ``version`` must be the one last read."""
        ...

    def transition(self, actor: Actor, entity_name: str, key: int | str, name: str, *,
                   version: int | None = None,
                   connection: Connection | None = None) -> dict[str, Any]:
        """The record after its workflow transition ``name``."""
        ...


class FileRecordsPort(RecordsPort, Protocol):
    """Records and the file store their attachment fields name (for worker jobs)."""

    @property
    def files(self) -> FileStore | None:
        """The file store, or None when none is configured."""
        ...
