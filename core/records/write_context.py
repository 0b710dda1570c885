"""What preparing a write works with: the validated values of a record (``Prepared``) and
what the write knows (``WriteContext``), shared by ``writing`` and the checks it runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.files import FileStore
from core.i18n import Translator
from core.i18n_metadata import MetadataTranslator
from core.metadata.specs import EntitySpec, Registry
from core.records.limits import DEFAULT_LIMITS, Limits
from core.storage.tables import Schema

# How an untrusted actor may read a link's target: whether at all, and the row condition
# on the target's table (None: every row).
LinkReach = Callable[[EntitySpec, sa.Table], tuple[bool, "sa.ColumnElement[bool] | None"]]


@dataclass
class Prepared:
    """Validated values of one record or line, and its validated child lines."""

    values: dict[str, Any]
    line_id: int | None = None
    current: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, list[Prepared]] = field(default_factory=dict)
    unchanged: bool = False  # a stored line given as it is stored: nothing to check or write

    @property
    def merged(self) -> dict[str, Any]:
        """Stored values overlaid with the new ones."""
        return {**self.current, **self.values}


@dataclass
class WriteContext:
    """What preparing a write needs to know."""

    registry: Registry
    schema: Schema
    connection: Connection
    username: str
    translator: Translator
    now: dt.datetime
    today: dt.date  # in the instance's time zone, not UTC's
    files: FileStore | None = None
    trusted: bool = False
    limits: Limits = DEFAULT_LIMITS
    actor_admin: bool = False  # administrators may attach any stored file
    link_reach: LinkReach | None = None  # None: links may point anywhere (trusted actors)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Stored lines read ahead for a whole table at once, by (child entity, parent id).
    stored_cache: dict[tuple[str, int], dict[int, dict]] = field(default_factory=dict)

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    @property
    def labels(self) -> MetadataTranslator:
        """The packs' labels in the translator's language (for messages naming them)."""
        return MetadataTranslator(self.registry.packs, self.translator.language)
