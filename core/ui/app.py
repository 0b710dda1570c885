"""The Flask application factory, and the JSON API over the records service.

The generated HTML screens come with the web UI; for now the application serves an overview
page and a read-only JSON API, authenticated with local users' passwords (HTTP Basic).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from core.cli.output import json_default
from core.config import Settings
from core.officina import Officina
from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied, QueryError, RecordError
from core.records.reading import ListQuery
from core.users import verify_password

api = Blueprint("api", __name__, url_prefix="/api")
pages = Blueprint("pages", __name__)
STATUS = {NotFound: 404, PermissionDenied: 403, QueryError: 400}


def _officina() -> Officina:
    return current_app.extensions["officina"]


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, default=json_default, ensure_ascii=False), status=status,
                    mimetype="application/json")


def _authenticated() -> Actor | None:
    auth = request.authorization
    if auth is None or not auth.username:
        return None
    with _officina().database.read() as connection:
        return verify_password(connection, auth.username, auth.password or "")


def _challenge() -> Response:
    response = jsonify(error="authentication", message="Sign in with your Officina user.")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="Officina"'
    return response


@api.errorhandler(RecordError)
def _record_error(exc: RecordError) -> Response:
    return _json(exc.as_dict(), STATUS.get(type(exc), 422))


@api.get("/<entity>")
def list_records(entity: str) -> Response:
    """A page of records; query string: filter (JSON), search, sort, limit, offset, fields."""
    actor = _authenticated()
    if actor is None:
        return _challenge()
    args = request.args
    try:
        filters = json.loads(args["filter"]) if "filter" in args else None
        limit, offset = int(args.get("limit", 50)), int(args.get("offset", 0))
    except ValueError as exc:
        raise QueryError(f"Bad query parameter: {exc}") from None
    query = ListQuery(filters=filters, search=args.get("search") or None,
                      sort=tuple(s for s in args.get("sort", "").split(",") if s),
                      fields=tuple(args["fields"].split(",")) if args.get("fields") else None,
                      limit=limit, offset=offset)
    page = _officina().records.list(actor, entity, query)
    return _json({"total": page.total, "total_exact": page.total_exact, "limit": page.limit,
                  "offset": page.offset, "rows": page.rows})


@api.get("/<entity>/<key>")
def get_record(entity: str, key: str) -> Response:
    """One record by id or reference."""
    actor = _authenticated()
    if actor is None:
        return _challenge()
    return _json(_officina().records.get(actor, entity, key))


@pages.get("/")
def overview() -> str:
    """What this instance runs: packs and entities."""
    registry = _officina().registry.current().registry
    return render_template("overview.html", registry=registry)


@pages.get("/health")
def health() -> Response:
    """Liveness: the database answers and the registry loads."""
    registry = _officina().registry.current().registry
    return jsonify(status="ok", registry_version=registry.version,
                   entities=len(registry.entities))


def create_app(settings: Settings, config: dict[str, Any] | None = None) -> Flask:
    """Build the web application for one instance."""
    app = Flask(__name__)
    app.config.update(JSON_SORT_KEYS=False, **(config or {}))
    app.extensions["officina"] = Officina.open(settings)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    return app
