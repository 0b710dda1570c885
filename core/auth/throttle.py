"""One throttle for every failed authentication, shared by every process through the
``officina_login_attempt`` table.

Every surface that checks a credential goes through it: the sign-in page (local and LDAP
passwords), the JSON API's HTTP Basic, the current password asked by "change password",
password-reset links, and API tokens. Each calls ``check_throttle`` before checking the
credential (a locked user or address is refused even with the right one) and
``record_attempt(..., success=False)`` after a failure, in a transaction of its own (a
failure must not be rolled back with the request). A credential that names no user (a reset
link, an API token that matches nothing) passes ``username=None``: it is counted and checked
by address only. A failure on one surface therefore locks the others out too.

Five failures within fifteen minutes, for one username or from one client address, lock
further attempts for fifteen minutes after the fifth failure. Refused attempts are not
recorded, so hammering a locked account does not prolong the lock. A successful login
clears the username's count (failures before it no longer count), but not the address's:
an attacker who owns one account must not be able to reset the counter of his address.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.auth.errors import LoginThrottled
from core.i18n import _
from core.records.errors import printable
from core.storage.auth_tables import LOGIN_ATTEMPT, auth_tables

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)


def _attempts() -> sa.Table:
    return auth_tables()[LOGIN_ATTEMPT]


def throttle_key(username: str | None) -> str:
    """The name attempts are counted under: case and surrounding spaces do not matter (and
    characters no column can store are replaced, so a NUL is one more wrong name).

    ``""`` for attempts that name no user; they count toward the address only.
    """
    return printable((username or "").strip().lower())[:140]


def _locked_until(failures: list[dt.datetime]) -> dt.datetime | None:
    """The end of the latest lock that ``failures`` (oldest first) trigger, if any."""
    until = None
    for first, last in zip(failures, failures[MAX_FAILURES - 1:], strict=False):
        if last - first < WINDOW:
            until = last + LOCKOUT
    return until


def _failures(connection: Connection, column: sa.Column, value: str,
              now: dt.datetime, after_success: bool) -> list[dt.datetime]:
    attempts = _attempts()
    since = now - WINDOW - LOCKOUT
    if after_success:
        last_success = connection.execute(
            sa.select(sa.func.max(attempts.c.at)).where(
                column == value, attempts.c.success.is_(True), attempts.c.at > since)
        ).scalar()
        if last_success is not None:
            since = last_success
    return list(connection.execute(
        sa.select(attempts.c.at).where(column == value, attempts.c.success.is_(False),
                                       attempts.c.at > since).order_by(attempts.c.at)
    ).scalars())


def check_throttle(connection: Connection, username: str | None,
                   address: str | None = None, now: dt.datetime | None = None) -> None:
    """Raise ``LoginThrottled`` when the username or the address is locked out.

    With ``username=None`` (or empty) only the address is checked.
    """
    now = naive_utc(now)
    attempts = _attempts()
    locks: list[dt.datetime | None] = []
    if throttle_key(username):
        locks.append(_locked_until(_failures(connection, attempts.c.username,
                                             throttle_key(username), now, after_success=True)))
    if address:
        locks.append(_locked_until(_failures(connection, attempts.c.address, address[:64], now,
                                             after_success=False)))
    until = max((lock for lock in locks if lock is not None), default=None)
    if until is not None and until > now:
        raise LoginThrottled(_("Too many failed login attempts. Try again in {minutes} "
                               "minutes."), retry_after=int((until - now).total_seconds()))


def record_attempt(connection: Connection, username: str | None, address: str | None,
                   success: bool, now: dt.datetime | None = None) -> None:
    """Remember one authentication attempt (``username=None``: counted by address only)."""
    connection.execute(_attempts().insert().values(
        username=throttle_key(username), address=(address or None) and address[:64],
        at=naive_utc(now), success=success))


def prune_attempts(connection: Connection, now: dt.datetime | None = None) -> int:
    """Forget attempts too old to matter; return how many were deleted."""
    attempts = _attempts()
    cutoff = naive_utc(now) - WINDOW - LOCKOUT - dt.timedelta(days=1)
    return connection.execute(attempts.delete().where(attempts.c.at < cutoff)).rowcount
