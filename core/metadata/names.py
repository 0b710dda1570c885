"""Names the engine reserves: standard columns and SQL reserved words."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRESQL_RESERVED
from sqlalchemy.sql.compiler import RESERVED_WORDS as SQL_RESERVED

STANDARD_COLUMNS = ("id", "ref", "created_at", "created_by", "modified_at", "modified_by",
                    "version")
CHILD_COLUMNS = ("id", "parent_id", "idx")
RESERVED_FIELD_NAMES = frozenset(STANDARD_COLUMNS + CHILD_COLUMNS)
SQL_RESERVED_WORDS = frozenset(w.lower() for w in SQL_RESERVED | POSTGRESQL_RESERVED)
MAX_IDENTIFIER = 63
SYSTEM_TABLE_PREFIX = "officina_"


def table_name(pack: str, entity: str) -> str:
    """The table of an entity: ``<pack>_<entity>``."""
    return f"{pack}_{entity}"


def default_label(name: str) -> str:
    """A readable label from a snake_case name: ``serial_number`` -> ``Serial number``."""
    return name.replace("_", " ").strip().capitalize()


def line_names(paths: Iterable[str], table: str) -> frozenset[str]:
    """The names among ``paths`` that are within child table ``table``, relative to its
    lines: ``{"total", "lines.price"}`` within ``lines`` is ``{"price"}``."""
    prefix = table + "."
    return frozenset(p[len(prefix):] for p in paths if p.startswith(prefix))
