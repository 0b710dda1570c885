"""Link filters: a link declared ``link_filter: {customer: customer}`` may only point to a
record whose ``customer`` is this record's (a call's machine must be the call's customer's).
The form narrows the suggestions; this check makes every surface keep to it."""

from __future__ import annotations

import sqlalchemy as sa

from core.i18n import _
from core.metadata.specs import EntitySpec
from core.records.write_context import Prepared, WriteContext


def check_link_filters(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                       prefix: str = "") -> None:
    """Refuse a set or changed link whose record does not match the fields it must."""
    merged = prepared.merged
    for spec in entity.stored_fields:
        if not spec.link_filter or spec.name in ctx.errors:
            continue
        value = merged.get(spec.name)
        changed = spec.name in prepared.values or any(
            ours in prepared.values for _, ours in spec.link_filter)
        if not isinstance(value, int) or isinstance(value, bool) or not changed:
            continue
        wanted = [(theirs, merged.get(ours)) for theirs, ours in spec.link_filter
                  if merged.get(ours) not in (None, "")]
        if not wanted:
            continue
        table = ctx.schema.table(spec.target or "")
        row = ctx.connection.execute(sa.select(*(table.c[t] for t, _ in wanted))
                                     .where(table.c.id == value)).one_or_none()
        if row is None:
            continue  # the link check has said it does not exist
        for (theirs, expected), found in zip(wanted, row, strict=True):
            if found != expected:
                owner = entity.field(next(o for t, o in spec.link_filter if t == theirs))
                ctx.error(prefix + spec.name, ctx.translator.gettext(
                    _("It is not one of the choices of the {field} given."),
                    field=ctx.labels.field_label(owner) if owner else theirs))
                break
