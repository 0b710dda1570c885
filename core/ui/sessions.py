"""The browser's session: a token in Flask's signed cookie, its row in ``officina_session``.

The cookie carries the session token (plus the CSRF token, the chosen language and flashed
messages); who is signed in, since when and until when is decided by the database row
(``core.auth.sessions``), loaded once per request together with the user (in the view's
own read transaction when the view shares it: ``core.ui.request_reads``).
"""

from __future__ import annotations

from flask import current_app, g, request, session

from core.auth.clock import naive_utc
from core.auth.sessions import (
    SessionPolicy,
    SignedInSession,
    end_session,
    load_session,
    start_session,
    touch_session,
)
from core.ui.context import officina
from core.ui.request_reads import begin_shared_read, end_shared_read, view_shares_read

TOKEN_KEY = "session_token"  # noqa: S105 - the name of a cookie entry, not a secret
POLICY_EXTENSION = "officina_session_policy"


def session_policy() -> SessionPolicy:
    """This instance's idle and absolute timeouts (``[web]`` settings)."""
    return current_app.extensions[POLICY_EXTENSION]


def current_session() -> SignedInSession | None:
    """The live session of this request's cookie, or None; loaded once per request.

    One query reads the session and its user; ``last_seen_at`` is written only when it is
    older than the policy's touch interval (a minute), not on every request.
    """
    if "officina_session" not in g:
        g.officina_session = _load()
    return g.officina_session


def _load() -> SignedInSession | None:
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str) or not token:
        return None
    policy, database, now = session_policy(), officina().database, naive_utc()
    if view_shares_read():  # the view reads on in the same transaction
        current = load_session(begin_shared_read(), token, policy, now)
    else:
        with database.read() as connection:
            current = load_session(connection, token, policy, now)
    if current is not None and current.needs_touch(policy, now):
        end_shared_read()  # no read held open across the write
        with database.write() as connection:
            touch_session(connection, current.id, now)
    return current


def current_session_id() -> int | None:
    """The id of this request's session row (to keep it when ending the others)."""
    current = current_session()
    return current.id if current is not None else None


def begin_session(username: str) -> None:
    """Sign ``username`` in: a new session row and a fresh cookie (nothing planted in the
    cookie before survives but the chosen language); the browser's previous session ends."""
    previous = session.get(TOKEN_KEY)
    with officina().database.write() as connection:
        if isinstance(previous, str) and previous:
            end_session(connection, previous)
        token = start_session(connection, username, session_policy(), request.remote_addr,
                              request.user_agent.string)
    _fresh_cookie()
    session.permanent = True
    session[TOKEN_KEY] = token
    g.pop("officina_session", None)


def finish_session() -> None:
    """End this browser's session (its row too: a copy of the cookie is refused)."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str) and token:
        with officina().database.write() as connection:
            end_session(connection, token)
    _fresh_cookie()
    g.officina_session = None


def forget_session() -> None:
    """Drop the cookie of a session that has already ended (keeping the language)."""
    _fresh_cookie()
    g.officina_session = None


def _fresh_cookie() -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
