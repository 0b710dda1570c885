"""The daily digest: once a day, from ``DIGEST_HOUR`` in the instance's time zone, each user
who asked for it gets one mail listing their unread notices (none when there are none).

Each user's day is claimed with a compare-and-set on ``officina_notice_digest.sent_on``, so
any number of workers send it once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.formatting import format_datetime, language_locale
from core.i18n import Translator, _
from core.rules.notices import list_notices
from core.storage.outbox import enqueue
from core.storage.tables import system_tables

DIGEST_HOUR = 7  # local time from which the day's digest goes out
DIGEST_LENGTH = 100  # notices listed in one digest; the rest are counted


def digest_day(now: dt.datetime, timezone: str) -> dt.date | None:
    """The local day whose digests may go out at ``now`` (naive UTC), or None before
    ``DIGEST_HOUR``."""
    local = now.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone))
    return local.date() if local.hour >= DIGEST_HOUR else None


def send_digests(connection: Connection, now: dt.datetime, today: dt.date,
                 timezone: str, base_url: str = "") -> int:
    """Queue the digest of ``today`` for each user who wants one and has not had it; how
    many."""
    tables = system_tables().system
    preferences, users = tables["officina_notice_digest"], tables["officina_user"]
    due = connection.execute(
        sa.select(users.c.username, users.c.email, users.c.language)
        .join(preferences, preferences.c.username == users.c.username)
        .where(preferences.c.daily.is_(True), users.c.active.is_(True),
               users.c.email.is_not(None),
               sa.or_(preferences.c.sent_on.is_(None), preferences.c.sent_on < today))).all()
    sent = 0
    for user in due:
        taken = connection.execute(preferences.update().where(
            preferences.c.username == user.username,
            sa.or_(preferences.c.sent_on.is_(None), preferences.c.sent_on < today))
            .values(sent_on=today)).rowcount
        if not taken:
            continue  # another worker sent it meanwhile
        notices, total = list_notices(connection, user.username, unread_only=True,
                                      limit=DIGEST_LENGTH)
        if not notices:
            continue
        enqueue(connection, "mail", _digest_mail(user.email, user.language or "en", notices,
                                                 total, timezone, base_url), now)
        sent += 1
    return sent


def _digest_mail(address: str, language: str, notices: list, total: int, timezone: str,
                 base_url: str) -> dict[str, object]:
    t = Translator(language)
    locale = language_locale(language)
    lines = [t.ngettext("You have {count} unread notice:", "You have {count} unread notices:",
                        total), ""]
    lines += [f"- {format_datetime(n.created_at, locale, timezone)}: {n.message}"
              for n in notices]
    if total > len(notices):
        lines.append(t.gettext(_("… and {count} more."), count=total - len(notices)))
    if base_url:
        lines += ["", t.gettext(_("Read them and mark them read at {url}"),
                                url=f"{base_url.rstrip('/')}/app/notifications")]
    subject = t.ngettext("Officina: {count} unread notice", "Officina: {count} unread notices",
                         total)
    return {"to": [address], "subject": subject, "text": "\n".join(lines) + "\n", "html": None}
