"""The notification centre: the notices rules leave for the signed-in user, a bell with the
unread count in the header, marking them read, opening their record, and the daily digest.

Every change is a POST (CSRF-checked); a user only ever sees and marks their own notices.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from core.formatting import format_datetime
from core.i18n import _
from core.rules.notices import (
    PAGE_SIZE,
    Notice,
    find_notice,
    list_notices,
    mark_read,
    set_digest,
    wants_digest,
)
from core.ui.access import USER, access
from core.ui.context import actor, gettext, labels, locale, may, officina, registry
from core.ui.views.record_list import record_url
from core.users import user_email

notifications = Blueprint("notifications", __name__)


@dataclass(frozen=True)
class NoticeRow:
    """A notice as the page shows it."""

    id: int
    message: str
    when: str
    unread: bool
    about: str  # the record's entity, as the user reads it; empty for a notice about none
    opens: bool  # whether it names a record the user may read


def _row(notice: Notice) -> NoticeRow:
    spec = registry().entities.get(notice.entity or "")
    readable = spec is not None and notice.record_id is not None and may(spec.name, "read")
    return NoticeRow(notice.id, notice.message,
                     format_datetime(notice.created_at, locale(), officina().settings.timezone),
                     notice.unread, labels().entity_label(spec) if spec is not None else "",
                     readable)



@notifications.get("/app/notifications")
@access(USER)
def notices_view() -> str:
    """The user's notices, newest first: unread ones only, or all (``?show=all``)."""
    show_all = request.args.get("show") == "all"
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    with officina().database.read() as connection:
        found, total = list_notices(connection, actor().username, unread_only=not show_all,
                                    limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        digest = wants_digest(connection, actor().username)
        has_email = bool(user_email(connection, actor().username))
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("notifications.html", notices=[_row(n) for n in found],
                           total=total, show_all=show_all, page=page, pages=pages,
                           digest=digest, has_email=has_email)


@notifications.post("/app/notifications/<int:notice_id>/open")
@access(USER)
def open_notice(notice_id: int) -> Response:
    """Mark the notice read and go to its record (back to the list if it names none the
    user may read)."""
    with officina().database.write() as connection:
        notice = find_notice(connection, actor().username, notice_id)
        if notice is not None:
            mark_read(connection, actor().username, officina().records.clock(), [notice.id])
    spec = registry().entities.get((notice.entity if notice else None) or "")
    if notice is None or spec is None or notice.record_id is None or not may(spec.name, "read"):
        if notice is None:
            flash(gettext(_("That notice is not yours or no longer exists.")), "error")
        return redirect(url_for("notifications.notices_view"))
    return redirect(record_url(spec.name, notice.record_id))


@notifications.post("/app/notifications/read")
@access(USER)
def read_notices() -> Response:
    """Mark the chosen notices (``notice`` fields), or all of them (``all``), read."""
    chosen = None if request.form.get("all") else [
        int(value) for value in request.form.getlist("notice") if value.isdigit()]
    with officina().database.write() as connection:
        marked = mark_read(connection, actor().username, officina().records.clock(), chosen) \
            if chosen is None or chosen else 0
    flash(gettext(_("Notices marked read: {count}."), count=marked), "success")
    return redirect(url_for("notifications.notices_view",
                            **({"show": "all"} if request.form.get("show") == "all" else {})))


@notifications.post("/app/notifications/digest")
@access(USER)
def choose_digest() -> Response:
    """Turn the daily digest of unread notices by mail on or off."""
    daily = request.form.get("daily") == "1"
    with officina().database.write() as connection:
        set_digest(connection, actor().username, daily)
    flash(gettext(_("You will get a daily digest of your unread notices by mail.") if daily
                  else _("You will not get a daily digest by mail.")), "success")
    return redirect(url_for("notifications.notices_view"))


BLUEPRINTS = [notifications]
