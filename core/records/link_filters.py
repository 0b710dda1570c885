"""Link filters: a link declared ``link_filter: {customer: customer}`` may only point to a
record whose ``customer`` is this record's (a call's machine must be the call's customer's).
The form narrows the suggestions; this check makes every surface keep to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.metadata.specs import EntitySpec
from core.records.write_context import Prepared, WriteContext


def _changes(prepared: Prepared, name: str) -> bool:
    stored = prepared.current
    return name in prepared.values and (not stored or prepared.values[name] != stored.get(name))


def link_filter_needs(entity: EntitySpec, prepared: Prepared) -> dict[str, set[str]]:
    """The target columns to read, by link, to check the link filters this write touches."""
    merged, needs = prepared.merged, {}
    for spec in entity.stored_fields:
        value = merged.get(spec.name)
        if not spec.link_filter or not isinstance(value, int) or isinstance(value, bool):
            continue
        if _changes(prepared, spec.name) or any(_changes(prepared, ours)
                                                for _, ours in spec.link_filter):
            needs[spec.name] = {theirs for theirs, _ in spec.link_filter}
    return needs


def check_link_filters(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                       needs: Mapping[str, set[str]], linked: Mapping[tuple[str, str], Any],
                       prefix: str = "") -> None:
    """Refuse a set or changed link whose record does not match the fields it must."""
    merged = prepared.merged
    for link_name in needs:
        spec = entity.field(link_name)
        if spec is None or ctx.errors.get(prefix + link_name):
            continue
        for theirs, ours in spec.link_filter:
            expected = merged.get(ours)
            if expected in (None, ""):
                continue
            if linked.get((link_name, theirs)) != expected:
                owner = entity.field(ours)
                ctx.error(prefix + link_name, ctx.translator.gettext(
                    _("It is not one of the choices of the {field} given."),
                    field=ctx.labels.field_label(owner) if owner else ours))
                break

