"""Session stamps: a signed-in session stays valid only while the user's password is unchanged.

The stamp is an HMAC (keyed with the application's secret) of the username and the stored
password hash. It is kept in the session at sign-in and compared on every request, so a
password change, a reset or an administrator's new password ends every other session of that
user at its next request; the session that changed the password receives the new stamp.
Disabled users are refused by ``actor_for`` already.
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.tables import system_tables

SESSION_KEY = "auth_stamp"


def session_stamp(connection: Connection, username: str, secret: str) -> str | None:
    """The stamp of ``username``'s current password, or None for unknown or disabled users."""
    users = system_tables().system["officina_user"]
    row = connection.execute(sa.select(users.c.password_hash).where(
        users.c.username == username, users.c.active.is_(True))).first()
    if row is None:
        return None
    message = f"{username}\0{row.password_hash or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def stamp_matches(connection: Connection, username: str, stamp: object, secret: str) -> bool:
    """Whether a session's ``stamp`` still matches the user's password."""
    current = session_stamp(connection, username, secret)
    return (current is not None and isinstance(stamp, str)
            and hmac.compare_digest(current, stamp))
