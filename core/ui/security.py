"""Sessions, CSRF protection, sign-in enforcement and security headers of the web UI."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from core.atomic_files import publish
from core.auth.sessions import SessionPolicy
from core.config import Settings
from core.metadata.value_limits import BIGINT_MAX
from core.ui.access import ADMIN, API, PUBLIC, endpoint_access
from core.ui.context import offered_languages, set_actor
from core.ui.request_reads import end_shared_read
from core.ui.sessions import POLICY_EXTENSION, TOKEN_KEY, current_session, forget_session

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; "
                           "style-src 'self' 'unsafe-inline'; script-src 'self'; "
                           "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def secret_key(settings: Settings) -> str:
    """The key signing session cookies: from ``[web] secret_key`` or the instance folder.

    A random key is created on first use in ``<instance>/secret_key`` (mode 600), so every
    worker of one instance shares it and sessions survive restarts. It is written under a
    temporary name and linked into place, so workers starting together never read a half-written
    file, and the first one's key is the one they all use.
    """
    configured = (settings.web or {}).get("secret_key")
    if configured:
        return str(configured)
    path = Path(settings.instance) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(8)}")
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                       "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            publish(temporary, path)
    return path.read_text().strip()


class BoundedInteger(IntegerConverter):
    """``<int:...>`` in URLs: ids and numbers fit a 64-bit column; a larger one matches no
    route (404) instead of reaching the database."""

    def __init__(self, map: object, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False):
        super().__init__(map, fixed_digits, min, BIGINT_MAX if max is None else max, signed)


def configure(app: Flask, settings: Settings) -> None:
    """Session cookie flags and timeouts, upload limit, CSRF and the per-request sign-in check."""
    web = settings.web or {}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(settings)
    policy = SessionPolicy.from_web_settings(web)
    app.extensions[POLICY_EXTENSION] = policy
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(web.get("secure_cookies", False)),
        SESSION_COOKIE_NAME="officina_session",
        PERMANENT_SESSION_LIFETIME=policy.absolute,  # the row decides; the cookie follows
        MAX_CONTENT_LENGTH=int(float(web.get("max_upload_mb", 20)) * 1024 * 1024),
        # One form field (or a whole form without files), and the fields of one form.
        MAX_FORM_MEMORY_SIZE=int(float(web.get("max_form_field_mb", 2)) * 1024 * 1024),
        MAX_FORM_PARTS=int(web.get("max_form_parts", 10_000)),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (a new one at sign-in)
        WTF_CSRF_SSL_STRICT=bool(web.get("secure_cookies", False)),
    )
    app.url_map.converters["int"] = BoundedInteger
    csrf = CSRFProtect(app)
    app.extensions["officina_csrf"] = csrf
    app.before_request(_sign_in_check)
    app.after_request(_security_headers)
    app.teardown_request(end_shared_read)


def browser_language() -> str:
    """The best of the instance's languages for the browser's Accept-Language header (the
    first of them when the browser asks for none)."""
    offered = offered_languages()
    return request.accept_languages.best_match(offered) or offered[0]


def _sign_in_check() -> Response | None:
    from flask import current_app

    level = endpoint_access(current_app, request.endpoint)
    if request.endpoint is None:
        return None  # 404 or 405 follow
    if level is None:
        abort(403)
    if level in (PUBLIC, API):
        set_anonymous_language()
        return None
    # The session row and its user, read afresh: an ended session, a deactivated user or a
    # changed password (which ends the other sessions) is refused here, and roles apply as
    # they are now.
    current = current_session()
    if current is not None:
        signed_in = current.actor
        set_actor(signed_in, offered(current.language) or offered(session.get("language"))
                  or browser_language())
        if level == ADMIN and not signed_in.is_admin:
            abort(403)
        return None
    if TOKEN_KEY in session:
        forget_session()
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(401)


def set_anonymous_language() -> None:
    """Language for pages seen before signing in: the session's choice or the browser's."""
    from flask import g

    g.language = offered(session.get("language")) or browser_language()


def offered(language: str | None) -> str | None:
    """``language`` when the instance offers it (a profile or a cookie may name another)."""
    return language if language in offered_languages() else None


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirects, and
    no control characters: a CR/LF would split the Location header)."""
    if target and not any(ord(c) < 32 or ord(c) == 127 for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("home.home")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if "text/html" in response.content_type:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
