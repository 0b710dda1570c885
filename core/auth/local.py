"""Local logins: passwords checked against ``officina_user``, with throttling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from core.auth.errors import PasswordRejected
from core.auth.passwords import check_policy, store_password
from core.auth.reset import issue_reset_token, reset_password
from core.auth.throttle import check_throttle, record_attempt
from core.i18n import _
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.records.actor import Actor
from core.users import verify_password


def authenticate_local(connection: Connection, username: str, password: str,
                       address: str | None = None,
                       now: dt.datetime | None = None,
                       hashing: PasswordHashing = PRODUCTION_HASHING) -> Actor | None:
    """The actor when the password is right, else None; ``LoginThrottled`` when locked out.

    Run it in a write transaction: every attempt is recorded for throttling.
    """
    check_throttle(connection, username, address, now)
    actor = verify_password(connection, username, password, hashing)
    record_attempt(connection, username, address, actor is not None, now)
    return actor


def change_password(connection: Connection, username: str, old: str, new: str,
                    hashing: PasswordHashing = PRODUCTION_HASHING) -> None:
    """Replace the password of ``username``; ``PasswordRejected`` on a wrong ``old``/bad ``new``."""
    if verify_password(connection, username, old, hashing) is None:
        raise PasswordRejected(_("The current password is wrong."),
                               field_errors={"old_password": [_("Wrong password.")]})
    check_policy(username, new)
    store_password(connection, username, new, hashing)


__all__ = ["authenticate_local", "change_password", "issue_reset_token", "reset_password"]
