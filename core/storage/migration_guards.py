"""Checks that run inside a migration's transaction, given by the layers above storage.

Storage knows no documents or rules; a layer that keeps something which depends on the
tables (document templates read fields) hands the database a ``MigrationGuard`` when the
instance is wired (``core.officina``). ``before`` may refuse the migration by raising, and
nothing changes; ``after`` follows the change (it runs in the same transaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from core.metadata.specs import Registry


class MigrationGuard(Protocol):
    """One check around the migration to ``registry``."""

    def before(self, connection: Connection, registry: Registry) -> None:
        """Raise to refuse the migration (the caller rolls back)."""
        ...

    def after(self, connection: Connection, registry: Registry) -> None:
        """Follow the applied migration, in its transaction."""
        ...
