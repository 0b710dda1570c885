"""The detail page of a record: its fields read-only, lines, related records and timeline.

Everything is read through the records service as the signed-in user, so permissions, row
conditions and hidden fields apply: a record outside the user's rows is "not found", a hidden
field is not shown, a related entity the user may not read is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, url_for
from jinja2 import TemplateNotFound

from core.formatting import format_datetime
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import RecordError
from core.records.reading import ListQuery, Page
from core.ui.access import USER, access
from core.ui.context import (
    actor,
    entity_spec,
    field_access,
    locale,
    officina,
    page_template,
    registry,
)
from core.ui.detail import detail_layout, may
from core.ui.timeline import timeline
from core.ui.views.form_preview import stored_panel
from core.ui.views.records import records

RELATED_ROWS = 5
TRANSITIONS_TEMPLATE = "transition_buttons.html"


@dataclass(frozen=True)
class Related:
    """Records of another entity that link to this one through ``field``."""

    entity: EntitySpec
    field: FieldSpec
    columns: tuple[FieldSpec, ...]
    page: Page
    list_url: str
    may_create: bool = False  # a new one can be started from here, its link filled


def list_url(entity: str, field: str, record_id: int) -> str:
    """The list of ``entity`` filtered on link ``field`` = ``record_id`` (the list page's
    ``f.<field>`` query, see ``core.ui.list_query``)."""
    return url_for("records.list_view", entity=entity, **{f"f.{field}": record_id})


def linking_fields(entity: EntitySpec) -> list[tuple[EntitySpec, FieldSpec]]:
    """Every (entity, link field) of the registry pointing at ``entity`` (lines excluded)."""
    found = []
    for other in registry().entities.values():
        if other.is_child:
            continue
        found += [(other, f) for f in other.fields
                  if traits_of(f).family == "link" and f.target == entity.name]
    return found


def _readable(entity: EntitySpec) -> frozenset[str]:
    """The fields of ``entity`` the user may read."""
    return field_access(entity.name, "read").readable


def related_records(entity: EntitySpec, record_id: int) -> list[Related]:
    """For each entity linking here that the user may read: its first records, newest first."""
    found = []
    for other, link in linking_fields(entity):
        if not may(other.name, "read"):
            continue
        readable = _readable(other)
        if readable is not None and link.name not in readable:
            continue
        names = [n for n in other.list_columns
                 if n != link.name and (readable is None or n in readable or n == "ref")
                 and (other.field(n) is None or other.field(n).stored)]
        try:
            page = officina().records.list(actor(), other.name, ListQuery(
                filters=[[link.name, "=", record_id]], limit=RELATED_ROWS,
                fields=tuple(dict.fromkeys(["ref", *names]))))
        except RecordError:
            continue
        columns = tuple(f for n in names if (f := other.field(n)) is not None)
        found.append(Related(other, link, columns, page,
                             list_url(other.name, link.name, record_id),
                             may(other.name, "create") and not link.read_only
                             and not link.computed))
    return found


def transitions_template() -> str | None:
    """The form pages' partial with the record's transition buttons, if it exists yet."""
    try:
        current_app.jinja_env.get_template(TRANSITIONS_TEMPLATE)
    except TemplateNotFound:
        return None
    return TRANSITIONS_TEMPLATE


@records.get("/<entity>/<int:record_id>")
@access(USER)
def detail_view(entity: str, record_id: int) -> str:
    """The record ``record_id`` of ``entity``, read-only."""
    spec = entity_spec(entity)
    record = officina().records.get(actor(), spec.name, record_id)
    views = current_app.view_functions
    buttons = {
        "edit": may(spec.name, "update") and "records.edit_view" in views,
        "delete": may(spec.name, "delete") and "records.delete_view" in views,
    }
    return render_template(
        page_template("detail", spec), entity=spec, record=record, tabs=detail_layout(spec, record),
        related=related_records(spec, record_id), timeline=timeline(spec, record_id),
        buttons=buttons, transitions=transitions_template(), meta=_meta(record),
        context_panel=stored_panel(spec, record))


def _meta(record: dict) -> dict[str, str] | None:
    """Who created and last changed the record, and when (in the instance's time zone)."""
    if not record.get("created_at"):
        return None
    tz = officina().settings.timezone

    def when(value: object) -> str:
        return format_datetime(value, locale(), tz) if value else ""

    changed = record.get("modified_at") and record.get("modified_at") != record["created_at"]
    return {"created_by": record.get("created_by") or "—",
            "created_at": when(record["created_at"]),
            "modified_by": record.get("modified_by") or "—",
            "modified_at": when(record.get("modified_at")) if changed else ""}


BLUEPRINTS: list = []
