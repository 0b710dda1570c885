"""Error pages: a clear, translated message and the right status, never a traceback."""

from __future__ import annotations

import json

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core.i18n import _
from core.records.errors import Conflict, NotFound, PermissionDenied, QueryError, RecordError
from core.ui.context import gettext
from core.ui.security import set_anonymous_language

RECORD_STATUS = {NotFound: 404, PermissionDenied: 403, QueryError: 400, Conflict: 409}
HTTP_MESSAGES = {
    400: _("The request could not be understood."),
    401: _("Sign in to continue."),
    403: _("You may not open this page."),
    404: _("No such page."),
    405: _("This page does not accept that request."),
    413: _("The upload is too large."),
    429: _("Too many requests; wait a moment and try again."),
}


def _page(message: str, status: int) -> tuple[str | Response, int]:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        body = json.dumps({"error": str(status), "message": message}, ensure_ascii=False)
        return Response(body, status=status, mimetype="application/json"), status
    return render_template("error.html", message=message, status=status), status


def _http_error(exc: HTTPException) -> tuple[str | Response, int]:
    from flask import g

    if "language" not in g:
        set_anonymous_language()
    status = exc.code or 500
    return _page(gettext(HTTP_MESSAGES.get(status, "Something went wrong.")), status)


def _too_large(_exc: RequestEntityTooLarge) -> tuple[str | Response, int]:
    """413, naming the limits: the whole request, one form field, the fields of a form."""
    from flask import current_app, g

    if "language" not in g:
        set_anonymous_language()
    config = current_app.config
    megabytes = {name: f"{(config.get(name) or 0) / 1024 / 1024:g}"
                 for name in ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE")}
    return _page(gettext(_("The request is too large: at most {total} MB in all (files "
                           "included), {field} MB in one form field and {parts} fields in "
                           "one form."), total=megabytes["MAX_CONTENT_LENGTH"],
                         field=megabytes["MAX_FORM_MEMORY_SIZE"],
                         parts=config.get("MAX_FORM_PARTS")), 413)


def _csrf_error(_exc: CSRFError) -> tuple[str | Response, int]:
    if "language" not in __import__("flask").g:
        set_anonymous_language()
    return _page(gettext("The form was not sent from this page or has expired: "
                         "reload the page and try again."), 400)


def _record_error(exc: RecordError) -> tuple[str | Response, int]:
    return _page(str(exc), RECORD_STATUS.get(type(exc), 422))


def _unexpected(_exc: Exception) -> tuple[str | Response, int]:
    import logging

    logging.getLogger("officina.ui").exception("unexpected error on %s", request.path)
    return _page(gettext("Something went wrong; the error was logged."), 500)


def install(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RecordError, _record_error)
    if not app.testing:
        app.register_error_handler(Exception, _unexpected)
