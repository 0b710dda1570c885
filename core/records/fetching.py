"""Fetch-from: a field declared ``fetch_from: link.field`` takes the linked record's value
when the link is set or changed and the write gives the field no value of its own (a part's
price from its item, a call's customer from its machine)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from core.metadata.specs import EntitySpec, FieldSpec
from core.records.write_context import Prepared, WriteContext


@lru_cache(maxsize=512)
def fetched_fields(entity: EntitySpec) -> dict[str, list[tuple[FieldSpec, str]]]:
    """The fields of ``entity`` that fetch, by the link they fetch through, with the
    target's field each one takes."""
    by_link: dict[str, list[tuple[FieldSpec, str]]] = {}
    for spec in entity.stored_fields:
        if spec.fetch_from:
            link, source = spec.fetch_from.split(".", 1)
            by_link.setdefault(link, []).append((spec, source))
    return by_link


def fetchable_fields(entity: EntitySpec, data: Mapping[str, Any]) -> frozenset[str]:
    """The fields that ``data`` leaves to be fetched: their link is given a value."""
    return frozenset(spec.name for link, fields in fetched_fields(entity).items()
                     if data.get(link) not in (None, "") for spec, _ in fields)


LinkedValues = dict[tuple[str, str], Any]  # (link field, target's column) -> its value


def fetch_needs(entity: EntitySpec, prepared: Prepared,
                existing: Mapping[str, Any] | None) -> dict[str, set[str]]:
    """The target columns to read, by link, for the fetching fields of ``prepared`` whose link
    this write sets or changes and which it leaves empty."""
    values, needs = prepared.values, {}
    for link_name, fields in fetched_fields(entity).items():
        linked_id = values.get(link_name)
        if not isinstance(linked_id, int) or isinstance(linked_id, bool):
            continue  # not given, cleared, or refused by the link check
        if existing is not None and existing.get(link_name) == linked_id:
            continue  # the link is as stored: what was fetched then (or typed since) stays
        wanted = {source for spec, source in fields if values.get(spec.name) in (None, "")}
        if wanted:
            needs[link_name] = wanted
    return needs


def read_linked(ctx: WriteContext, entity: EntitySpec, record: Mapping[str, Any],
                needs: Mapping[str, set[str]]) -> LinkedValues:
    """The ``needs`` columns of the records the links of ``record`` point to, in one query."""
    keys, columns = [], []
    for link_name, wanted in needs.items():
        table = ctx.schema.table(entity.field(link_name).target or "")
        for column in sorted(wanted):
            keys.append((link_name, column))
            columns.append(sa.select(table.c[column])
                           .where(table.c.id == record[link_name]).scalar_subquery())
    if not columns:
        return {}
    return dict(zip(keys, ctx.connection.execute(sa.select(*columns)).one(), strict=True))


def fetch_linked(entity: EntitySpec, prepared: Prepared, needs: Mapping[str, set[str]],
                 linked: LinkedValues) -> None:
    """Fill the fetching fields that ``needs`` named with the values read."""
    values = prepared.values
    for link_name in needs:
        for spec, source in fetched_fields(entity)[link_name]:
            value = linked.get((link_name, source))
            if values.get(spec.name) in (None, "") and value is not None:
                values[spec.name] = value
