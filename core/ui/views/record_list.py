"""The list page of an entity, generated from its metadata, and what it does with rows.

- ``GET /app/<entity>``: columns, filters, sort, pagination and search, all in the URL (see
  ``core.ui.list_query``); a query the page cannot read answers 400 with the message on the
  page.
- ``GET /app/<entity>/export.<csv|xlsx>``: the filtered rows, every page up to
  ``EXPORT_LIMIT``; ``POST`` the same URL with ``id`` values: only those rows. Needs the
  ``export`` permission (403 otherwise).
- ``POST /app/<entity>/delete``: deletes the selected rows, all or nothing: one transaction,
  each record through the records service (so permissions and link checks apply); the
  first failure undoes every delete and names its record. Without ``confirmed`` it first
  shows a confirmation page (list.js confirms in place with ``data-confirm``).
- ``POST /app/<entity>/saved`` and ``/app/<entity>/saved/<id>/delete``: the user's saved
  filters (named query strings; only their own are ever listed or deleted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from core.formatting import format_boolean, format_duration, format_number
from core.i18n import _
from core.metadata.field_types import FIELD_TYPES, field_type_of, traits_of
from core.metadata.filter_grammar import STANDARD_FIELDS
from core.metadata.specs import EntitySpec, FieldSpec
from core.records.errors import PermissionDenied, QueryError, RecordError
from core.records.reading import ListQuery, Page
from core.ui import exports
from core.ui.access import USER, access
from core.ui.bulk_choices import bulk_fields, bulk_transitions
from core.ui.column_format import prepared_display, record_urls
from core.ui.context import (
    actor,
    entity_spec,
    field_access,
    gettext,
    labels,
    locale,
    may,
    ngettext,
    officina,
    page_template,
    registry,
)
from core.ui.list_cells import Column, row_cells
from core.ui.list_query import PAGE_SIZES, ListRequest, Parser, columns, filter_fields
from core.ui.request_reads import shared_read, shares_sign_in_read
from core.ui.saved_filters import NAME_LENGTH, delete_filter, save_filter, saved_filters
from core.ui.views.records import records

EXPORT_LIMIT = 50_000
BULK_LIMIT = 1_000


# -- permissions and metadata of the reader ------------------------------------------------

def can(spec: EntitySpec, action: str) -> bool:
    """Whether the signed-in user may ``action`` records of ``spec`` at all."""
    return may(spec.name, action)


def readable_fields(spec: EntitySpec) -> Collection[str] | None:
    """The fields the user may read (None: all), from the records service when it says."""
    return field_access(spec.name, "update").readable


def column_label(spec: EntitySpec, field: FieldSpec) -> str:
    """A column's translated label (standard columns such as ``ref`` are Officina's own)."""
    if spec.field(field.name) is None and field.name in STANDARD_FIELDS:
        return gettext(field.label)
    return labels().field_label(field)


def record_url(entity: str, record_id: int) -> str:
    """The detail page of a record (a plain URL until that page is registered)."""
    try:
        return url_for("records.detail_view", entity=entity, record_id=record_id)
    except BuildError:
        return f"{url_for('records.list_view', entity=entity)}/{record_id}"


def new_url(entity: str) -> str:
    try:
        return url_for("records.new_view", entity=entity)
    except BuildError:
        return f"{url_for('records.list_view', entity=entity)}/new"


def parser(spec: EntitySpec, readable: Collection[str] | None) -> Parser:
    titles = {}
    for field in spec.stored_fields:
        if traits_of(field).family == "link":
            target = registry().entities.get(field.target or "")
            titles[field.name] = target.title_field if target is not None else None
    return Parser(spec, readable, locale(), officina().settings.timezone, gettext,
                  labels().field_label, titles)


# -- the list page -------------------------------------------------------------------------

def _columns(spec: EntitySpec, shown: list[FieldSpec], wanted: ListRequest) -> list[Column]:
    current = wanted.sort or spec.default_sort
    linked = {"ref", spec.title_field} if {"ref", spec.title_field} & {f.name for f in shown} \
        else set()
    result = []
    for field in shown:
        sortable = FIELD_TYPES[field.type].sortable
        aria = None
        if current.lstrip("-") == field.name:
            aria = "descending" if current.startswith("-") else "ascending"
        next_sort = f"-{field.name}" if aria == "ascending" else field.name
        url = (f"?{wanted.query_string(sort=next_sort, page=None)}" if sortable else None)
        result.append(Column(field, column_label(spec, field), url, aria,
                             field.name in linked))
    return result


def _shown_columns(spec: EntitySpec, readable: Collection[str] | None) -> list[FieldSpec]:
    shown = columns(spec, readable)
    names = {f.name for f in shown}
    if "ref" not in names and spec.title_field not in names:
        shown.insert(0, STANDARD_FIELDS["ref"])  # something must link to each record
    return shown


def _query_fields(spec: EntitySpec, shown: Iterable[FieldSpec],
                  readable: Collection[str] | None = None) -> tuple[str, ...]:
    shown = list(shown)
    due_on = [f.due[0] for f in shown if f.due]  # the select a due badge depends on
    return tuple(dict.fromkeys([
        *(f.name for f in shown if f.name not in ("id", "version")),
        *(n for n in due_on if spec.field(n) is not None
          and (readable is None or n in readable))]))


def _range_text(page: Page) -> str:
    shown = locale()
    total = format_number(page.total, shown) + ("" if page.total_exact else "+")
    if not page.rows:
        return gettext(_("No records of {total}"), total=total) if page.total else \
            gettext(_("No records"))
    first = format_number(page.offset + 1, shown)
    last = format_number(page.offset + len(page.rows), shown)
    return gettext(_("{first}–{last} of {total}"),  # noqa: RUF001 (an en dash, for ranges)
                   first=first, last=last, total=total)


@records.get("/<entity>")
@access(USER)
@shares_sign_in_read
def list_view(entity: str) -> tuple[str, int]:
    """A page of records of ``entity``, as the URL's query asks."""
    spec = entity_spec(entity)
    if not can(spec, "read"):
        raise PermissionDenied(gettext(_("You may not open this page.")))
    readable = readable_fields(spec)
    shown = _shown_columns(spec, readable)
    offered = filter_fields(spec, shown, readable)
    status, error, page = 200, None, None
    try:
        wanted = parser(spec, readable).parse(request.args)
    except QueryError as exc:
        wanted, error, status = ListRequest(), str(exc), 400
    with shared_read() as connection:  # one read transaction: the sign-in check's
        if error is None:
            try:
                page = officina().records.list(actor(), spec.name, ListQuery(
                    filters=wanted.filters or None, search=wanted.search or None,
                    sort=(wanted.sort,) if wanted.sort else (), limit=wanted.size,
                    offset=wanted.offset, fields=_query_fields(spec, shown, readable)),
                    connection=connection)
            except QueryError as exc:
                error, status = str(exc), 400
        saved = saved_filters(connection, actor().username, spec.name)
    for name in list(wanted.values):
        if wanted.values[name].field not in offered:
            offered.append(wanted.values[name].field)
    last_page = 1
    if page is not None and page.total:
        last_page = max(1, -(-page.total // wanted.size))
    drawn = _columns(spec, shown, wanted)
    urls, display = record_urls(record_url), prepared_display(shown)
    return render_template(
        page_template("list", spec), entity=spec, page=page, wanted=wanted, error=error,
        columns=drawn, filters=offered, saved=saved,
        range_text=_range_text(page) if page is not None else "",
        last_page=last_page, page_sizes=PAGE_SIZES, record_url=urls, display=display,
        row_cells=row_cells(spec, drawn, display, urls),
        new_url=new_url(spec.name) if can(spec, "create") else None,
        may_delete=can(spec, "delete"), may_export=can(spec, "export"),
        bulk_transitions=bulk_transitions(spec), bulk_fields=bulk_fields(spec),
        export_limit=format_number(EXPORT_LIMIT, locale()), name_length=NAME_LENGTH,
        link_title=_link_title, choices=labels().option_choices,
        filter_label=lambda field: column_label(spec, field)), status


def _link_title(spec: EntitySpec, field: FieldSpec, wanted: ListRequest) -> str:
    """The text shown in a link filter's input: the URL's text, or the chosen record's."""
    value = wanted.value(field)
    if value.text or not value.values:
        return value.text
    try:
        record = officina().records.get(actor(), field.target or "", int(value.values[0]))
    except (RecordError, ValueError):
        return value.values[0]
    target = registry().entities.get(field.target or "")
    title = record.get(target.title_field) if target and target.title_field else None
    return str(title or record.get("ref") or value.values[0])


# -- exports ------------------------------------------------------------------------------

def selected_ids() -> list[int]:
    """The records chosen on a list page (its ``id`` checkboxes), at most ``BULK_LIMIT``."""
    try:
        ids = list(dict.fromkeys(int(v) for v in request.form.getlist("id")))
    except ValueError:
        raise QueryError(gettext(_("The selection is not valid: reload the page."))) from None
    if len(ids) > BULK_LIMIT:
        raise QueryError(gettext(_("Select at most {count} records at once."),
                                 count=format_number(BULK_LIMIT, locale())))
    return ids


def _export_cell(row: dict[str, Any], field: FieldSpec) -> Any:
    value = row.get(field.name)
    if value is None:
        return None
    if traits_of(field).family == "link":
        return (row.get("_titles") or {}).get(field.name) or value
    if traits_of(field).family == "choice":
        choices = dict(labels().option_choices(field))
        items = value if isinstance(value, list) else [value]
        return ", ".join(choices.get(str(v), str(v)) for v in items)
    if traits_of(field).family == "flag":
        return format_boolean(value, locale())
    if traits_of(field).elapsed:
        return format_duration(value)
    if traits_of(field).rangeable:
        return value  # a number or a date: the sheet's typed cell, the CSV's plain one
    return field_type_of(field).to_text(value)


def _export_rows(spec: EntitySpec, fields: tuple[str, ...], query: ListQuery) -> list[dict]:
    """Every row the query finds, page after page, up to ``EXPORT_LIMIT``."""
    service = officina().records
    step = service.options.max_page_size
    rows: list[dict] = []
    with officina().database.read() as connection:
        while len(rows) < EXPORT_LIMIT:
            page = service.list(actor(), spec.name, ListQuery(
                filters=query.filters, search=query.search, sort=query.sort, fields=fields,
                limit=min(step, EXPORT_LIMIT - len(rows)), offset=len(rows)),
                connection=connection)
            rows.extend(page.rows)
            if len(page.rows) < page.limit or not page.rows:
                break
    return rows


@records.route("/<entity>/export.<any(csv, xlsx):kind>", methods=["GET", "POST"])
@access(USER)
def export_view(entity: str, kind: str) -> Response:
    """The filtered rows (GET, the list's query) or the selected ones (POST ``id``)."""
    spec = entity_spec(entity)
    if not can(spec, "export"):
        raise PermissionDenied(gettext(_("You may not export {entity}."),
                                       entity=labels().entity_plural(spec).lower()))
    readable = readable_fields(spec)
    shown = _shown_columns(spec, readable)
    if "ref" not in {f.name for f in shown}:
        shown.insert(0, STANDARD_FIELDS["ref"])
    if request.method == "POST":
        ids = selected_ids()
        if not ids:
            raise QueryError(gettext(_("Select the records to export first.")))
        query = ListQuery(filters=[["id", "in", ids]])
        args = MultiDict(parse_qsl(request.form.get("back", "")))
        sort = parser(spec, readable).parse(args).sort
        query = ListQuery(filters=query.filters, sort=(sort,) if sort else ())
    else:
        wanted = parser(spec, readable).parse(request.args)
        query = ListQuery(filters=wanted.filters or None, search=wanted.search or None,
                          sort=(wanted.sort,) if wanted.sort else ())
    rows = _export_rows(spec, _query_fields(spec, shown), query)
    header = [(f.name, column_label(spec, f)) for f in shown]
    cells = [{f.name: _export_cell(row, f) for f in shown} for row in rows]
    timezone = officina().settings.timezone
    italian = locale().language == "it"
    stamp = dt.date.today().isoformat()
    filename = f"{spec.name}-{stamp}.{kind}"
    if kind == "csv":
        body = exports.to_csv(header, cells, timezone=timezone,
                              delimiter=";" if italian else ",",
                              decimal_separator="," if italian else ".")
        mimetype = "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(header, cells, labels().entity_plural(spec), timezone=timezone,
                               date_format="dd/mm/yyyy" if italian else "yyyy-mm-dd",
                               datetime_format="dd/mm/yyyy hh:mm" if italian
                               else "yyyy-mm-dd hh:mm")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Officina-Rows"] = str(len(rows))
    return response


# -- bulk delete --------------------------------------------------------------------------

def back_to_list(spec: EntitySpec) -> str:
    """The list page the form came from (its query string only, so never another site)."""
    query = urlencode(parse_qsl(request.form.get("back", "")))
    return url_for("records.list_view", entity=spec.name) + (f"?{query}" if query else "")


def record_refs(spec: EntitySpec, ids: list[int]) -> dict[int, str]:
    """The references of the records ``ids`` that the user may read."""
    page = officina().records.list(actor(), spec.name, ListQuery(
        filters=[["id", "in", ids]], fields=(), limit=len(ids)))
    return {row["id"]: row["ref"] for row in page.rows}


@records.post("/<entity>/delete")
@access(USER)
def delete_selected(entity: str) -> Response | str:
    """Delete the selected records, all or none: the first failure undoes the others."""
    spec = entity_spec(entity)
    if not can(spec, "delete"):
        raise PermissionDenied(gettext(_("You may not delete {entity}."),
                                       entity=labels().entity_plural(spec).lower()))
    ids = selected_ids()
    if not ids:
        flash(gettext(_("Select the records to delete first.")), "error")
        return redirect(back_to_list(spec), 303)
    refs = record_refs(spec, ids)
    if request.form.get("confirmed") != "1":
        return render_template("list_confirm_delete.html", entity=spec, ids=ids,
                               refs=[refs.get(i, f"#{i}") for i in ids],
                               back=request.form.get("back", ""), cancel_url=back_to_list(spec))
    current = ids[0]
    try:
        with officina().database.write() as connection:
            for current in ids:
                officina().records.delete(actor(), spec.name, current, connection=connection)
    except RecordError as exc:
        flash(gettext(_("Nothing was deleted: {record} could not be deleted. {problem}"),
                      record=refs.get(current, f"#{current}"), problem=str(exc)), "error")
    else:
        flash(ngettext("{count} record deleted.", "{count} records deleted.", len(ids)),
              "success")
    return redirect(back_to_list(spec), 303)


# -- saved filters ------------------------------------------------------------------------

@records.post("/<entity>/saved")
@access(USER)
def save_filter_view(entity: str) -> Response:
    """Save the list's current query under a name (replacing one of the same name)."""
    spec = entity_spec(entity)
    name = request.form.get("name", "").strip()
    query = request.form.get("back", "")
    if not name:
        flash(gettext(_("Give the filter a name.")), "error")
        return redirect(back_to_list(spec), 303)
    readable = readable_fields(spec)
    arguments = MultiDict(parse_qsl(query))
    try:
        wanted = parser(spec, readable).parse(arguments)
    except QueryError as exc:
        flash(str(exc), "error")
        return redirect(back_to_list(spec), 303)
    with officina().database.write() as connection:
        save_filter(connection, actor().username, spec.name, name,
                    urlencode(wanted.arguments(page=None)))
    flash(gettext(_("Filter \"{name}\" saved."), name=name[:NAME_LENGTH]), "success")
    return redirect(back_to_list(spec), 303)


@records.post("/<entity>/saved/<int:filter_id>/delete")
@access(USER)
def delete_saved_view(entity: str, filter_id: int) -> Response:
    """Delete one of the user's own saved filters (others' are not found)."""
    spec = entity_spec(entity)
    with officina().database.write() as connection:
        deleted = delete_filter(connection, actor().username, filter_id)
    if deleted:
        flash(gettext(_("Saved filter deleted.")), "success")
    else:
        flash(gettext(_("There is no such saved filter.")), "error")
    return redirect(back_to_list(spec), 303)


BLUEPRINTS: list = []
