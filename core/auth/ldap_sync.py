"""Keeping the local profile of an LDAP user in step with the directory."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.auth.ldap_settings import LdapUser
from core.records.actor import Actor
from core.storage.tables import system_tables
from core.users import actor_for


def sync_ldap_user(connection: Connection, user: LdapUser,
                   now: dt.datetime | None = None) -> Actor | None:
    """Create or update the local profile of ``user``; the actor, or None if disabled locally.

    A new profile has no local password. Roles LDAP manages (``user.managed_roles`` plus the
    ones it grants now) follow the directory; other local roles are kept.
    """
    users = system_tables().system["officina_user"]
    row = connection.execute(sa.select(users).where(users.c.username == user.username)).first()
    if row is None:
        connection.execute(users.insert().values(
            username=user.username, password_hash=None, full_name=user.full_name,
            email=user.email, language="en", roles=",".join(sorted(user.roles)), active=True,
            created_at=naive_utc(now)))
        return actor_for(connection, user.username)
    if not row.active:
        return None
    managed = user.managed_roles | user.roles
    local = {r for r in (row.roles or "").split(",") if r and r not in managed}
    connection.execute(users.update().where(users.c.id == row.id).values(
        roles=",".join(sorted(local | user.roles)), full_name=user.full_name or row.full_name,
        email=user.email or row.email))
    return actor_for(connection, user.username)
