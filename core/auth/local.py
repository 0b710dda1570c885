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
from core.storage.database import Database
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


def _wrong_current_password() -> PasswordRejected:
    return PasswordRejected(_("The current password is wrong."),
                            field_errors={"old_password": [_("Wrong password.")]})


def change_password(connection: Connection, username: str, old: str, new: str,
                    hashing: PasswordHashing = PRODUCTION_HASHING,
                    keep_session: int | None = None) -> None:
    """Replace the password of ``username``; ``PasswordRejected`` on a wrong ``old``/bad ``new``.

    The user's sessions end, except ``keep_session``; their API tokens stay. Not throttled:
    people changing their own password go through ``change_own_password``.
    """
    if verify_password(connection, username, old, hashing) is None:
        raise _wrong_current_password()
    check_policy(username, new)
    store_password(connection, username, new, hashing, keep_session, keep_tokens=True)


def change_own_password(database: Database, username: str, old: str, new: str, *,
                        address: str | None = None, keep_session: int | None = None,
                        now: dt.datetime | None = None,
                        hashing: PasswordHashing = PRODUCTION_HASHING) -> None:
    """A signed-in user's password change, under the sign-in throttle.

    A wrong current password counts as a failed sign-in (someone holding a stolen session
    cannot try passwords at will), and a locked-out user or address gets ``LoginThrottled``
    even with the right one. The user's API tokens stay (they proved the current password).
    Each step has a short transaction of its own, so the failure
    is recorded even though the change is refused.
    """
    with database.read() as connection:
        check_throttle(connection, username, address, now)
        right = verify_password(connection, username, old, hashing) is not None
    if not right:
        with database.write() as connection:
            record_attempt(connection, username, address, False, now)
        raise _wrong_current_password()
    check_policy(username, new)
    with database.write() as connection:
        store_password(connection, username, new, hashing, keep_session, keep_tokens=True)


__all__ = ["authenticate_local", "change_own_password", "change_password", "issue_reset_token",
           "reset_password"]
