"""Naming series such as ``CALL-{YYYY}-{#####}``: numbers drawn atomically in the database."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

COUNTER = re.compile(r"\{(#+)\}")
DATE_TOKENS = {"{YYYY}": "%Y", "{YY}": "%y", "{MM}": "%m", "{DD}": "%d"}


def series_key(pattern: str, today: dt.date) -> str:
    """The counter a pattern uses on ``today``: date tokens filled, the counter kept."""
    key = pattern
    for token, directive in DATE_TOKENS.items():
        key = key.replace(token, today.strftime(directive))
    return key


def format_ref(key: str, number: int) -> str:
    """The reference for ``number`` in a series key (``{#####}`` pads to five digits)."""
    return COUNTER.sub(lambda m: str(number).zfill(len(m[1])), key, count=1)


def next_number(connection: Connection, series: sa.Table, key: str) -> int:
    """Draw the next number of ``key``; concurrent transactions never draw the same one.

    The UPDATE takes the counter's row lock (PostgreSQL) or the write lock (SQLite, where
    writes begin IMMEDIATE) until commit; a rolled-back transaction gives its number back.
    """
    bump = (series.update().where(series.c.series == key)
            .values(current=series.c.current + 1).returning(series.c.current))
    number = connection.execute(bump).scalar()
    if number is None:  # the series' first number
        dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(dialect_insert(series).values(series=key, current=0)
                           .on_conflict_do_nothing(index_elements=["series"]))
        number = connection.execute(bump).scalar_one()
    return int(number)


def next_ref(connection: Connection, series: sa.Table, pattern: str, today: dt.date,
             scope: str) -> str:
    """The next reference of ``scope``'s (an entity's) naming series: each has its own counter."""
    key = series_key(pattern, today)
    return format_ref(key, next_number(connection, series, f"{scope}:{key}"))
