"""Single-use password reset tokens; only their SHA-256 hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.auth.errors import ResetTokenInvalid
from core.auth.passwords import check_policy, store_password
from core.i18n import _
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.storage.auth_tables import PASSWORD_RESET, auth_tables
from core.storage.tables import system_tables

TOKEN_LIFETIME = dt.timedelta(hours=1)


def _resets() -> sa.Table:
    return auth_tables()[PASSWORD_RESET]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(connection: Connection, username: str,
                      now: dt.datetime | None = None) -> str | None:
    """A new reset token for an active user, valid for an hour; None for unknown users.

    Callers should answer the same either way, so as not to reveal which users exist.
    """
    users = system_tables().system["officina_user"]
    exists = connection.execute(sa.select(users.c.id).where(
        users.c.username == username, users.c.active.is_(True))).first()
    if exists is None:
        return None
    token = secrets.token_urlsafe(32)
    connection.execute(_resets().insert().values(
        token_hash=_token_hash(token), username=username,
        expires_at=naive_utc(now) + TOKEN_LIFETIME, used_at=None))
    return token


def token_username(connection: Connection, token: str,
                   now: dt.datetime | None = None) -> str | None:
    """The user ``token`` may reset, or None when it is unknown, used or expired."""
    resets = _resets()
    row = connection.execute(sa.select(resets).where(
        resets.c.token_hash == _token_hash(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= naive_utc(now):
        return None
    return str(row.username)


def reset_password(connection: Connection, token: str, new_password: str,
                   now: dt.datetime | None = None,
                   hashing: PasswordHashing = PRODUCTION_HASHING) -> str:
    """Set a new password with ``token`` and return the username.

    ``ResetTokenInvalid`` for an unknown, used or expired token; ``PasswordRejected`` when
    the password breaks the policy (the token then stays usable). Using a token voids every
    other outstanding token of the same user.
    """
    now = naive_utc(now)
    resets = _resets()
    row = connection.execute(sa.select(resets).where(
        resets.c.token_hash == _token_hash(token))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ResetTokenInvalid(_("This password reset link is invalid or has expired."))
    check_policy(row.username, new_password)
    claimed = connection.execute(resets.update().where(
        resets.c.token_hash == row.token_hash, resets.c.used_at.is_(None)
    ).values(used_at=now)).rowcount
    if claimed != 1:  # used concurrently by another request
        raise ResetTokenInvalid(_("This password reset link is invalid or has expired."))
    connection.execute(resets.update().where(
        resets.c.username == row.username, resets.c.used_at.is_(None)).values(used_at=now))
    store_password(connection, row.username, new_password, hashing)
    return str(row.username)
