"""Functions that rule expressions may call to read other records and reckon dates.

They read through the records port (``core.records.ports``) as the rule's actor (an
administrator), inside the transaction of the change, so a rule sees what earlier actions
wrote. Every function is plain data in, plain data out: expressions stay in Jinja2's
sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from core import recurrence as recurrence_rules
from core.metadata.field_types import traits_of
from core.metadata.specs import Registry
from core.records.actor import Actor
from core.records.errors import NotFound
from core.records.ports import RecordsPort
from core.records.reading import ListQuery
from core.records.write_marks import entity_mark, write_mark
from core.sandbox import reads_stored

FIND_LIMIT = 500
OCCURRENCES_LIMIT = 500
REACH_HORIZON_DAYS = 100 * 366
# The records ``get`` read during the outermost rule run on a connection (in its ``info``,
# by (entity, key): the entity's write mark when read, and the record or None), kept while
# no write changes how that entity's records read.
LOOKUPS = "officina_rule_lookups"


class LookupScope(Protocol):
    """What the record functions read with (an ``ActionContext`` is one)."""

    records: RecordsPort
    connection: Connection
    actor: Actor
    registry: Registry
    # Reads kept per record-write mark of the connection (shared by one run's contexts).
    snapshots: dict[str, tuple[int, Any]]


def _plain(value: Any) -> Any:
    """A value as the filter syntax takes it (ISO text for dates, text for decimals)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _filters(raw: Any) -> Any:
    """``{field: value}`` (all equal) or the records service's filter syntax."""
    if raw is None:
        return None
    if isinstance(raw, Mapping) and not {"and", "or", "not"} & set(raw):
        return [[name, "is null" if value is None else "=", _plain(value)]
                for name, value in raw.items()]
    return _plain(raw)


def record_functions(ctx: LookupScope) -> dict[str, Callable[..., Any]]:
    """``get``, ``find``, ``find_one``, ``exists``, ``first_each``, ``copy_lines``,
    ``edit_lines`` and ``edit_lines_by``, bound to the transaction of ``ctx``."""
    records = ctx.records

    def get(entity: str, key: int | str | None) -> dict[str, Any] | None:
        """The record ``key`` (id or reference) of ``entity`` with its lines, or none (read
        once while no record is written on the connection: expressions cannot change it)."""
        if key is None or key == "":
            return None
        shared = ctx.connection.info.get(LOOKUPS)
        if shared is not None:  # one rule run: kept until a write changes that entity's
            mark: Any = entity_mark(ctx.connection, entity)
            read = shared
        else:
            mark = write_mark(ctx.connection)
            held = ctx.snapshots.get("get")
            if held is None or held[0] != mark:
                held = ctx.snapshots["get"] = (mark, {})
            read = held[1]
        found = read.get((entity, key))
        if found is not None and found[0] == mark:
            return found[1]
        try:
            record = records.get(ctx.actor, entity, key, connection=ctx.connection)
        except NotFound:
            record = None
        read[(entity, key)] = (entity_mark(ctx.connection, entity) if shared is not None
                               else mark, record)
        return record

    def find(entity: str, filters: Any = None, sort: str | Iterable[str] = (),
             limit: int = FIND_LIMIT) -> list[dict[str, Any]]:
        """The records of ``entity`` that match ``filters`` (at most ``limit``)."""
        order = (sort,) if isinstance(sort, str) else tuple(sort)
        query = ListQuery(filters=_filters(filters), sort=order,
                          limit=max(1, min(int(limit), FIND_LIMIT)), count=False)
        return records.list(ctx.actor, entity, query, connection=ctx.connection).rows

    def find_one(entity: str, filters: Any = None, sort: str | Iterable[str] = ()
                 ) -> dict[str, Any] | None:
        """The first record of ``entity`` that matches ``filters`` (by ``sort``), or none."""
        found = find(entity, filters, sort, limit=1)
        return found[0] if found else None

    def exists(entity: str, filters: Any = None) -> bool:
        """Whether some record of ``entity`` matches ``filters``."""
        return bool(find(entity, filters, limit=1))

    def copy(entity: str, table_field: str, rows: Any) -> list[dict[str, Any]]:
        """Lines of ``entity``'s ``table_field`` as values for a new record."""
        return copy_lines(ctx.registry, entity, table_field, rows)

    def edit(entity: str, table_field: str, rows: Any, where: Mapping[str, Any],
             values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Lines of ``entity``'s ``table_field`` to write back, ``values`` set where the
        lines' fields equal ``where``."""
        return edit_lines(ctx.registry, entity, table_field, rows, where, values)

    def first_each(entity: str, filters: Any, field: str, keys: Iterable[Any],
                   sort: str | Iterable[str] = (), value: str | None = None
                   ) -> dict[Any, Any]:
        """For each of ``keys``: the first record of ``entity`` (by ``sort``) that matches
        ``filters`` and whose ``field`` is that key, or its field ``value`` when given;
        None where there is none (one lookup per key, at most ``FIND_LIMIT`` keys)."""
        wanted = list(dict.fromkeys(key for key in keys if key is not None))
        if len(wanted) > FIND_LIMIT:
            raise ValueError(f"first_each: {len(wanted)} keys, more than {FIND_LIMIT}")
        base = _filters(filters)
        found: dict[Any, Any] = {}
        for key in wanted:
            one = [field, "=", _plain(key)]
            combined = [*base, one] if isinstance(base, list) else (
                [one] if base is None else {"and": [base, one]})
            record = find_one(entity, combined, sort)
            found[key] = record if value is None or record is None else record.get(value)
        return found

    def edit_by(entity: str, table_field: str, rows: Any, match: str,
                values: Mapping[str, Mapping[Any, Any]]) -> list[dict[str, Any]]:
        """Lines of ``entity``'s ``table_field`` to write back, each field of ``values`` set
        from its mapping by the line's ``match`` value."""
        return edit_lines_by(ctx.registry, entity, table_field, rows, match, values)

    for read in (get, find, find_one, exists):  # records as stored: not weighed again
        reads_stored(read)
    return {"get": get, "find": find, "find_one": find_one, "exists": exists,
            "first_each": first_each, "copy_lines": copy, "edit_lines": edit,
            "edit_lines_by": edit_by}


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _day_end(value: dt.date | dt.datetime) -> dt.datetime:
    """A datetime as it is; a date as its last moment (a date bound covers its whole day)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.max)


def occurrences(rule: str, start: dt.date | dt.datetime, until: dt.date | dt.datetime,
                after: dt.date | dt.datetime | None = None) -> list[Any]:
    """The times of RFC 5545 recurrence ``rule`` counted from ``start``, up to ``until``
    (included) and, when given, strictly after ``after``; a date as ``until`` or ``after``
    stands for its whole day. Dates in, dates out."""
    if not rule:
        return []
    if not recurrence_rules.is_valid(rule):  # unreadable, or no date can ever meet it
        raise ValueError(f"not a recurrence rule that can happen: {rule!r}")
    recurrence = recurrence_rules.parse(rule, _as_datetime(start))
    low = _day_end(after) if after is not None else None
    high = _day_end(until)
    found: list[Any] = []
    for moment in recurrence.xafter(_as_datetime(start), count=None, inc=True):
        if moment > high or len(found) >= OCCURRENCES_LIMIT:
            break
        if low is not None and moment <= low:
            continue
        found.append(moment if isinstance(start, dt.datetime) else moment.date())
    return found


def reach_date(rows: Iterable[Mapping[str, Any]], date_field: str, value_field: str,
               target: float | Decimal | int) -> dt.date | None:
    """When a growing reading (running hours, a counter) reaches ``target``, by the
    least-squares line through ``rows``' (date, value) points; none without a rising trend
    (fewer than two dates, or values that do not grow)."""
    points = [(row[date_field], float(row[value_field])) for row in rows
              if row.get(date_field) is not None and row.get(value_field) is not None]
    if len({day for day, _ in points}) < 2:
        return None
    origin = min(day for day, _ in points)
    xs = [float((day - origin).days) for day, _ in points]
    ys = [value for _, value in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    if slope <= 0:
        return None
    intercept = mean_y - slope * mean_x
    days = (float(target) - intercept) / slope
    if abs(days) > REACH_HORIZON_DAYS:
        return None  # a trend too flat to reach the target in any useful time
    return origin + dt.timedelta(days=round(days))


def remap(rows: Iterable[Mapping[str, Any]], fields: Mapping[str, str],
          constants: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """New rows from ``rows``: each ``{new_name: row[old_name]}`` for ``fields``, plus
    ``constants`` (to turn one entity's lines into another's)."""
    return [{**{new: row.get(old) for new, old in fields.items()}, **(constants or {})}
            for row in rows]


SYSTEM_KEYS = frozenset({"id", "ref", "version", "created_at", "created_by", "modified_at",
                         "modified_by", "parent_id", "position", "_titles"})


def copy_lines(registry: Registry, entity: str, table_field: str,
               rows: Iterable[Mapping[str, Any]] | None,
               keep_ids: bool = False) -> list[dict[str, Any]]:
    """Lines of table field ``table_field`` of ``entity`` as values to write: positions,
    titles and computed fields left out, nested lines copied too; ids too unless
    ``keep_ids`` (to write the same lines back to their record)."""
    spec = registry.entity(entity).field(table_field)
    if spec is None or traits_of(spec).family != "table" or not spec.target:
        raise ValueError(f"'{table_field}' is not a table field of entity '{entity}'")
    child = registry.entity(spec.target)
    copied = []
    for row in rows or []:
        line: dict[str, Any] = {"id": row["id"]} if keep_ids and row.get("id") else {}
        for key, value in row.items():
            field = child.field(key)
            if key in SYSTEM_KEYS or field is None or field.computed:
                continue
            line[key] = (copy_lines(registry, child.name, key, value, keep_ids)
                         if traits_of(field).family == "table" else value)
        copied.append(line)
    return copied


def edit_lines(registry: Registry, entity: str, table_field: str,
               rows: Iterable[Mapping[str, Any]] | None, where: Mapping[str, Any],
               values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The lines of a record, to write back, with ``values`` set on those whose fields equal
    ``where`` (the others as they are)."""
    lines = copy_lines(registry, entity, table_field, rows, keep_ids=True)
    for line in lines:
        if all(line.get(name) == value for name, value in where.items()):
            line.update(values)
    return lines


def edit_lines_by(registry: Registry, entity: str, table_field: str,
                  rows: Iterable[Mapping[str, Any]] | None, match: str,
                  values: Mapping[str, Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """The lines of a record, to write back, with each field of ``values`` (a mapping from
    values of the lines' field ``match`` to the field's new value) set on the lines whose
    ``match`` value the mapping holds (the others as they are): many lines changed in one
    pass, where ``edit_lines`` once per line would copy every line each time."""
    lines = copy_lines(registry, entity, table_field, rows, keep_ids=True)
    for line in lines:
        key = line.get(match)
        for name, by_key in values.items():
            if key in by_key:
                line[name] = by_key[key]
    return lines


PURE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "occurrences": occurrences, "reach_date": reach_date, "remap": remap,
}
