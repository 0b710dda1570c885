"""The live registry of one process: packs plus the overlay stored in the database.

An overlay change is validated against the packs, migrated and saved in one transaction,
and bumps the registry version; every process notices the new version on its next access
(at most every ``check_interval`` seconds) and reloads.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pluggy
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.hooks.collect import load_pack_hooks, pack_contributions
from core.metadata.loader import PackSource, read_packs
from core.metadata.pack_contributions import PackContributions
from core.metadata.registry import build_registry
from core.metadata.specs import Registry
from core.storage.database import Database
from core.storage.ddl_locks import run_ddl
from core.storage.migrate import MigrationPlan, apply_migration, finish_migration
from core.storage.tables import Schema, build_schema, system_tables

VERSION_KEY = "registry_version"


@dataclass(frozen=True)
class Loaded:
    """A registry and the tables built from it."""

    registry: Registry
    schema: Schema


class RegistryStore:
    """Loads the registry for a database and keeps it current."""

    def __init__(self, database: Database, pack_names: Sequence[str],
                 search_paths: Sequence[Path], check_interval: float = 1.0):
        self.database = database
        self.pack_names = list(pack_names)
        self.search_paths = list(search_paths)
        self.check_interval = check_interval
        self._packs: list[PackSource] | None = None
        self._loaded: Loaded | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._system = system_tables().system
        self._tables_seen: set[str] = set()

    @property
    def packs(self) -> list[PackSource]:
        """The packs read from disk (once per process), after their hooks: the field types
        the hooks add are valid in the packs' YAML."""
        if self._packs is None:
            _ = self.hooks  # loads the hooks, registering their field types
            self._packs = read_packs(self.pack_names, self.search_paths)
        return self._packs

    @cached_property
    def hooks(self) -> pluggy.PluginManager:
        """The plugin manager of these packs' hooks (core/hooks), one per store, loaded from
        the packs' folders before their YAML is read."""
        return load_pack_hooks(self.pack_names, self.search_paths)

    @cached_property
    def contributions(self) -> PackContributions:
        """What the packs' hooks add to every registry built here."""
        return pack_contributions(self.hooks)

    def _has(self, connection: Connection, table: str) -> bool:
        if table not in self._tables_seen and sa.inspect(connection).has_table(table):
            self._tables_seen.add(table)  # once a table exists, it stays
        return table in self._tables_seen

    def _has_system_tables(self, connection: Connection) -> bool:
        return self._has(connection, "officina_state")

    def stored_version(self, connection: Connection) -> int:
        """The registry version recorded in the database (0 before any overlay)."""
        if not self._has_system_tables(connection):
            return 0
        state = self._system["officina_state"]
        value = connection.execute(sa.select(state.c.value)
                                   .where(state.c.key == VERSION_KEY)).scalar()
        return int(value) if value else 0

    def overlays(self, connection: Connection) -> dict[str, str]:
        """Every entity's stored customisation, as YAML text."""
        if not self._has_system_tables(connection):
            return {}
        overlay = self._system["officina_overlay"]
        return {row.entity: row.body for row in connection.execute(sa.select(overlay))}

    def workflows(self, connection: Connection) -> dict[str, str]:
        """Workflows stored in the database (edited by administrators), as YAML text."""
        if not self._has(connection, "officina_workflow"):
            return {}
        table = self._system["officina_workflow"]
        return {row.name: row.body for row in connection.execute(sa.select(table))}

    def build(self, overlays: dict[str, str], version: int,
              workflows: dict[str, str] | None = None) -> Loaded:
        """A registry from the packs and the customisations (``MetadataError`` if it fails)."""
        registry = build_registry(self.packs, overlays, version, workflows,
                                  contributions=self.contributions)
        return Loaded(registry, build_schema(registry))

    def current(self) -> Loaded:
        """The registry in force, reloaded when another process changed the overlay."""
        now = time.monotonic()
        loaded = self._loaded
        if loaded is not None and now - self._checked_at < self.check_interval:
            return loaded
        with self._lock:
            with self.database.read() as connection:
                version = self.stored_version(connection)
                if self._loaded is None or self._loaded.registry.version != version:
                    self._loaded = self.build(self.overlays(connection), version,
                                              self.workflows(connection))
            self._checked_at = now
            return self._loaded

    def save_overlay(self, username: str, entity: str, body: str | None,
                     allow_destructive: bool = False) -> tuple[Loaded, MigrationPlan]:
        """Set (or with ``body=None`` remove) an entity's customisation.

        Validates the whole registry with it, migrates the tables and stores it in one
        transaction; on any error nothing changes and the previous registry stays in force.
        A table that stays busy raises ``TableBusy`` (the transaction is tried a few times);
        indexes are then built after the commit (``finish_migration``).
        """
        loaded, plan = run_ddl(self.database, lambda connection: self._save_overlay(
            connection, username, entity, body, allow_destructive))
        self._swap(loaded)
        finish_migration(self.database, plan)
        return loaded, plan

    def _save_overlay(self, connection: Connection, username: str, entity: str,
                      body: str | None, allow_destructive: bool
                      ) -> tuple[Loaded, MigrationPlan]:
        overlay = self._system["officina_overlay"]
        overlays = self.overlays(connection)
        spec = self.current().registry.entities.get(entity)
        former = spec.renamed_from if spec is not None else None
        if former in overlays:  # stored under the entity's old name: move it
            overlays.pop(former)
            connection.execute(overlay.delete().where(overlay.c.entity == former))
        _put(overlays, entity, body)
        version = self.stored_version(connection) + 1
        loaded = self.build(overlays, version, self.workflows(connection))
        plan = apply_migration(connection, loaded.registry, allow_destructive,
                               guards=self.database.migration_guards)
        _store(connection, overlay, overlay.c.entity, entity, body, username)
        self._bump(connection, version)
        return loaded, plan

    def save_workflow(self, username: str, name: str, body: str | None) -> Loaded:
        """Store (or with ``body=None`` drop) an administrator's version of workflow ``name``.

        It replaces the pack's workflow of that name, or adds a new one. The whole registry
        is checked first; every process picks the new version up without a restart.
        """
        table = self._system["officina_workflow"]
        with self.database.write() as connection:
            workflows = self.workflows(connection)
            _put(workflows, name, body)
            version = self.stored_version(connection) + 1
            loaded = self.build(self.overlays(connection), version, workflows)
            _store(connection, table, table.c.name, name, body, username)
            self._bump(connection, version)
        self._swap(loaded)
        return loaded

    def _bump(self, connection: Connection, version: int) -> None:
        state = self._system["officina_state"]
        if connection.execute(state.update().where(state.c.key == VERSION_KEY)
                              .values(value=str(version))).rowcount == 0:
            connection.execute(state.insert().values(key=VERSION_KEY, value=str(version)))

    def _swap(self, loaded: Loaded) -> None:
        with self._lock:
            self._loaded = loaded
            self._checked_at = time.monotonic()


def _put(documents: dict[str, str], key: str, body: str | None) -> None:
    """Set ``key``'s document, or drop it when ``body`` is None."""
    if body is None:
        documents.pop(key, None)
    else:
        documents[key] = body


def _store(connection: Connection, table: sa.Table, key_column: sa.Column, key: str,
           body: str | None, username: str) -> None:
    """Replace the stored document ``key`` (or delete it when ``body`` is None)."""
    connection.execute(table.delete().where(key_column == key))
    if body is not None:
        connection.execute(table.insert().values(
            {key_column.name: key, "body": body, "modified_by": username,
             "modified_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}))
