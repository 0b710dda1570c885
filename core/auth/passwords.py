"""Storing a new local password; it ends the user's sessions (all but the one kept) and,
unless the user changed it themselves, revokes their API tokens."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.api_tokens import revoke_user_tokens
from core.auth.errors import PasswordRejected
from core.auth.policy import password_problems
from core.auth.sessions import end_sessions
from core.i18n import _
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.storage.tables import system_tables
from core.users import hash_password


def _users() -> sa.Table:
    return system_tables().system["officina_user"]


def check_policy(username: str, password: str) -> None:
    """Raise ``PasswordRejected`` (with the problems as field errors) if the policy fails."""
    problems = password_problems(username, password)
    if problems:
        raise PasswordRejected(_("The new password is not acceptable."),
                               field_errors={"new_password": problems})


def store_password(connection: Connection, username: str, password: str,
                   hashing: PasswordHashing = PRODUCTION_HASHING,
                   keep_session: int | None = None, keep_tokens: bool = False) -> None:
    """Replace the password hash of ``username`` (at the instance's cost, ``hashing``).

    Every session of the user ends, except ``keep_session`` (the one that changed it), and
    every API token is revoked unless ``keep_tokens`` (a user changing their own password,
    who proved the current one): a reset means the old password may be in other hands, and
    so may a token minted with it.
    """
    users = _users()
    connection.execute(users.update().where(users.c.username == username)
                       .values(password_hash=hash_password(password, hashing)))
    end_sessions(connection, username, keep=keep_session)
    if not keep_tokens:
        revoke_user_tokens(connection, username, revoked_by=username)


def has_local_password(connection: Connection, username: str) -> bool:
    """Whether ``username`` has a local password (directory profiles have none)."""
    users = _users()
    return connection.execute(sa.select(users.c.password_hash).where(
        users.c.username == username)).scalar() is not None
