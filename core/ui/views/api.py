"""The JSON API over the records service: list, get, create, update, delete and transitions.

Every request authenticates itself: ``Authorization: Bearer <token>`` (a personal API token,
``core.auth.api_tokens``) or HTTP Basic (a user's password, checked with argon2; kept for
compatibility). A session cookie is never looked at, so a page open in a browser cannot be
made to write through the API, and the blueprint is exempt from CSRF (its requests carry no
cookie credentials). Writes also need ``Content-Type: application/json``, which no form of
another site can send: a browser that cached Basic credentials cannot be used either.

Errors are JSON ``{"error", "message", "fields"}``: 400 (bad body, query or field values,
``fields`` naming them), 401, 403, 404, 409 (stale ``version``, record still linked), 415,
429 (throttled, with ``Retry-After``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy.engine import Connection

from core.auth.api_tokens import PREFIX_LENGTH, authenticate_token, needs_use_noted, note_use
from core.auth.errors import LoginThrottled
from core.auth.throttle import check_throttle, record_attempt
from core.i18n import _
from core.json_encoding import to_json
from core.records.actor import Actor
from core.records.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    QueryError,
    RecordError,
    RecordValidationError,
)
from core.records.json_values import record_json, values_from_json
from core.records.permissions import ACTION_NAMES
from core.records.reading import ListQuery
from core.ui.access import API, access
from core.ui.context import gettext, officina, translator
from core.users import check_password

api = Blueprint("api", __name__, url_prefix="/api")


class Unauthenticated(RecordError):
    """No credentials, or credentials that do not authenticate anyone (401)."""

    code = "authentication"


class BodyError(RecordError):
    """A request body that is not a JSON object (400)."""

    code = "body"


class NotJson(RecordError):
    """A write whose body is not declared as JSON (415)."""

    code = "media_type"


STATUS = {NotFound: 404, PermissionDenied: 403, QueryError: 400, RecordValidationError: 400,
          Conflict: 409, Unauthenticated: 401, BodyError: 400, NotJson: 415}
CHALLENGE = ('Bearer realm="Officina"', 'Basic realm="Officina"')


def _exempt_from_csrf(state: BlueprintSetupState) -> None:
    state.app.extensions["officina_csrf"].exempt(api)


api.record_once(_exempt_from_csrf)


def _json(value: Any, status: int = 200) -> Response:
    return Response(to_json(value, ensure_ascii=False), status=status,
                    mimetype="application/json")


def _out(entity: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each field's value as its type writes it in JSON."""
    return record_json(officina().registry.current().registry, entity, record)


def _in(entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """A body's field values as their types read JSON, for the records service."""
    return values_from_json(officina().registry.current().registry, entity, body)


# -- authentication ----------------------------------------------------------------------------


def _refuse_token(secret: str, reason: str) -> None:
    """Count a failed token toward the sign-in throttle; 429 once locked, else 401.

    Attempts are counted under the token's first characters and the client address, so
    wrong tokens and wrong passwords from one address add up to the same lock.
    """
    key = secret[:PREFIX_LENGTH] or "-"
    with officina().database.write() as connection:
        check_throttle(connection, key, request.remote_addr)  # a refused attempt: not counted
        record_attempt(connection, key, request.remote_addr, success=False)
    raise Unauthenticated(gettext(reason))


def _token_actor(connection: Connection, secret: str) -> Actor:
    """The actor of a bearer token (its owner within its scopes); one query when valid.

    A valid token is not held back by the throttle: guessing one is hopeless, so the lock
    would only let whoever shares an address shut its holder out.
    """
    found = authenticate_token(connection, secret)
    if found.actor is None:
        _refuse_token(secret, found.refusal or _("This API token is not valid."))
    assert found.actor is not None and found.token_id is not None
    if needs_use_noted(found):  # at most once a minute per token
        with officina().database.write() as writing:
            note_use(writing, found.token_id)
    return found.actor


def _basic_actor() -> Actor:
    """The user of HTTP Basic credentials, under the sign-in page's throttle.

    A locked-out user or address gets ``LoginThrottled`` (429) even with the right password,
    and each wrong password counts toward the same lock as a failed sign-in on the page.
    """
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise Unauthenticated(gettext(_("Sign in with an API token or your Officina user.")))
    with officina().database.read() as connection:
        check_throttle(connection, auth.username, request.remote_addr)
    actor = check_password(officina().database, auth.username, auth.password or "",
                           officina().settings.passwords)
    if actor is None:  # only failures are written: a right password costs no write
        with officina().database.write() as connection:
            record_attempt(connection, auth.username, request.remote_addr, success=False)
        raise Unauthenticated(gettext(_("Wrong username or password.")))
    return actor


def _bearer() -> str | None:
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def authenticated(connection: Connection) -> Actor:
    """The actor of this request (``Unauthenticated`` or ``LoginThrottled`` otherwise)."""
    secret = _bearer()
    if secret is not None:
        return _token_actor(connection, secret)
    return _basic_actor()


def _in_scope(actor: Actor, entity: str, action: str) -> None:
    """Refuse, with a message about the token, what its scopes do not reach.

    The records service refuses it too (``ScopedPolicy``); this only says why.
    """
    if actor.scopes is None or actor.scopes.permits(entity, action):
        return
    if entity not in officina().registry.current().registry.entities:
        return  # the service's "unknown entity" (404) says more
    level = actor.scopes.level(entity)
    raise PermissionDenied(gettext(
        _("This API token may not {action} {entity}: its scopes give {level}."),
        action=gettext(ACTION_NAMES[action]), entity=entity,
        level=gettext(_("read only")) if level else gettext(_("no access"))))


# -- errors ------------------------------------------------------------------------------------


@api.errorhandler(LoginThrottled)
def _throttled(exc: LoginThrottled) -> Response:
    response = _json({"error": exc.code, "message": exc.translate(translator())}, 429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@api.errorhandler(RecordError)
def _record_error(exc: RecordError) -> Response:
    response = _json(exc.as_dict(), STATUS.get(type(exc), 422))
    if isinstance(exc, Unauthenticated):
        for challenge in CHALLENGE:
            response.headers.add("WWW-Authenticate", challenge)
    return response


# -- reading -----------------------------------------------------------------------------------


def _list_query() -> ListQuery:
    args = request.args
    try:
        filters = json.loads(args["filter"]) if "filter" in args else None
        limit, offset = int(args.get("limit", 50)), int(args.get("offset", 0))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        raise QueryError(gettext(_("Bad query parameter: {problem}"), problem=str(exc))) from None
    return ListQuery(filters=filters, search=args.get("search") or None,
                     sort=tuple(s for s in args.get("sort", "").split(",") if s),
                     fields=tuple(args["fields"].split(",")) if args.get("fields") else None,
                     limit=limit, offset=offset)


@api.get("/<entity>")
@access(API)
def list_records(entity: str) -> Response:
    """A page of records; query string: filter (JSON), search, sort, limit, offset, fields."""
    with officina().database.read() as connection:
        actor = authenticated(connection)
        _in_scope(actor, entity, "read")
        page = officina().records.list(actor, entity, _list_query(), connection=connection)
    return _json({"total": page.total, "total_exact": page.total_exact, "limit": page.limit,
                  "offset": page.offset, "rows": [_out(entity, row) for row in page.rows]})


@api.get("/<entity>/<key>")
@access(API)
def get_record(entity: str, key: str) -> Response:
    """One record by id or reference."""
    with officina().database.read() as connection:
        actor = authenticated(connection)
        _in_scope(actor, entity, "read")
        return _json(_out(entity, officina().records.get(actor, entity, key,
                                                         connection=connection)))


# -- writing -----------------------------------------------------------------------------------


def _writer(entity: str, action: str) -> Actor:
    with officina().database.read() as connection:
        actor = authenticated(connection)
    _in_scope(actor, entity, action)
    return actor


def _body(empty_allowed: bool = False) -> dict[str, Any]:
    """The request's JSON object; 415 unless declared as JSON, 400 unless an object."""
    if not request.is_json:
        raise NotJson(gettext(_("Send the body as JSON, with Content-Type: application/json.")))
    text = request.get_data(as_text=True)
    if not text.strip() and empty_allowed:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        raise BodyError(gettext(_("The body is not valid JSON: {problem}"),
                                problem=str(exc))) from None
    if not isinstance(value, dict):
        raise BodyError(gettext(_("The body must be a JSON object of field values.")))
    return value


def _whole_version() -> str:
    return gettext(_("The version must be a whole number."))


def _version_argument() -> int | None:
    value = request.args.get("version")
    if value is None:
        return None
    # ASCII only ("²".isdigit() is true, int() refuses it) and at most 19 digits (a BIGINT;
    # thousands of digits exceed Python's int-conversion limit)
    if not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise QueryError(_whole_version(), {"version": [_whole_version()]})
    return int(value)


@api.post("/<entity>")
@access(API)
def create_record(entity: str) -> Response:
    """Create a record from a JSON object of field values (lines as lists); 201."""
    actor = _writer(entity, "create")
    created = officina().records.create(actor, entity, _in(entity, _body()))
    response = _json(_out(entity, created), 201)
    response.headers["Location"] = f"/api/{entity}/{created.get('ref') or created['id']}"
    return response


@api.patch("/<entity>/<key>")
@access(API)
def update_record(entity: str, key: str) -> Response:
    """Change the fields given; the body carries the ``version`` read (409 if stale)."""
    actor = _writer(entity, "update")
    return _json(_out(entity, officina().records.update(actor, entity, key,
                                                        _in(entity, _body()))))


@api.delete("/<entity>/<key>")
@access(API)
def delete_record(entity: str, key: str) -> Response:
    """Delete a record (``?version=`` refuses it if it changed since); 204."""
    actor = _writer(entity, "delete")
    officina().records.delete(actor, entity, key, version=_version_argument())
    return Response(status=204)


@api.post("/<entity>/<key>/transition/<name>")
@access(API)
def transition_record(entity: str, key: str, name: str) -> Response:
    """Take a workflow transition; an optional body ``{"version": n}`` guards against
    changes since it was read."""
    actor = _writer(entity, "update")
    version = _body(empty_allowed=True).get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise RecordValidationError(_whole_version(), {"version": [_whole_version()]})
    return _json(_out(entity, officina().records.transition(actor, entity, key, name,
                                                            version=version)))


BLUEPRINTS = [api]
