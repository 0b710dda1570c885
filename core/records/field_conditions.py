"""Depends-on rules of fields: ``required_when`` makes a field required while another field
has one of some values, ``read_only_when`` keeps it from changing while the stored record
has them (``visible_when`` only shows or hides it on forms). Checked on every write, so no
surface can skip them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.i18n import _
from core.metadata.specs import EntitySpec
from core.records.write_context import Prepared, WriteContext


def holds(condition: tuple[Any, ...] | None, record: Mapping[str, Any]) -> bool:
    """Whether ``record``'s field named first in ``condition`` has one of the values after."""
    return condition is not None and record.get(condition[0]) in condition[1:]


def check_field_conditions(ctx: WriteContext, entity: EntitySpec, prepared: Prepared,
                           existing: Mapping[str, Any] | None, prefix: str = "") -> None:
    """Refuse an empty field that is required now, and a change to one that is locked now."""
    merged = prepared.merged
    for spec in entity.stored_fields:
        path = prefix + spec.name
        if ctx.errors.get(path):
            continue
        if holds(spec.required_when, merged) and merged.get(spec.name) in (None, "", []):
            ctx.error(path, ctx.translator.gettext(_("A value is required.")))
        if existing is not None and holds(spec.read_only_when, existing) \
                and spec.name in prepared.values \
                and prepared.values[spec.name] != existing.get(spec.name):
            ctx.error(path, ctx.translator.gettext(_("This field cannot be changed now.")))
