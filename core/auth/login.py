"""One login entry point: throttling, then the directory (if configured), then local users.

Local passwords stay usable when LDAP is configured (e.g. an emergency administrator);
LDAP-synced profiles have no local password, so for them only the directory counts. When
the directory is down and the local password fails too, ``LdapUnavailable`` is raised and
the attempt is not counted as a failure.
"""

from __future__ import annotations

import datetime as dt

from core.auth.errors import LdapUnavailable
from core.auth.ldap import authenticate_ldap, sync_ldap_user
from core.auth.ldap_settings import LdapSettings
from core.auth.throttle import check_throttle, prune_attempts, record_attempt
from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.records.actor import Actor
from core.storage.database import Database
from core.users import check_password


def login(database: Database, username: str, password: str, *,
          address: str | None = None, now: dt.datetime | None = None,
          ldap_settings: LdapSettings | None = None,
          hashing: PasswordHashing = PRODUCTION_HASHING) -> Actor | None:
    """The actor on success, None on bad credentials; ``LoginThrottled`` when locked out.

    The attempt is recorded and an LDAP profile synced, each in a short transaction of its
    own: no transaction is open while the directory is asked (it may take up to its
    timeout) or the password hash is checked, so a slow directory never holds the database.
    """
    with database.read() as connection:
        check_throttle(connection, username, address, now)
    ldap_user, unavailable = None, None
    if ldap_settings is not None:
        try:
            ldap_user = authenticate_ldap(ldap_settings, username, password)
        except LdapUnavailable as error:
            unavailable = error
    actor: Actor | None = None
    if ldap_user is not None:
        with database.write() as connection:
            actor = sync_ldap_user(connection, ldap_user, now)
        username = ldap_user.username
    if actor is None:
        actor = check_password(database, username, password, hashing)
    if actor is None and unavailable is not None:
        raise unavailable
    with database.write() as connection:
        record_attempt(connection, username, address, actor is not None, now)
        if actor is not None:  # now and then, so the table keeps only recent attempts
            prune_attempts(connection, now)
    return actor
