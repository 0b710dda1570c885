"""Server-side sessions: one ``officina_session`` row per signed-in browser.

The browser holds a random token; the database keeps only its SHA-256 hash, the user, when
the session started and was last seen, and the address and browser it came from (for the
user's "my sessions" page). Each request loads the session and its user in one query, so
ending a session (logout, "sign out everywhere else", an administrator), deactivating the
user or changing their roles or password takes effect at the very next request. A session
ends after ``idle`` without requests and, in any case, ``absolute`` after it started;
``last_seen_at`` is written at most once per ``touch_interval``, not on every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.records.actor import Actor
from core.storage.auth_tables import WEB_SESSION, auth_tables
from core.storage.tables import system_tables

DEFAULT_IDLE_MINUTES = 120
DEFAULT_ABSOLUTE_HOURS = 12
TOUCH_INTERVAL = dt.timedelta(minutes=1)
USER_AGENT_LENGTH = 255


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last: ``idle`` without a request, ``absolute`` from the start."""

    idle: dt.timedelta = dt.timedelta(minutes=DEFAULT_IDLE_MINUTES)
    absolute: dt.timedelta = dt.timedelta(hours=DEFAULT_ABSOLUTE_HOURS)
    touch_interval: dt.timedelta = TOUCH_INTERVAL

    @classmethod
    def from_web_settings(cls, web: Mapping[str, object] | None) -> SessionPolicy:
        """The policy of ``[web] session_idle_minutes`` and ``session_hours`` (absolute).

        ``ValueError`` names the setting when a value is not a positive number, or when the
        idle timeout is shorter than the touch interval (a session in constant use would
        expire between two writes of its last-seen time).
        """
        web = web or {}
        idle = _positive(web, "session_idle_minutes", DEFAULT_IDLE_MINUTES)
        absolute = _positive(web, "session_hours", DEFAULT_ABSOLUTE_HOURS)
        shortest = TOUCH_INTERVAL / dt.timedelta(minutes=1)
        if dt.timedelta(minutes=idle) < TOUCH_INTERVAL:
            raise ValueError(f"[web] session_idle_minutes must be at least {shortest:g} "
                             f"(how often a session's last use is recorded), "
                             f"not {web.get('session_idle_minutes')!r}")
        return cls(idle=dt.timedelta(minutes=idle), absolute=dt.timedelta(hours=absolute))

    def cutoffs(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """Sessions last seen before the first or started before the second have ended."""
        return now - self.idle, now - self.absolute


def _positive(web: Mapping[str, object], key: str, default: float) -> float:
    value = web.get(key, default)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 0.0
    if isinstance(value, bool) or not number > 0 or number == float("inf"):
        raise ValueError(f"[web] {key} must be a positive number, not {value!r}")
    return number


@dataclass(frozen=True)
class SignedInSession:
    """A live session and its (active) user, as one request sees them."""

    id: int
    username: str
    roles: frozenset[str]
    language: str | None  # the profile's choice; None lets the browser decide
    created_at: dt.datetime
    last_seen_at: dt.datetime
    unread_notices: int = 0  # the user's unread notices (the header's bell), read with it

    @property
    def actor(self) -> Actor:
        """The user acting through this session."""
        return Actor(username=self.username, roles=self.roles, language=self.language or "en")

    def needs_touch(self, policy: SessionPolicy, now: dt.datetime | None = None) -> bool:
        """Whether ``last_seen_at`` is old enough to be written again."""
        return naive_utc(now) - self.last_seen_at >= policy.touch_interval


@dataclass(frozen=True)
class SessionInfo:
    """One of a user's sessions, as the "my sessions" page lists it."""

    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    address: str | None
    user_agent: str | None


def _sessions() -> sa.Table:
    return auth_tables()[WEB_SESSION]


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(connection: Connection, username: str, policy: SessionPolicy,
                  address: str | None = None, user_agent: str | None = None,
                  now: dt.datetime | None = None) -> str:
    """Open a session for ``username`` and return its token (for the cookie only).

    Ended and expired sessions of every user are deleted first, so the table holds only
    live sessions plus those ended since the last sign-in.
    """
    now = naive_utc(now)
    purge_sessions(connection, policy, now)
    token = secrets.token_urlsafe(32)
    connection.execute(_sessions().insert().values(
        token_hash=token_hash(token), username=username, created_at=now, last_seen_at=now,
        address=(address or None) and address[:64],
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_LENGTH], revoked_at=None))
    return token


def load_session(connection: Connection, token: str, policy: SessionPolicy,
                 now: dt.datetime | None = None) -> SignedInSession | None:
    """The live session of ``token`` with its user, in one query; None when the token is
    unknown, the session ended or expired, or the user is unknown or deactivated."""
    idle_cutoff, absolute_cutoff = policy.cutoffs(naive_utc(now))
    row = connection.execute(_session_lookup(), {
        "token_hash": token_hash(token), "idle_cutoff": idle_cutoff,
        "absolute_cutoff": absolute_cutoff}).first()
    if row is None:
        return None
    return SignedInSession(
        id=int(row.id), username=row.username,
        roles=frozenset(r for r in (row.roles or "").split(",") if r),
        language=row.language or None, created_at=row.created_at,
        last_seen_at=row.last_seen_at, unread_notices=int(row.unread_notices or 0))


@cache
def _session_lookup() -> sa.Select:
    """The live session of a token's hash with its user and how many notices they have not
    read: built once, run on every page."""
    sessions, users = _sessions(), system_tables().system["officina_user"]
    notices = system_tables().system["officina_notification"]
    unread = (sa.select(sa.func.count()).select_from(notices)
              .where(notices.c.username == users.c.username, notices.c.read_at.is_(None))
              .scalar_subquery())
    return (sa.select(sessions.c.id, sessions.c.created_at, sessions.c.last_seen_at,
                      users.c.username, users.c.roles, users.c.language,
                      unread.label("unread_notices"))
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token_hash == sa.bindparam("token_hash"),
                   sessions.c.revoked_at.is_(None),
                   sessions.c.last_seen_at > sa.bindparam("idle_cutoff"),
                   sessions.c.created_at > sa.bindparam("absolute_cutoff"),
                   users.c.active.is_(True)))


def touch_session(connection: Connection, session_id: int,
                  now: dt.datetime | None = None) -> None:
    """Record that the session was just used (call it when ``needs_touch`` says so)."""
    sessions = _sessions()
    connection.execute(sessions.update().where(sessions.c.id == session_id)
                       .values(last_seen_at=naive_utc(now)))


def end_session(connection: Connection, token: str, now: dt.datetime | None = None) -> None:
    """End the session of ``token`` (logout): its cookie is refused from now on."""
    sessions = _sessions()
    connection.execute(sessions.update().where(
        sessions.c.token_hash == token_hash(token), sessions.c.revoked_at.is_(None)
    ).values(revoked_at=naive_utc(now)))


def end_sessions(connection: Connection, username: str, keep: int | None = None,
                 only: int | None = None, now: dt.datetime | None = None) -> int:
    """End ``username``'s sessions, but ``keep`` (a session id); or only the session ``only``.

    Returns how many were ended. Used for "sign out everywhere else", a password change or
    reset, a deactivation and an administrator's "end sessions".
    """
    sessions = _sessions()
    condition = sa.and_(sessions.c.username == username, sessions.c.revoked_at.is_(None))
    if keep is not None:
        condition = sa.and_(condition, sessions.c.id != keep)
    if only is not None:
        condition = sa.and_(condition, sessions.c.id == only)
    return connection.execute(sessions.update().where(condition)
                              .values(revoked_at=naive_utc(now))).rowcount


def active_sessions(connection: Connection, username: str, policy: SessionPolicy,
                    now: dt.datetime | None = None) -> list[SessionInfo]:
    """``username``'s live sessions, the most recently used first."""
    sessions = _sessions()
    idle_cutoff, absolute_cutoff = policy.cutoffs(naive_utc(now))
    rows = connection.execute(
        sa.select(sessions.c.id, sessions.c.created_at, sessions.c.last_seen_at,
                  sessions.c.address, sessions.c.user_agent)
        .where(sessions.c.username == username, sessions.c.revoked_at.is_(None),
               sessions.c.last_seen_at > idle_cutoff, sessions.c.created_at > absolute_cutoff)
        .order_by(sessions.c.last_seen_at.desc(), sessions.c.id.desc()))
    return [SessionInfo(int(r.id), r.created_at, r.last_seen_at, r.address, r.user_agent)
            for r in rows]


def purge_sessions(connection: Connection, policy: SessionPolicy,
                   now: dt.datetime | None = None) -> int:
    """Delete ended and expired sessions of every user; return how many."""
    sessions = _sessions()
    idle_cutoff, absolute_cutoff = policy.cutoffs(naive_utc(now))
    return connection.execute(sessions.delete().where(sa.or_(
        sessions.c.revoked_at.is_not(None), sessions.c.last_seen_at <= idle_cutoff,
        sessions.c.created_at <= absolute_cutoff))).rowcount
