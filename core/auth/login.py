"""One login entry point: throttling, then the directory (if configured), then local users.

Local passwords stay usable when LDAP is configured (e.g. an emergency administrator);
LDAP-synced profiles have no local password, so for them only the directory counts. When
the directory is down and the local password fails too, ``LdapUnavailable`` is raised and
the attempt is not counted as a failure.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from core.auth.errors import LdapUnavailable
from core.auth.ldap import authenticate_ldap, sync_ldap_user
from core.auth.ldap_settings import LdapSettings
from core.auth.throttle import check_throttle, record_attempt
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.records.actor import Actor
from core.users import verify_password


def login(connection: Connection, username: str, password: str, *,
          address: str | None = None, now: dt.datetime | None = None,
          ldap_settings: LdapSettings | None = None,
          hashing: PasswordHashing = PRODUCTION_HASHING) -> Actor | None:
    """The actor on success, None on bad credentials; ``LoginThrottled`` when locked out.

    Run it in a write transaction: attempts are recorded and LDAP profiles synced.
    """
    check_throttle(connection, username, address, now)
    actor: Actor | None = None
    unavailable: LdapUnavailable | None = None
    if ldap_settings is not None:
        try:
            ldap_user = authenticate_ldap(ldap_settings, username, password)
        except LdapUnavailable as error:
            ldap_user, unavailable = None, error
        if ldap_user is not None:
            actor = sync_ldap_user(connection, ldap_user, now)
            username = ldap_user.username
    if actor is None:
        actor = verify_password(connection, username, password, hashing)
    if actor is None and unavailable is not None:
        raise unavailable
    record_attempt(connection, username, address, actor is not None, now)
    return actor
