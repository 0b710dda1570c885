""""My sessions": the signed-in user's open sessions, and signing out the others.

Each browser that signed in is one row of ``officina_session``; ending one here refuses its
cookie at its very next request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, flash, redirect, render_template, url_for

from core.auth.sessions import SessionInfo, active_sessions, end_sessions
from core.formatting import format_datetime
from core.i18n import _
from core.ui.access import USER, access
from core.ui.context import actor, gettext, locale, officina
from core.ui.sessions import current_session_id, finish_session, session_policy
from core.ui.views import NavItem

account_sessions = Blueprint("account_sessions", __name__)

BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"))
SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))


def describe_browser(user_agent: str | None) -> str:
    """A short "Firefox on Linux" for a User-Agent header; the header itself if unknown."""
    text = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in text), None)
    system = next((name for mark, name in SYSTEMS if mark in text), None)
    if browser and system:
        return gettext(_("{browser} on {system}"), browser=browser, system=system)
    return re.sub(r"\s+", " ", text).strip()[:80] or gettext(_("Unknown browser"))


@dataclass(frozen=True)
class SessionRow:
    """A session as the page shows it."""

    id: int
    browser: str
    address: str
    started: str
    last_seen: str
    current: bool


def session_rows(sessions: list[SessionInfo], current: int | None) -> list[SessionRow]:
    """The rows of a sessions table, times in the instance's time zone."""
    zone = officina().settings.timezone
    return [SessionRow(s.id, describe_browser(s.user_agent), s.address or "",
                       format_datetime(s.created_at, locale(), zone),
                       format_datetime(s.last_seen_at, locale(), zone), s.id == current)
            for s in sessions]


@account_sessions.get("/account/sessions")
@access(USER)
def sessions() -> str:
    """The user's open sessions, this one first."""
    current = current_session_id()
    with officina().database.read() as connection:
        found = active_sessions(connection, actor().username, session_policy())
    rows = sorted(session_rows(found, current), key=lambda row: not row.current)
    return render_template("account_sessions.html", sessions=rows)


@account_sessions.post("/account/sessions/others")
@access(USER)
def end_others() -> Response:
    """Sign out everywhere else: every session of the user but this one ends."""
    with officina().database.write() as connection:
        ended = end_sessions(connection, actor().username, keep=current_session_id())
    flash(gettext(_("Other sessions signed out: {count}."), count=ended), "success")
    return redirect(url_for("account_sessions.sessions"))


@account_sessions.post("/account/sessions/<int:session_id>/end")
@access(USER)
def end_one(session_id: int) -> Response:
    """End one of the user's sessions; ending this one signs out."""
    if session_id == current_session_id():
        finish_session()
        return redirect(url_for("auth.login"))
    with officina().database.write() as connection:
        ended = end_sessions(connection, actor().username, only=session_id)
    if ended:
        flash(gettext(_("The session has been ended.")), "success")
    else:
        flash(gettext(_("That session had already ended.")), "error")
    return redirect(url_for("account_sessions.sessions"))


def navigation_items() -> list[NavItem]:
    """A link to the user's sessions."""
    return [NavItem(gettext(_("My sessions")), url_for("account_sessions.sessions"))]


BLUEPRINTS = [account_sessions]
