"""What rules do: set fields, create records, transitions, timers, mail, notices, webhooks.

Synchronous actions (set, create, transition, timers, notices, refuse, named actions) run in
the transaction of the change that fired them; mail, webhooks and documents to render become
outbox rows in that same transaction, which the worker delivers after commit. Actions read
and write records through ``ctx.records`` only (the records port, ``core.rules.context``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.engine import Connection

from core.documents.jobs import document_job_payload
from core.i18n import SUPPORTED_LANGUAGES
from core.metadata.field_types import Traits, traits_of
from core.metadata.specs import Registry
from core.metadata.timeexpr import parse_relative
from core.metadata.workflow_specs import ActionSpec
from core.records.errors import RecordError
from core.records.pending import hold, release
from core.records.writing import field_loader, formulas_read
from core.records.written import created_here
from core.rules.context import ActionContext, RuleActionError
from core.rules.locks import lock_row, serialise_creation
from core.rules.lookups import record_functions
from core.rules.mail import MailTemplate, render_mail
from core.sandbox import NOTIFY_TEXT, sandbox_for
from core.storage.outbox import enqueue


class RuleRefused(RecordError):
    """A rule refused the change (``refuse`` action), with its message."""

    code = "refused"


def _set(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Set fields of the event's record: held back in memory (seen by the event's later
    actions and rules) and written with the event's other sets when its rules end, or at
    once when the values need the database to be checked or computed."""
    values = ctx.value(dict(params))
    record_id = ctx.event.record.get("id")
    typed = held_form(ctx, values) if record_id is not None else None
    if typed is not None:
        hold(ctx.connection, ctx.event.entity, record_id, values, typed,
             lambda given: ctx.engine.write_held(ctx, given))
        return
    release(ctx.connection, ctx.event.entity, record_id)  # what is held goes first
    current = ctx.record
    ctx.records.update(ctx.actor, ctx.event.entity, current["id"], values,
                       version=current["version"], connection=ctx.connection)


def held_form(ctx: ActionContext, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """``values`` as the record would store them, when that needs no database and changes
    nothing else of the record (no computed field reads them), else None."""
    entity = ctx.registry.entity(ctx.event.entity)
    if not values or not holdable_fields(ctx.registry, entity.name) >= values.keys():
        return None
    typed = {}
    for name, value in values.items():
        spec = entity.field(name)
        assert spec is not None
        if traits_of(spec).family == "link" and value is not None \
                and (isinstance(value, bool) or not isinstance(value, int)):
            return None  # a reference to look up
        if spec.required and value in (None, ""):
            return None  # written at once, so the error comes where it always did
        try:
            typed[name] = field_loader(spec, ctx.actor.language).deserialize(value)
        except (ValidationError, TypeError, ValueError):
            return None
    return typed


_HOLDABLE: dict[tuple[int, str], tuple[Registry, frozenset[str]]] = {}


def holdable_fields(registry: Registry, entity_name: str) -> frozenset[str]:
    """The fields of ``entity_name`` a ``set`` can hold back: stored plain values that no
    computed field reads, not unique, not the title, nor the state (found once per
    registry)."""
    found = _HOLDABLE.get((id(registry), entity_name))
    if found is None or found[0] is not registry:
        if len(_HOLDABLE) > 4096:
            _HOLDABLE.clear()
        entity = registry.entity(entity_name)
        machine = registry.state_machine(entity_name)
        read = formulas_read(entity)
        grouped = {name for group in entity.unique for name in group}
        names = frozenset(
            f.name for f in entity.stored_fields
            if _holdable_type(traits_of(f)) and not f.computed and not f.unique
            and f.name not in read and f.name not in grouped and f.name != entity.title_field
            and (machine is None or f.name != machine.field))
        found = _HOLDABLE[(id(registry), entity_name)] = (registry, names)
    return found[1]


def _holdable_type(traits: Traits) -> bool:
    """Whether a value of these traits can be held back: not lines, option lists or files."""
    return traits.family != "table" and not traits.multiple and not traits.file


def _create(ctx: ActionContext, params: dict[str, Any]) -> None:
    values = ctx.value(params["values"])
    unless = params.get("unless_exists")
    if unless:
        wanted = {name: values.get(name) for name in unless}
        serialise_creation(ctx.connection, params["entity"], wanted)
        if record_functions(ctx)["exists"](params["entity"], wanted):
            return  # already there: running the rule again creates no duplicate
    ctx.records.create(ctx.actor, params["entity"], values, connection=ctx.connection)


def _update(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Change another record (``entity``, ``id``) through the records service."""
    key = ctx.value(params["id"])
    if key is None or key == "":
        return  # the link is empty: nothing to update
    entity = params["entity"]
    values = ctx.value(params["values"])
    current = ctx.records.get(ctx.actor, entity, key, connection=ctx.connection)
    ctx.records.update(ctx.actor, entity, current["id"], values,
                       version=current["version"], connection=ctx.connection)


def _lock(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Run ``do`` with record ``id`` of ``entity`` read under a row lock, named ``as``."""
    key = ctx.value(params["id"])
    if key is None or key == "":
        return  # the link is empty: nothing to lock
    entity = params["entity"]
    lock_row(ctx.connection, ctx.schema.table(entity), key)
    locked = ctx.records.get(ctx.actor, entity, key, connection=ctx.connection)
    inner = replace(ctx, bindings={**ctx.bindings, params["as"]: locked})
    for action in params["do"]:
        run_action(inner, action)


def _for_each(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Run ``do`` once per item of the list ``in``, the item named ``as``."""
    items = ctx.value(params["in"])
    if items is None:
        return
    if isinstance(items, dict | str) or not hasattr(items, "__iter__"):
        raise RuleActionError(f"rule {ctx.rule}: for_each: 'in' gave {type(items).__name__}, "
                              "not a list")
    for item in list(items):
        inner = replace(ctx, bindings={**ctx.bindings, params["as"]: item})
        for action in params["do"]:
            run_action(inner, action)


def _if(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Run ``do`` when the expression ``test`` is true, else ``else``."""
    for action in params["do"] if ctx.value(params["test"]) else params.get("else", ()):
        run_action(ctx, action)


def _transition(ctx: ActionContext, name: str) -> None:
    ctx.records.transition(ctx.actor, ctx.event.entity, ctx.record["id"], name,
                           connection=ctx.connection)


def due_time(ctx: ActionContext, text: str, business_hours: bool) -> dt.datetime | None:
    """When ``text`` (``now + 2h``, ``due_at - 30m``) falls, optionally in working time."""
    relative = parse_relative(text)
    if not business_hours:
        return relative.resolve(ctx.now, ctx.record)
    anchor = relative.resolve(ctx.now, ctx.record)
    if anchor is None:
        return None
    base = anchor - relative.offset
    if relative.offset >= dt.timedelta():
        return ctx.calendar.add_working_time(base, relative.offset)
    return ctx.calendar.subtract_working_time(base, -relative.offset)


def _start_timer(ctx: ActionContext, params: dict[str, Any]) -> None:
    due = due_time(ctx, params["at"], params.get("business_hours", False))
    _cancel_timer(ctx, params["name"])
    if due is None:
        return  # the date it is relative to is empty: nothing to wait for
    _started(ctx.connection).add((ctx.event.entity, ctx.event.record["id"], params["name"]))
    timers = ctx.schema.system["officina_timer"]
    ctx.connection.execute(timers.insert(), {
        "entity": ctx.event.entity, "record_id": ctx.event.record["id"],
        "name": params["name"], "due_at": due, "status": "pending", "attempts": 0,
        "created_at": ctx.now})


STARTED_TIMERS = "officina_started_timers"


def _started(connection: Connection) -> set[tuple[str, Any, str]]:
    """The timers started in this transaction, by (entity, record id, name)."""
    held = connection.info.get(STARTED_TIMERS)
    transaction = connection.get_transaction()
    if held is None or held[0] is not transaction:
        held = connection.info[STARTED_TIMERS] = (transaction, set())
    return held[1]


def _none_pending(ctx: ActionContext, name: str) -> bool:
    """Whether the event's record surely has no pending timer ``name``: this transaction
    created it (a delete cancels a record's timers, so a reused id inherits none) and
    started no such timer for it."""
    record_id = ctx.event.record.get("id")
    return created_here(ctx.connection, ctx.event.entity, record_id) \
        and (ctx.event.entity, record_id, name) not in _started(ctx.connection)


def _cancel_timer(ctx: ActionContext, name: str) -> None:
    if _none_pending(ctx, name):
        return  # nothing to cancel
    timers = ctx.schema.system["officina_timer"]
    ctx.connection.execute(timers.update().where(
        timers.c.entity == ctx.event.entity, timers.c.record_id == ctx.event.record["id"],
        timers.c.name == name, timers.c.status == "pending").values(status="cancelled",
                                                                     done_at=ctx.now))


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: a user (for notices) and/or an address (for mail)."""

    username: str | None
    email: str | None
    language: str


def recipients(ctx: ActionContext, specs: list[str]) -> list[Recipient]:
    """Resolve ``role:``, ``user:``, ``field:`` and plain addresses, each person once."""
    users = ctx.schema.system["officina_user"]
    found: dict[str, Recipient] = {}
    record = ctx.record
    for spec in specs:
        kind, _, name = spec.partition(":")
        rows: list[Any] = []
        if kind == "role":
            rows = [r for r in ctx.connection.execute(sa.select(users).where(
                users.c.active.is_(True), users.c.roles.like(f"%{name}%")))
                if name in r.roles.split(",")]
        elif kind == "user":
            rows = list(ctx.connection.execute(sa.select(users).where(users.c.username == name)))
        elif kind == "field":
            value = _field_value(ctx, record, name)
            if isinstance(value, str) and "@" in value:
                found.setdefault(value, Recipient(None, value, ctx.event.actor.language))
            elif value:
                rows = list(ctx.connection.execute(sa.select(users).where(
                    users.c.username == str(value))))
        else:
            found.setdefault(spec, Recipient(None, spec, ctx.event.actor.language))
        for row in rows:
            found.setdefault(row.username, Recipient(row.username, row.email or None,
                                                     row.language or "en"))
    return list(found.values())


def _field_value(ctx: ActionContext, record: dict[str, Any], path: str) -> Any:
    link, _, name = path.partition(".")
    if not name:
        return record.get(link)
    spec = ctx.registry.entity(ctx.event.entity).field(link)
    if spec is None or record.get(link) is None:
        return None
    release(ctx.connection, spec.target or "")  # read as stored: held values written first
    table = ctx.schema.table(spec.target or "")
    return ctx.connection.execute(sa.select(table.c[name]).where(
        table.c.id == record[link])).scalar()


def _enqueue(ctx: ActionContext, kind: str, payload: dict[str, Any]) -> None:
    enqueue(ctx.connection, kind, payload, ctx.now, entity=ctx.event.entity,
            record_id=ctx.event.record.get("id"), rule=ctx.rule)


def rendered_mails(ctx: ActionContext, template_name: str, to: list[str]
                   ) -> list[dict[str, Any]]:
    """Mail template ``template_name`` rendered once per language of the recipients ``to``:
    outbox payloads (``to``, ``subject``, ``text``, ``html``)."""
    template = ctx.engine.mail_template(ctx.registry, template_name)
    context = {"record": ctx.record, "old": dict(ctx.event.old or {}),
               "entity": ctx.registry.entity(ctx.event.entity).label,
               "user": ctx.event.actor.username, "now": ctx.now}
    by_language: dict[str, list[str]] = {}
    for recipient in recipients(ctx, to):
        if recipient.email:
            by_language.setdefault(recipient.language, []).append(recipient.email)
    mails = []
    for language, addresses in sorted(by_language.items()):
        try:
            rendered = render_mail(template, context, language, timezone=ctx.timezone)
        except Exception as exc:
            raise RuleActionError(f"rule {ctx.rule}: mail template {template_name}: "
                                  f"{exc}") from None
        mails.append({"to": addresses, "subject": rendered.subject, "text": rendered.text,
                      "html": rendered.html})
    return mails


def _send_mail(ctx: ActionContext, params: dict[str, Any]) -> None:
    for mail in rendered_mails(ctx, params["template"], params["to"]):
        _enqueue(ctx, "mail", mail)


def _render_document(ctx: ActionContext, params: dict[str, Any]) -> None:
    """Queue a document job: the worker renders the record with the template (PDF is slow:
    never in the transaction), attaches the file and queues the mails rendered here."""
    language = ctx.value(params.get("language")) or ctx.event.actor.language
    if language not in SUPPORTED_LANGUAGES:
        raise RuleActionError(f"rule {ctx.rule}: render_document: unknown language "
                              f"{language!r} ({' or '.join(SUPPORTED_LANGUAGES)})")
    mail = params.get("mail")
    mails = rendered_mails(ctx, mail["template"], mail["to"]) if mail else []
    _enqueue(ctx, "document", document_job_payload(
        ctx.event.entity, ctx.event.record.get("id"), params["template"], language=language,
        format=params.get("format", "pdf"), attach_to=params.get("attach_to"), mails=mails,
        rule=ctx.rule))


def _notify(ctx: ActionContext, params: dict[str, Any]) -> None:
    message = params["message"]
    notices = ctx.schema.system["officina_notification"]
    for recipient in recipients(ctx, params["to"]):
        if recipient.username is None:
            continue
        text = message if isinstance(message, str) else (
            message.get(recipient.language) or message.get("en") or next(iter(message.values())))
        rendered = (render_text(text, ctx.expression_context(), recipient.language, ctx.timezone)
                    if "{{" in text else text)
        ctx.connection.execute(notices.insert().values(
            username=recipient.username, message=rendered, entity=ctx.event.entity,
            record_id=ctx.event.record.get("id"), rule=ctx.rule, created_at=ctx.now))


def render_text(text: str, context: Mapping[str, Any], language: str | None = None,
                timezone: str | None = None) -> str:
    """A short text with ``{{ placeholders }}``, rendered in Jinja2's sandbox; the dates
    and numbers it shows are written in ``language`` and ``timezone``."""
    try:
        return sandbox_for(NOTIFY_TEXT, language, timezone).from_string(text).render(context)
    except Exception as exc:
        raise RuleActionError(f"message {text!r}: {exc}") from None


def _webhook(ctx: ActionContext, params: dict[str, Any]) -> None:
    payload = ctx.value(params.get("payload") or {})
    _enqueue(ctx, "webhook", {"url": params["url"], "secret": params.get("secret"),
                              "payload": {"event": ctx.event.kind, "entity": ctx.event.entity,
                                          "rule": ctx.rule, "record": ctx.record, **payload}})


def _call(ctx: ActionContext, params: dict[str, Any]) -> None:
    function = ctx.engine.actions.get(params["action"])
    if function is None:
        raise RuleActionError(f"rule {ctx.rule}: no action '{params['action']}' is registered")
    release(ctx.connection, ctx.event.entity)  # a named action may read the record as stored
    values = function(ctx, **ctx.value(params.get("args") or {}))
    if values:  # data, never expressions: a value starting with "=" is stored as written
        release(ctx.connection, ctx.event.entity)
        current = ctx.record
        ctx.records.update(ctx.actor, ctx.event.entity, current["id"], dict(values),
                           version=current["version"], connection=ctx.connection)


def _refuse(ctx: ActionContext, message: str | Mapping[str, str]) -> None:
    language = ctx.event.actor.language
    text = message if isinstance(message, str) else (message.get(language) or message.get("en")
                                                      or next(iter(message.values())))
    raise RuleRefused(render_text(text, ctx.expression_context(), language, ctx.timezone)
                      if "{{" in text else text)


ACTIONS: dict[str, Callable[[ActionContext, Any], None]] = {
    "set": _set, "create": _create, "transition": _transition, "start_timer": _start_timer,
    "cancel_timer": _cancel_timer, "send_mail": _send_mail, "notify": _notify,
    "webhook": _webhook, "call": _call, "refuse": _refuse,
    "render_document": _render_document, "update": _update, "for_each": _for_each, "if": _if,
    "lock": _lock,
}


def run_action(ctx: ActionContext, action: ActionSpec) -> None:
    """Do one action of a rule."""
    ACTIONS[action.kind](ctx, action.params)


def load_mail_template(registry: Registry, name: str) -> MailTemplate:
    """A pack's mail template (``templates/mail/<name>.yaml``)."""
    for pack in reversed(registry.packs):
        path = Path(pack.path) / "templates" / "mail" / f"{name}.yaml"
        if path.is_file():
            return MailTemplate.from_yaml(path.read_text(encoding="utf-8"), name)
    raise RuleActionError(f"no mail template '{name}'")
