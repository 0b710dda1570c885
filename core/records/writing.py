"""Preparing values for a write: defaults, validation, links, computed fields, child lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError

from core.i18n import Translator, _
from core.i18n_metadata import MetadataTranslator
from core.metadata.expressions import FormulaError, compile_formula, formula_names
from core.metadata.field_types import FIELD_TYPES, traits_of
from core.metadata.formula_order import computed_in_order
from core.metadata.names import line_names
from core.metadata.specs import EntitySpec, FieldSpec
from core.metadata.write_authority import STATE
from core.records.fetching import fetch_linked, fetch_needs, fetchable_fields, read_linked
from core.records.field_conditions import check_field_conditions
from core.records.file_keys import check_file_keys
from core.records.link_filters import check_link_filters, link_filter_needs
from core.records.reading import title_column
from core.records.validation import load, writable
from core.records.write_context import Prepared, WriteContext
from core.records.written import known_to_exist


def default_value(spec: FieldSpec, username: str, now: dt.datetime, today: dt.date) -> Any:
    """A field's default, with ``$today``, ``$now`` and ``$user`` filled in."""
    dynamic = {"$today": lambda: today, "$now": lambda: now, "$user": lambda: username}
    if isinstance(spec.default, str) and spec.default in dynamic:
        return dynamic[spec.default]()
    return spec.default


def prepare(ctx: WriteContext, entity: EntitySpec, data: Mapping[str, Any],
            existing: Mapping[str, Any] | None, prefix: str = "",
            locked: frozenset[str] = frozenset(),
            hidden: frozenset[str] = frozenset()) -> Prepared:
    """Validate ``data`` for ``entity`` (a new record when ``existing`` is None).

    ``locked`` fields are those the actor's permissions do not let them write (``table.field``
    for fields of lines): giving one a value is an error (a default still applies on
    creation). ``hidden`` fields (locked too) the actor may not even read: a line giving one
    is refused whatever the value, so that no guess is told apart. Untrusted actors cannot
    give a system-filled field (computed, read-only, filled by rules) a value other than the
    one it has. Errors are collected in ``ctx.errors`` under dotted paths (``lines.2.qty``).
    """
    t = ctx.translator
    for name in data:
        if name in locked:
            ctx.error(prefix + name, t.gettext(_("You may not change this field.")))
    raw = {k: v for k, v in data.items()
           if k not in ("id", "version", "_titles") and k not in locked}
    by_rules = _keep_system_values(ctx, entity, raw, existing)
    tables = {f.name: raw.pop(f.name) for f in entity.table_fields if f.name in raw}
    fixed: dict[str, Any] = {}
    if existing is None:
        for spec in entity.stored_fields:
            if spec.name not in raw and spec.default is not None:
                value = default_value(spec, ctx.username, ctx.now, ctx.today)
                if writable(spec) and spec.name not in locked and spec.name not in by_rules:
                    raw[spec.name] = value
                else:  # read-only fields take their default, checked when the pack loaded
                    fixed[spec.name] = FIELD_TYPES[spec.type].loader(spec, t).deserialize(value)
    fetchable = fetchable_fields(entity, raw)
    values, errors = load(entity, raw, t.language, partial=existing is not None,
                          trusted=ctx.trusted, by_rules=by_rules, fetchable=fetchable)
    values.update(fixed)
    for name, messages in errors.items():
        for message in messages:
            ctx.error(prefix + name, message)
    prepared = Prepared(values=values, current=dict(existing or {}))
    _resolve_links(ctx, entity, prepared.values, prefix, prepared.current)
    fetches, filters = fetch_needs(entity, prepared, existing), link_filter_needs(entity, prepared)
    linked = read_linked(ctx, entity, prepared.merged, _union(fetches, filters))
    fetch_linked(entity, prepared, fetches, linked)
    check_link_filters(ctx, entity, prepared, filters, linked, prefix)
    check_field_conditions(ctx, entity, prepared, existing, prefix)
    for name in fetchable:
        if entity.field(name).required and prepared.merged.get(name) in (None, "") \
                and not ctx.errors.get(prefix + name):
            ctx.error(prefix + name, t.gettext(_("A value is required.")))
    _check_files(ctx, entity, prepared, prefix)
    for spec in entity.table_fields:
        if spec.name not in tables:
            continue
        lines = tables[spec.name]
        if lines is None:
            lines = []
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            ctx.error(prefix + spec.name, t.gettext(_("Must be a list of lines.")))
            continue
        if len(lines) > ctx.limits.max_lines:
            ctx.error(prefix + spec.name, t.gettext(_("At most {max} lines."),
                                                    max=ctx.limits.max_lines))
            continue
        child = ctx.registry.entity(spec.target or "")
        stored = stored_lines(ctx, child, existing["id"]) if existing and "id" in existing else {}
        if stored and child.table_fields:
            _read_ahead(ctx, child, list(stored))
        within, unseen = line_names(locked, spec.name), line_names(hidden, spec.name)
        prepared.lines[spec.name] = [
            _prepare_line(ctx, child, line, stored, f"{prefix}{spec.name}.{index}.", within,
                          unseen)
            for index, line in enumerate(lines)]
    return prepared


def _union(*needs: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Columns to read by link, of several needs together (one query for all of them)."""
    merged: dict[str, set[str]] = {}
    for need in needs:
        for link, columns in need.items():
            merged.setdefault(link, set()).update(columns)
    return merged


def stored_lines(ctx: WriteContext, child: EntitySpec, parent_id: int) -> dict[int, dict]:
    """The lines of ``child`` that record ``parent_id`` owns now, by id, in order (read
    once per write: kept in ``ctx.stored_cache`` until the lines are saved)."""
    cached = ctx.stored_cache.get((child.name, parent_id))
    if cached is not None:
        return cached
    table = ctx.schema.table(child.name)
    rows = ctx.connection.execute(sa.select(table).where(table.c.parent_id == parent_id)
                                  .order_by(table.c.idx))
    found = ctx.stored_cache[(child.name, parent_id)] = {row.id: dict(row._mapping)
                                                         for row in rows}
    return found


def _read_ahead(ctx: WriteContext, entity: EntitySpec, parent_ids: list[int]) -> None:
    """Read the stored lines of lines ``parent_ids`` (of ``entity``) in one query per table
    field, for ``stored_lines`` to answer while they are prepared and saved."""
    for spec in entity.table_fields:
        child = ctx.registry.entity(spec.target or "")
        table = ctx.schema.table(child.name)
        found: dict[int, dict[int, dict]] = {parent_id: {} for parent_id in parent_ids}
        for row in ctx.connection.execute(sa.select(table).where(
                table.c.parent_id.in_(parent_ids)).order_by(table.c.parent_id, table.c.idx)):
            found[row.parent_id][row.id] = dict(row._mapping)
        for parent_id, lines in found.items():
            ctx.stored_cache[(child.name, parent_id)] = lines


def _prepare_line(ctx: WriteContext, child: EntitySpec, line: Mapping[str, Any],
                  stored: dict[int, dict], prefix: str,
                  locked: frozenset[str] = frozenset(),
                  hidden: frozenset[str] = frozenset()) -> Prepared:
    line_id = line.get("id")
    if line_id is not None and (isinstance(line_id, bool) or not isinstance(line_id, int)
                                or line_id not in stored):
        ctx.error(prefix + "id", ctx.translator.gettext(
            _("Line {id} does not belong to this record."), id=line_id))
        line_id = None
    if line_id is not None and _as_stored(ctx, child, line, stored[line_id], hidden):
        return Prepared(values={}, line_id=line_id, current=dict(stored[line_id]),
                        unchanged=True)
    prepared = prepare(ctx, child, line, stored[line_id] if line_id else None, prefix,
                       locked, hidden)
    prepared.line_id = line_id
    return prepared


def _as_stored(ctx: WriteContext, child: EntitySpec, line: Mapping[str, Any],
               stored: Mapping[str, Any], hidden: frozenset[str] = frozenset()) -> bool:
    """Whether ``line`` gives every value exactly as line ``stored`` holds it (and its own
    lines likewise), so that rewriting a record's whole table costs only the lines that
    change. A line giving a ``hidden`` field never is: whether a guess matched stays
    unknown (``prepare`` refuses it)."""
    for key, value in line.items():
        if key in ("id", "_titles"):
            continue
        spec = child.field(key)
        if key in hidden or spec is None or spec.computed \
                or (not spec.stored and traits_of(spec).family != "table"):
            return False
        if traits_of(spec).family == "table":
            nested = stored_lines(ctx, ctx.registry.entity(spec.target or ""), stored["id"])
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value) \
                    or [v.get("id") for v in value] != list(nested):
                return False
            grandchild = ctx.registry.entity(spec.target or "")
            unseen = line_names(hidden, key)
            if not all(_as_stored(ctx, grandchild, v, nested[v["id"]], unseen)
                       for v in value):
                return False
            continue
        old = stored.get(key)
        if type(value) is not type(old) or value != old:
            return False
    return True


def _resolve_links(ctx: WriteContext, entity: EntitySpec, values: dict[str, Any],
                   prefix: str, current: Mapping[str, Any]) -> None:
    """Turn link refs into ids and check that linked records exist (one query for all the
    links of the record); an id the record already stores is kept as it is (it is not
    looked up again).

    With ``ctx.link_reach`` (untrusted actors), a changed link must point to a record the
    actor may read: one outside their rows is "No ... exists", as if missing; on an entity
    they may not read at all, any new value is "You may not read ..." (never looked up).
    """
    t = ctx.translator
    checks: list[tuple[FieldSpec, EntitySpec, Any]] = []
    columns: list[sa.ColumnElement[Any]] = []
    for spec in entity.stored_fields:
        if traits_of(spec).family != "link" or values.get(spec.name) is None:
            continue
        if current and isinstance(values[spec.name], int) \
                and not isinstance(values[spec.name], bool) \
                and values[spec.name] == current.get(spec.name):
            continue
        target = ctx.registry.entity(spec.target or "")
        table = ctx.schema.table(target.name)
        value = values[spec.name]
        if ctx.link_reach is None and isinstance(value, int) and not isinstance(value, bool) \
                and known_to_exist(ctx.connection, target.name, value):
            continue  # read or linked in this transaction: it exists, and may be linked
        column = table.c.id if isinstance(value, int) else table.c.ref
        allowed, rows = ctx.link_reach(target, table) if ctx.link_reach else (True, None)
        if not allowed:  # a new value, never looked up: whether it exists is not theirs
            ctx.error(prefix + spec.name, t.gettext(_("You may not read {entity}."),
                                                    entity=target.plural.lower()))
            continue
        columns.append(sa.select(table.c.id).where(column == value).scalar_subquery())
        columns.append(sa.true() if rows is None else
                       sa.select(rows).where(column == value).scalar_subquery())
        checks.append((spec, target, value))
    if not checks:
        return
    row = ctx.connection.execute(sa.select(*columns)).one()
    for index, (spec, target, value) in enumerate(checks):
        found_id, readable = row[2 * index], row[2 * index + 1]
        unchanged = found_id is not None and found_id == current.get(spec.name)
        if found_id is None or not (unchanged or readable):
            ctx.error(prefix + spec.name, ctx.labels.entity_message(
                _("No {entity} \"{value}\" exists."), target, lower=True, value=value))
        else:
            values[spec.name] = found_id


def _keep_system_values(ctx: WriteContext, entity: EntitySpec, raw: dict[str, Any],
                        existing: Mapping[str, Any] | None) -> frozenset[str]:
    """For an untrusted actor: leave out of ``raw`` the system-filled fields given the value
    they have (the stored one, or on creation their default or nothing), so that sending a
    record back as read is no write; return the fields rules fill (refused by ``load``)."""
    if ctx.trusted:
        return frozenset()
    filled = ctx.registry.filled_by_system(entity.name)
    for name in [n for n in raw if filled.get(n) not in (None, STATE)]:
        spec = entity.field(name)
        assert spec is not None
        if existing is not None:
            kept = existing.get(name)
        elif spec.default is not None:
            kept = default_value(spec, ctx.username, ctx.now, ctx.today)
        else:
            kept = None
        if _same_value(ctx, spec, raw[name], kept):
            del raw[name]
    return frozenset(n for n, why in filled.items() if why == "rules")


def _same_value(ctx: WriteContext, spec: FieldSpec, given: Any, kept: Any) -> bool:
    """Whether ``given`` (as a caller writes it) is the value ``kept`` (as stored)."""
    if given in (None, "") or kept in (None, ""):
        return given in (None, "") and kept in (None, "")
    loader = FIELD_TYPES[spec.type].loader(spec, ctx.translator)
    try:
        value = loader.deserialize(given)
        stored = loader.deserialize(kept) if not isinstance(kept, type(value)) else kept
    except (ValidationError, TypeError, ValueError):
        return False
    if traits_of(spec).family == "link" and isinstance(value, str):
        table = ctx.schema.table(spec.target or "")
        value = ctx.connection.execute(sa.select(table.c.id).where(table.c.ref == value)
                                       ).scalar()
    return bool(value == stored)


def _check_files(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                 prefix: str) -> None:
    """Attachments and images must name stored files the actor may attach
    (``core.records.file_keys``)."""
    check_file_keys(ctx, entity, prepared, prefix)


@lru_cache(maxsize=4096)
def _formula_names(expression: str) -> frozenset[str]:
    return frozenset(formula_names(expression))


def formulas_read(entity: EntitySpec) -> frozenset[str]:
    """The names the formulas of ``entity``'s own computed fields read."""
    names: frozenset[str] = frozenset()
    for spec in entity.stored_fields:
        if spec.computed:
            names |= _formula_names(spec.computed)
    return names


@lru_cache(maxsize=4096)
def field_loader(spec: FieldSpec, language: str) -> Any:
    """The marshmallow field that loads values of ``spec`` (built once per language:
    loaders keep no state)."""
    return FIELD_TYPES[spec.type].loader(spec, Translator(language))


def apply_computed(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                   current: Mapping[str, Any], prefix: str = "") -> None:
    """Compute formula fields, lines first, in Jinja2's sandbox; errors go to ``ctx``."""
    context: dict[str, Any] = {f.name: None for f in entity.stored_fields}
    context.update({f.name: [] for f in entity.table_fields})
    context.update({**current, **prepared.merged})
    for name, lines in prepared.lines.items():
        child = ctx.registry.entity(entity.field(name).target or "")  # type: ignore[union-attr]
        for index, line in enumerate(lines):
            if not line.unchanged:
                apply_computed(ctx, child, line, {}, f"{prefix}{name}.{index}.")
        context[name] = [line.merged for line in lines]
    for spec in computed_in_order(entity):  # each after the computed fields it reads
        try:
            result = compile_formula(spec.computed)(context)
            loader = field_loader(spec, ctx.translator.language)
            value = None if result is None else loader.deserialize(result)
        except FormulaError as exc:
            ctx.error(prefix + spec.name, exc.localised(ctx.translator))
            continue
        except ValidationError as exc:
            ctx.error(prefix + spec.name, str(exc.messages[0]))
            continue
        prepared.values[spec.name] = value
        context[spec.name] = value


def check_unique(ctx: WriteContext, entity: EntitySpec, values: Mapping[str, Any],
                 record_id: int | None, prefix: str = "") -> None:
    """Report unique fields whose new value another record already has."""
    table = ctx.schema.table(entity.name)
    for spec in entity.stored_fields:
        if not spec.unique or values.get(spec.name) is None:
            continue
        clash = sa.select(title_column(entity, table) if not entity.is_child else table.c.id
                          ).where(table.c[spec.name] == values[spec.name])
        if record_id is not None:
            clash = clash.where(table.c.id != record_id)
        other = ctx.connection.execute(clash.limit(1)).scalar()
        if other is not None:
            ctx.error(prefix + spec.name, ctx.translator.gettext(
                _("Already used by {other}."), other=other))
    _check_unique_groups(ctx, entity, values, record_id, prefix)


def _check_unique_groups(ctx: WriteContext, entity: EntitySpec, values: Mapping[str, Any],
                         record_id: int | None, prefix: str) -> None:
    """Report, on a group's last field, values that another record has in the same group.

    On an update ``values`` holds the changed fields only: the others are read from the
    stored record. A group with an empty field clashes with nothing (as SQL's NULLs).
    """
    groups = [g for g in entity.unique if any(name in values for name in g)]
    if not groups:
        return
    table = ctx.schema.table(entity.name)
    current: Mapping[str, Any] = {}
    if record_id is not None:
        row = ctx.connection.execute(sa.select(table).where(table.c.id == record_id)).first()
        current = row._mapping if row is not None else {}
    merged = {**current, **values}
    labels = MetadataTranslator.for_registry(ctx.registry, ctx.translator.language)
    for group in groups:
        if any(merged.get(name) is None for name in group):
            continue
        clash = sa.select(title_column(entity, table)).where(
            *(table.c[name] == merged[name] for name in group))
        if record_id is not None:
            clash = clash.where(table.c.id != record_id)
        other = ctx.connection.execute(clash.limit(1)).scalar()
        if other is None:
            continue
        others = [labels.field_label(spec).lower() for spec in
                  (entity.field(name) for name in group[:-1]) if spec is not None]
        ctx.error(prefix + group[-1], ctx.translator.gettext(
            _("Already used by {other} with the same {fields}."), other=other,
            fields=", ".join(others)))
