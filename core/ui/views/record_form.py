"""The form of a record (new and edit), its workflow transitions and its deletion.

Everything comes from metadata: the layout, one widget per field type, child tables edited
inline. The records service decides what may be written; the form offers inputs only for
the fields the user may write, and sends nothing else, so a tampered request is refused by
the service with a field error and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec
from core.records.errors import Conflict, NotFound, PermissionDenied, RecordError
from core.records.field_conditions import holds
from core.records.options import VALIDATE_ONLY
from core.records.reading import ListQuery
from core.records.writing import default_value
from core.ui.access import USER, access
from core.ui.context import (
    actor,
    entity_spec,
    field_access,
    gettext,
    labels,
    locale,
    may,
    officina,
    page_template,
    registry,
)
from core.ui.field_facets import widget_for
from core.ui.form_fields import FormContext
from core.ui.form_layout import build_tabs, shown_paths
from core.ui.form_state import (
    FormAccess,
    FormState,
    move_line,
    parse_state,
    state_from_defaults,
    state_from_form,
    state_from_record,
)
from core.ui.transitions import allowed_transitions
from core.ui.uploads import UploadRefused, check_upload, signature_png
from core.ui.views.form_preview import Preview, preview, render_panel
from core.ui.views.records import records

Errors = dict[str, list[str]]


def form_context() -> FormContext:
    """Locale, time zone and translation of this request's form."""
    return FormContext(locale(), officina().settings.timezone, gettext)


def _children(entity: EntitySpec) -> dict[str, EntitySpec]:
    return {f.name: registry().entity(f.target or "") for f in entity.table_fields}


def _can(entity: EntitySpec, action: str) -> bool:
    return may(entity.name, action)


def _require(entity: EntitySpec, action: str) -> None:
    officina().records.require(actor(), entity.name, action)


def form_access(entity: EntitySpec, action: str,
                stored: Mapping[str, Any] | None = None) -> FormAccess:
    """Fields shown (readable) and offered as inputs (editable) to the signed-in user, and
    the same for the fields of each child table's lines.

    Fields the system fills (computed, read-only, filled by rules) are shown, never
    inputs; the field of the workflow's state machine changes through the transition
    buttons; a field whose ``read_only_when`` the ``stored`` record meets is shown only.
    """
    machine = registry().state_machine(entity.name)
    fixed = {machine.field} if machine is not None else set()
    if stored is not None:
        fixed |= {f.name for f in entity.stored_fields if holds(f.read_only_when, stored)}
    granted = field_access(entity.name, action)
    editable = granted.writable & granted.readable
    lines = {}
    for spec in entity.table_fields:
        prefix = spec.name + "."
        lines[spec.name] = FormAccess(
            frozenset(n[len(prefix):] for n in granted.readable if n.startswith(prefix)),
            frozenset(n[len(prefix):] for n in editable if n.startswith(prefix)))
    return FormAccess(granted.readable, editable - fixed, lines)


def _defaults(entity: EntitySpec) -> dict[str, Any]:
    service = officina().records
    now = service.clock()
    today = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(service.options.timezone)).date()
    return {f.name: default_value(f, actor().username, now, today)
            for f in entity.stored_fields if f.default is not None}


# -- rendering ------------------------------------------------------------------------------


def _render(entity: EntitySpec, state: FormState, form_access_: FormAccess, errors: Errors,
            status: int, record_id: int | None = None, message: str = "",
            panel: Preview | None = None) -> tuple[str, int]:
    ctx = form_context()
    tabs = build_tabs(entity, state, form_access_, errors, _children(entity),
                      labels().option_choices, ctx, gettext(_("More")))
    shown = shown_paths(tabs)
    summary = [(_anchor(path) if path in shown else None, _path_label(entity, path), text)
               for path, messages in errors.items() for text in messages]
    page = render_template(
        page_template("form", entity), entity=entity, tabs=tabs, state=state, record_id=record_id,
        record=state.stored, errors=errors, summary=summary, message=message, status=status,
        may_delete=bool(record_id) and _can(entity, "delete"),
        context_panel=render_panel(entity, panel),
        preview_url=url_for("records.preview_view", entity=entity.name,
                            **({"record": record_id} if record_id else {})),
        action=(url_for("records.edit_view", entity=entity.name, record_id=record_id)
                if record_id else url_for("records.new_view", entity=entity.name)))
    return page, status


def _anchor(path: str) -> str:
    return "f-" + path.replace(".", "-")


def _path_label(entity: EntitySpec, path: str) -> str:
    """A field's label for an error path: ``Customer``, ``Lines 2: Product``."""
    names = path.split(".")
    spec = entity.field(names[0])
    if spec is None:
        return path.lstrip("_")
    label = labels().field_label(spec)
    if len(names) == 3 and names[1].isdigit() and traits_of(spec).family == "table":
        child = registry().entity(spec.target or "")
        cell = child.field(names[2])
        cell_label = labels().field_label(cell) if cell is not None else names[2]
        return gettext(_("{table}, line {number}: {field}"), table=label,
                       number=int(names[1]) + 1, field=cell_label)
    return label


# -- saving ---------------------------------------------------------------------------------


def _resolve_typed_links(entity: EntitySpec, state: FormState, children: dict[str, EntitySpec],
                         errors: Errors) -> None:
    """Links typed as text without picking a suggestion (no JavaScript): the one record of
    the target whose reference or title matches becomes the value."""
    def resolve(target: str, text: str, path: str) -> str:
        try:
            page = officina().records.list(actor(), target, ListQuery(search=text, limit=2))
        except RecordError as exc:
            errors.setdefault(path, []).append(exc.message)
            return ""
        exact = [r for r in page.rows if str(r.get("ref")) == text]
        rows = exact or page.rows
        if len(rows) != 1:
            errors.setdefault(path, []).append(gettext(
                _("\"{text}\" does not name one record: choose it from the suggestions."),
                text=text))
            return ""
        return str(rows[0]["id"])

    for spec in entity.fields:
        if traits_of(spec).family == "link" and not state.shown.get(spec.name) \
                and state.titles.get(spec.name, "").strip():
            state.shown[spec.name] = resolve(spec.target or "", state.titles[spec.name].strip(),
                                             spec.name)
    for table, lines in state.lines.items():
        child = children[table]
        for index, line in enumerate(lines):
            for spec in child.fields:
                text = line.titles.get(spec.name, "").strip()
                if traits_of(spec).family == "link" and not line.shown.get(spec.name) and text:
                    line.shown[spec.name] = resolve(spec.target or "", text,
                                                    f"{table}.{index}.{spec.name}")


def _files(entity: EntitySpec, state: FormState, access_: FormAccess,
           values: dict[str, Any], errors: Errors) -> list[tuple[str, bytes, str]]:
    """Check the uploaded files (nothing is stored yet); set kept or cleared keys."""
    store = officina().records.files
    uploads: list[tuple[str, bytes, str]] = []
    for spec in entity.fields:
        name = spec.name
        if not traits_of(spec).file:
            continue
        if name not in access_.editable:
            if request.files.get(name) and request.files[name].filename:
                values[name] = request.files[name].filename  # refused by the service
            continue
        try:
            upload = request.files.get(name)
            pixels = officina().records.options.limits.max_image_pixels
            if state.drawn.get(name):
                uploads.append((name, signature_png(state.drawn[name], gettext, pixels),
                                "signature.png"))
            elif upload is not None and upload.filename:
                data = upload.read()
                check_upload(spec, data, upload.filename, gettext, pixels)
                uploads.append((name, data, upload.filename))
        except UploadRefused as exc:
            errors.setdefault(name, []).append(str(exc))
            continue
        kept = state.files.get(name, "")
        if name in state.clear:
            values[name] = None
        elif kept and (store is None or store.exists(kept)):
            values[name] = kept
        elif kept:
            errors.setdefault(name, []).append(gettext(_("The file is no longer stored: "
                                                         "upload it again.")))
    return uploads


def _posted(entity: EntitySpec, record_id: int | None) -> tuple[FormState, FormAccess]:
    """The form as posted, over the stored record (or a new one's defaults)."""
    stored: dict[str, Any] = (officina().records.get(actor(), entity.name, record_id)
                              if record_id else _defaults(entity))
    access_ = form_access(entity, "update" if record_id else "create",
                          stored if record_id else None)
    return state_from_form(entity, request.form, access_, _children(entity), stored), access_


def _read(entity: EntitySpec, state: FormState, access_: FormAccess
          ) -> tuple[dict[str, Any], Errors]:
    """The values the form gives the records service, and the inputs it could not read."""
    children, errors = _children(entity), {}
    _resolve_typed_links(entity, state, children, errors)
    values, parse_errors = parse_state(entity, state, access_, children, form_context())
    for path, messages in parse_errors.items():
        errors.setdefault(path, []).extend(messages)
    return values, errors


def _save(entity: EntitySpec, record_id: int | None) -> Response | tuple[str, int]:
    state, access_ = _posted(entity, record_id)
    children, ctx = _children(entity), form_context()
    pressed = request.form.get("_action", "")
    if pressed and move_line(state, pressed, children, ctx, access_):
        return _render(entity, state, access_, {}, 200, record_id)
    values, errors = _read(entity, state, access_)
    if pressed == "preview":  # without JavaScript: the context panel, nothing saved
        shown = preview(entity, values, record_id, state.version)
        _fill_fetched(entity, state, shown)
        return _render(entity, state, access_, {}, 200, record_id, panel=shown)
    uploads = _files(entity, state, access_, values, errors)
    if errors:
        for path, messages in _refusals(entity, values, record_id, state.version).items():
            errors.setdefault(path, messages)
        return _render(entity, state, access_, errors, 422, record_id,
                       labels().entity_message(_("The {entity} was not saved: please "
                                                 "correct the fields below."), entity,
                                               lower=True))
    store = officina().records.files
    for name, data, filename in uploads:
        if store is not None:
            values[name] = state.files[name] = store.put(data, filename,
                                                         owner=actor().username)
            state.drawn.pop(name, None)
    service = officina().records
    try:
        if record_id:
            if state.version is None:
                errors["_version"] = [gettext(_("The form is incomplete: reload the page."))]
                return _render(entity, state, access_, errors, 422, record_id)
            saved = service.update(actor(), entity.name, record_id, values,
                                   version=state.version)
        else:
            saved = service.create(actor(), entity.name, values)
    except Conflict as exc:
        return _render(entity, state, access_, {}, 409, record_id, exc.message)
    except PermissionDenied:
        raise
    except RecordError as exc:
        if exc.code not in ("validation", "refused"):  # a rule's refusal: fix and save again
            raise
        return _render(entity, state, access_, exc.field_errors, 422, record_id, exc.message)
    flash(labels().entity_message(_("{entity} {ref} saved."), entity,
                                  ref=saved.get("ref") or saved["id"]), "success")
    return redirect(url_for("records.detail_view", entity=entity.name, record_id=saved["id"]))


def _refusals(entity: EntitySpec, values: dict[str, Any], record_id: int | None,
              version: int | None) -> Errors:
    """What the records service would refuse in the readable ``values``, saving nothing.

    Inputs that could not be read are left out of ``values``, so one round shows every
    problem: the unreadable inputs and, say, an empty required field elsewhere.
    """
    service = officina().records
    try:
        if record_id:
            service.update(actor(), entity.name, record_id, values, version=version,
                           options=VALIDATE_ONLY)
        else:
            service.create(actor(), entity.name, values, options=VALIDATE_ONLY)
    except RecordError as exc:
        return exc.field_errors if exc.code == "validation" else {}
    return {}


def _fill_fetched(entity: EntitySpec, state: FormState, shown: Preview) -> None:
    """Show in the form the values its links fetched (the user may still change them)."""
    ctx = form_context()
    for name, found in shown.fetched.items():
        spec = entity.field(name)
        if spec is None or name not in state.shown:
            continue
        state.shown[name] = widget_for(spec).show(found["value"], spec, ctx)
        if found.get("title"):
            state.titles[name] = found["title"]


# -- routes ---------------------------------------------------------------------------------


@records.post("/<entity>/preview")
@access(USER)
def preview_view(entity: str) -> tuple[Response, int]:
    """The dry run of the form as posted, saving nothing: ``{"panel": html, "fetched":
    {field: {"value", "title", "text"}}, "problem": why it could not run}``."""
    spec = entity_spec(entity)
    record_id = request.args.get("record", type=int)
    _require(spec, "update" if record_id else "create")
    state, access_ = _posted(spec, record_id)
    values, _errors = _read(spec, state, access_)
    shown = preview(spec, values, record_id, state.version)
    return jsonify(panel=str(render_panel(spec, shown)), fetched=shown.fetched,
                   problem=shown.problem), 200


@records.route("/<entity>/new", methods=["GET", "POST"])
@access(USER)
def new_view(entity: str) -> Response | tuple[str, int]:
    """The form of a new record; saving creates it."""
    spec = entity_spec(entity)
    _require(spec, "create")
    if request.method == "POST":
        return _save(spec, None)
    access_ = form_access(spec, "create")
    given, titles = _prefilled(spec, access_)
    state = state_from_defaults(spec, {**_defaults(spec), **given}, access_, form_context())
    state.titles.update(titles)
    if not given:
        return _render(spec, state, access_, {}, 200)
    shown = preview(spec, given)  # opened from a linked record: what its links fetch
    _fill_fetched(spec, state, shown)
    return _render(spec, state, access_, {}, 200, panel=shown)


def _prefilled(entity: EntitySpec, access_: FormAccess) -> tuple[dict[str, Any], dict[str, str]]:
    """Links given in the URL (``/app/service_call/new?machine=12``, from the machine's
    page) that the user may set and whose records they may read, with their titles."""
    values: dict[str, Any] = {}
    titles: dict[str, str] = {}
    for name, text in request.args.items():
        field = entity.field(name)
        if field is None or traits_of(field).family != "link" or not text.isdigit() \
                or name not in access_.editable or not may(field.target or "", "read"):
            continue
        try:
            linked = officina().records.get(actor(), field.target or "", int(text))
        except RecordError:
            continue
        target = registry().entity(field.target or "")
        values[name] = linked["id"]
        titles[name] = str((linked.get(target.title_field) if target.title_field else None)
                           or linked.get("ref") or linked["id"])
    return values, titles


@records.route("/<entity>/<int:record_id>/edit", methods=["GET", "POST"])
@access(USER)
def edit_view(entity: str, record_id: int) -> Response | tuple[str, int]:
    """The form of a stored record; saving updates it (with its version)."""
    spec = entity_spec(entity)
    _require(spec, "update")
    if request.method == "POST":
        return _save(spec, record_id)
    record = officina().records.get(actor(), spec.name, record_id)
    access_ = form_access(spec, "update", record)
    state = state_from_record(spec, record, access_, _children(spec), form_context())
    return _render(spec, state, access_, {}, 200, record_id)


@records.route("/<entity>/<int:record_id>/transition", methods=["POST"])
@access(USER)
def transition_view(entity: str, record_id: int) -> Response:
    """Take a workflow transition; refusals are shown as messages on the record's page."""
    spec = entity_spec(entity)
    name = request.form.get("transition", "")
    version = request.form.get("_version") or request.form.get("version", "")
    try:
        officina().records.transition(actor(), spec.name, record_id, name,
                                      version=int(version) if version.isdigit() else None)
        flash(gettext(_("Done: {transition}."), transition=_transition_label(spec, name)),
              "success")
    except NotFound:
        raise
    except RecordError as exc:
        flash(" ".join([exc.message, *(m for ms in exc.field_errors.values() for m in ms)]),
              "error")
    return redirect(_back(spec, record_id))


def _transition_label(entity: EntitySpec, name: str) -> str:
    machine = registry().state_machine(entity.name)
    found = machine.transition(name) if machine else None
    return labels().gettext(found.label) if found else name


def _back(entity: EntitySpec, record_id: int) -> str:
    """Where to return after a button on the detail or edit page: that page."""
    target = request.form.get("next", "")
    edit = url_for("records.edit_view", entity=entity.name, record_id=record_id)
    return edit if target == edit else url_for("records.detail_view", entity=entity.name,
                                               record_id=record_id)


@records.route("/<entity>/<int:record_id>/delete", methods=["GET", "POST"])
@access(USER)
def delete_view(entity: str, record_id: int) -> Response | tuple[str, int] | str:
    """Ask to confirm (GET), then delete the record (POST) and go back to the list."""
    spec = entity_spec(entity)
    _require(spec, "delete")
    record = officina().records.get(actor(), spec.name, record_id)
    if request.method == "GET":
        return render_template("form_delete.html", entity=spec, record=record)
    version = request.form.get("_version") or request.form.get("version", "")
    try:
        officina().records.delete(actor(), spec.name, record_id,
                                  version=int(version) if version.isdigit() else None)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("records.detail_view", entity=spec.name, record_id=record_id))
    flash(labels().entity_message(_("{entity} {ref} deleted."), spec,
                                  ref=record.get("ref") or record_id), "success")
    return redirect(url_for("records.list_view", entity=spec.name))


@records.app_template_global("record_transitions")
def record_transitions(entity: EntitySpec, record: dict[str, Any]) -> list:
    """The transitions the signed-in user may take on ``record`` now (for
    ``transition_buttons.html``): ``(name, label)`` pairs."""
    return [(t.name, labels().gettext(t.label))
            for t in allowed_transitions(officina(), actor(), entity, record)]


BLUEPRINTS: list = []
