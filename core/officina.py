"""Wiring of one running instance: database, live registry and records service."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pluggy

from core.config import Settings
from core.documents.field_use import TemplateGuard
from core.files import FileStore
from core.hooks.collect import register_actions
from core.records.events import EventRelay
from core.records.limits import Limits
from core.records.service import RecordsService, ServiceOptions
from core.rules.engine import RulesEngine
from core.sandbox import use_limits
from core.storage.database import Database
from core.storage.lock_settings import MigrationLocks
from core.storage.registry_store import RegistryStore

if TYPE_CHECKING:
    from core.documents.service import DocumentService


def instance_database(url: str, locks: MigrationLocks | None = None) -> Database:
    """The database of an instance at ``url``, with the guards every migration of an instance
    runs (document templates keep the fields they read)."""
    return Database(url, locks=locks, guards=(TemplateGuard(),))


@dataclass
class Officina:
    """Everything a command, a web worker or a test needs, created once and passed in."""

    settings: Settings
    database: Database
    registry: RegistryStore
    records: RecordsService
    rules: RulesEngine
    hooks: pluggy.PluginManager  # the enabled packs' hooks (core/hooks), this instance's own

    @classmethod
    def open(cls, settings: Settings, *, database: Database | None = None,
             registry: RegistryStore | None = None) -> Officina:
        """Connect to the instance's database, load its packs' hooks (core/hooks) and prepare
        its registry (built lazily).

        A caller that already holds the instance's ``database`` and live ``registry`` (a tool,
        a test) passes them in, so the registry is not read and built a second time.
        """
        use_limits(settings.sandbox)  # one sandbox policy per process: [sandbox] settings
        database = database or (registry.database if registry else
                                instance_database(settings.database_url, settings.migrations))
        registry = registry or RegistryStore(database, settings.packs, settings.pack_paths,
                                             settings.registry_check_interval)
        events = EventRelay()  # the rules engine attaches once built: it needs the records
        records = RecordsService(database, registry,
                                 options=ServiceOptions(count_limit=settings.count_limit,
                                                        timezone=settings.timezone,
                                                        limits=Limits.from_settings(
                                                            settings.limits)),
                                 files=FileStore(settings.instance / "files"), events=events)
        engine = RulesEngine(records)
        engine.actions.load_entry_points()
        register_actions(engine.actions, registry.hooks)
        events.attach(engine)
        return cls(settings, database, registry, records, engine, registry.hooks)

    @cached_property
    def documents(self) -> DocumentService:
        """Word templates of the instance's entities, rendered for its users."""
        from core.documents.service import DocumentService

        return DocumentService(self.records, self.database, self.settings.timezone)

    def close(self) -> None:
        """Release database connections."""
        self.database.dispose()
