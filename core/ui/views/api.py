"""The read-only JSON API over the records service, authenticated per request (HTTP Basic)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from core.auth.errors import LoginThrottled
from core.auth.throttle import check_throttle, record_attempt
from core.cli.output import json_default
from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied, QueryError, RecordError
from core.records.reading import ListQuery
from core.ui.access import API, access
from core.ui.context import officina, translator
from core.users import verify_password

api = Blueprint("api", __name__, url_prefix="/api")
STATUS = {NotFound: 404, PermissionDenied: 403, QueryError: 400}


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, default=json_default, ensure_ascii=False), status=status,
                    mimetype="application/json")


def _authenticated() -> Actor | None:
    """The user of the request's HTTP Basic credentials, under the sign-in page's throttle.

    A locked-out user or address gets ``LoginThrottled`` (429) even with the right password,
    and each wrong password counts toward the same lock as a failed sign-in on the page.
    """
    auth = request.authorization
    if auth is None or not auth.username:
        return None
    with officina().database.read() as connection:
        check_throttle(connection, auth.username, request.remote_addr)
        actor = verify_password(connection, auth.username, auth.password or "",
                                officina().settings.passwords)
    if actor is None:  # only failures are written: a right password costs no write
        with officina().database.write() as connection:
            record_attempt(connection, auth.username, request.remote_addr, success=False)
    return actor


def _challenge() -> Response:
    response = jsonify(error="authentication", message="Sign in with your Officina user.")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="Officina"'
    return response


@api.errorhandler(LoginThrottled)
def _throttled(exc: LoginThrottled) -> Response:
    response = _json({"error": exc.code, "message": exc.translate(translator())}, 429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@api.errorhandler(RecordError)
def _record_error(exc: RecordError) -> Response:
    return _json(exc.as_dict(), STATUS.get(type(exc), 422))


@api.get("/<entity>")
@access(API)
def list_records(entity: str) -> Response:
    """A page of records; query string: filter (JSON), search, sort, limit, offset, fields."""
    actor = _authenticated()
    if actor is None:
        return _challenge()
    args = request.args
    try:
        filters = json.loads(args["filter"]) if "filter" in args else None
        limit, offset = int(args.get("limit", 50)), int(args.get("offset", 0))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        raise QueryError(f"Bad query parameter: {exc}") from None
    query = ListQuery(filters=filters, search=args.get("search") or None,
                      sort=tuple(s for s in args.get("sort", "").split(",") if s),
                      fields=tuple(args["fields"].split(",")) if args.get("fields") else None,
                      limit=limit, offset=offset)
    page = officina().records.list(actor, entity, query)
    return _json({"total": page.total, "total_exact": page.total_exact, "limit": page.limit,
                  "offset": page.offset, "rows": page.rows})


@api.get("/<entity>/<key>")
@access(API)
def get_record(entity: str, key: str) -> Response:
    """One record by id or reference."""
    actor = _authenticated()
    if actor is None:
        return _challenge()
    return _json(officina().records.get(actor, entity, key))


BLUEPRINTS = [api]
