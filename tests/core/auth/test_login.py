"""The combined login: throttling, LDAP first, then local passwords."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth.errors import LdapUnavailable, LoginThrottled
from core.auth.ldap_settings import LdapSettings
from core.auth.login import login
from core.storage.database import Database
from core.users import create_user
from tests.support.slapd import ADMIN_DN, ADMIN_PASSWORD, GROUPS, PASSWORDS, PEOPLE, SlapdServer
from tests.support.users import FAST_HASHING

T0 = dt.datetime(2026, 3, 1, 9, 0)


def settings_for(server: SlapdServer, url: str | None = None) -> LdapSettings:
    return LdapSettings.from_dict({
        "url": url or server.url, "bind_dn": ADMIN_DN, "bind_password": ADMIN_PASSWORD,
        "base_dn": PEOPLE, "group_base_dn": GROUPS, "timeout": 2,
        "role_map": {"techs": "technician"}})


def attempt(database: Database, username: str, password: str, settings: LdapSettings,
            at: dt.datetime = T0):
    with database.write() as connection:
        return login(connection, username, password, address="10.0.0.1", now=at,
                     ldap_settings=settings)


def test_directory_users_and_local_users(database: Database, slapd: SlapdServer) -> None:
    settings = settings_for(slapd)
    with database.write() as connection:
        create_user(connection, "root", "local admin pw", roles=("admin",), hashing=FAST_HASHING)
    alice = attempt(database, "alice", PASSWORDS["alice"], settings)
    assert alice is not None and alice.roles == frozenset({"technician"})
    root = attempt(database, "root", "local admin pw", settings)
    assert root is not None and root.is_admin
    assert attempt(database, "alice", "wrong password", settings) is None


def test_ldap_failures_are_throttled(database: Database, slapd: SlapdServer) -> None:
    settings = settings_for(slapd)
    for minute in range(5):
        assert attempt(database, "bob", "wrong", settings,
                       T0 + dt.timedelta(minutes=minute)) is None
    with pytest.raises(LoginThrottled):
        attempt(database, "bob", PASSWORDS["bob"], settings, T0 + dt.timedelta(minutes=6))


def test_directory_down_falls_back_to_local_passwords(database: Database,
                                                      slapd: SlapdServer) -> None:
    settings = settings_for(slapd, url="ldap://127.0.0.1:1")
    with database.write() as connection:
        create_user(connection, "root", "local admin pw", roles=("admin",), hashing=FAST_HASHING)
    assert attempt(database, "root", "local admin pw", settings) is not None
    with pytest.raises(LdapUnavailable):
        attempt(database, "alice", PASSWORDS["alice"], settings)
