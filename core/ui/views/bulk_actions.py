"""Bulk actions on the records chosen on a list page: take a workflow transition, or set one
field, record by record through the records service.

``POST /app/<entity>/bulk`` asks for confirmation (and, to set a field, for its value), then
keeps a batch and shows its progress page, which does ``CHUNK`` records a step (each in its
own transaction, so one refusal never undoes the others) and goes on by itself until all are
done: each record's result is listed, refusals with their reason.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound as PageNotFound

from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec
from core.records.errors import RecordError
from core.ui.access import USER, access
from core.ui.bulk_batches import Batch, advance_batch, find_batch, start_batch
from core.ui.bulk_choices import bulk_fields, bulk_transitions
from core.ui.context import actor, entity_spec, gettext, labels, officina
from core.ui.views.record_list import back_to_list, record_refs, selected_ids
from core.ui.views.records import records

CHUNK = 25  # records done in one step of a batch


def _action(spec: EntitySpec) -> dict[str, Any]:
    """What the form asks to do, checked against what the user may do."""
    if request.form.get("bulk") == "transition":
        chosen = request.form.get("transition", "")
        if chosen not in dict(bulk_transitions(spec)):
            raise PageNotFound(gettext(_("No such page.")))
        return {"transition": chosen}
    name = request.form.get("field", "")
    field = next((f for f in bulk_fields(spec) if f.name == name), None)
    if field is None:
        raise PageNotFound(gettext(_("No such page.")))
    return {"field": name}


@records.post("/<entity>/bulk")
@access(USER)
def bulk_start(entity: str) -> Response | str:
    """Confirm a bulk action on the chosen records (asking the value to set), then start it."""
    spec = entity_spec(entity)
    action = _action(spec)
    ids = selected_ids()
    if not ids:
        flash(gettext(_("Select the records first.")), "error")
        return redirect(back_to_list(spec), 303)
    field = spec.field(action["field"]) if "field" in action else None
    if request.form.get("confirmed") != "1":
        refs = record_refs(spec, ids)
        return render_template(
            "list_bulk_confirm.html", entity=spec, ids=ids, action=action, field=field,
            transition_label=dict(bulk_transitions(spec)).get(action.get("transition", "")),
            refs=[refs.get(i, f"#{i}") for i in ids], back=request.form.get("back", ""),
            cancel_url=back_to_list(spec),
            choices=labels().option_choices(field) if field is not None
            and traits_of(field).family == "choice" else [])
    if field is not None:
        value = request.form.get("value", "").strip()
        action["value"] = None if value == "" else (
            value == "1" if traits_of(field).family == "flag" else value)
    with officina().database.write() as connection:
        batch_id = start_batch(connection, actor().username, spec.name, action, ids,
                               officina().records.clock())
    return redirect(url_for("records.bulk_progress", entity=spec.name, batch_id=batch_id,
                            back=request.form.get("back", "")), 303)



def _batch(spec: EntitySpec, batch_id: int) -> Batch:
    with officina().database.read() as connection:
        batch = find_batch(connection, actor().username, batch_id)
    if batch is None or batch.entity != spec.name:
        raise PageNotFound(gettext(_("No such page.")))
    return batch


@records.get("/<entity>/bulk/<int:batch_id>")
@access(USER)
def bulk_progress(entity: str, batch_id: int) -> str:
    """How far the batch got and each record's result; it goes on by itself while unfinished."""
    spec = entity_spec(entity)
    batch = _batch(spec, batch_id)
    field = spec.field(batch.action["field"]) if "field" in batch.action else None
    return render_template(
        "list_bulk_progress.html", entity=spec, batch=batch, field=field,
        transition_label=dict(bulk_transitions(spec)).get(batch.action.get("transition", ""),
                                                          batch.action.get("transition")),
        refused=sum(1 for r in batch.results if not r["ok"]),
        back=urlencode(parse_qsl(request.args.get("back", ""))),
        list_url=url_for("records.list_view", entity=spec.name))


@records.post("/<entity>/bulk/<int:batch_id>/next")
@access(USER)
def bulk_next(entity: str, batch_id: int) -> Response:
    """Do the next ``CHUNK`` records of the batch, each through the records service."""
    spec = entity_spec(entity)
    batch = _batch(spec, batch_id)
    chunk = batch.ids[batch.position:batch.position + CHUNK]
    refs = record_refs(spec, chunk) if chunk else {}
    done = [_one(spec, batch.action, record_id, refs) for record_id in chunk]
    if done:
        with officina().database.write() as connection:
            advance_batch(connection, batch, done)
    return redirect(url_for("records.bulk_progress", entity=spec.name, batch_id=batch.id,
                            back=request.form.get("back", "")), 303)


def _one(spec: EntitySpec, action: dict[str, Any], record_id: int,
         refs: dict[int, str]) -> dict[str, Any]:
    """Do the batch's action to one record; its result."""
    service = officina().records
    ref = refs.get(record_id, f"#{record_id}")
    try:
        if "transition" in action:
            service.transition(actor(), spec.name, record_id, action["transition"])
        else:
            current = service.get(actor(), spec.name, record_id)
            service.update(actor(), spec.name, record_id, {action["field"]: action["value"]},
                           version=current["version"])
    except RecordError as exc:
        return {"id": record_id, "ref": ref, "ok": False, "message": str(exc)}
    return {"id": record_id, "ref": ref, "ok": True, "message": ""}


BLUEPRINTS: list = []
