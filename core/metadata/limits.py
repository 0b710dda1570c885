"""Database limits checked before any DDL runs, so a change never fails half-way."""

from __future__ import annotations

from core.metadata.field_types import FIELD_TYPES
from core.metadata.names import STANDARD_COLUMNS
from core.metadata.specs import FieldSpec

# PostgreSQL allows 1600 columns (SQLite 2000): stay well inside both.
MAX_COLUMNS = 1000
# A PostgreSQL row must fit in one 8 kB page once long values are moved out of line.
MAX_ROW_BYTES = 8000
STANDARD_ROW_BYTES = 8 + 140 + 8 + 140 + 8 + 140 + 4


def estimated_row_bytes(fields: list[FieldSpec]) -> int:
    """A worst-case estimate of the inline size of a row with ``fields``."""
    return STANDARD_ROW_BYTES + sum(FIELD_TYPES[f.type].row_bytes(f) for f in fields)


def limit_problems(fields: list[FieldSpec]) -> list[str]:
    """Why a table with ``fields`` would not fit the databases, if it would not."""
    stored = [f for f in fields if f.stored]
    problems = []
    if len(stored) + len(STANDARD_COLUMNS) > MAX_COLUMNS:
        problems.append(f"too many fields: {len(stored)} columns, at most "
                        f"{MAX_COLUMNS - len(STANDARD_COLUMNS)} fit in one table")
    size = estimated_row_bytes(stored)
    if size > MAX_ROW_BYTES:
        problems.append(f"a row could reach {size} bytes, over the {MAX_ROW_BYTES}-byte limit "
                        "of a database page: use text fields for long values")
    return problems
