"""The combined login: throttling, LDAP first, then local passwords."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from core.auth.errors import LdapUnavailable, LoginThrottled
from core.auth.ldap_settings import LdapSettings
from core.auth.login import login
from core.storage.auth_tables import LOGIN_ATTEMPT, auth_tables
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
    return login(database, username, password, address="10.0.0.1", now=at,
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


def open_transactions(database: Database) -> int:
    """How many other sessions of this PostgreSQL database sit inside a transaction."""
    with database.read() as connection:
        return connection.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar_one()


def test_a_slow_directory_holds_no_transaction(database: Database) -> None:
    hung = socket.socket()  # a directory that takes connections and never answers
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)
    settings = LdapSettings.from_dict({
        "url": f"ldap://127.0.0.1:{hung.getsockname()[1]}", "bind_dn": ADMIN_DN,
        "bind_password": ADMIN_PASSWORD, "base_dn": PEOPLE, "timeout": 3})
    outcome: list[BaseException] = []

    def sign_in() -> None:
        try:
            attempt(database, "alice", PASSWORDS["alice"], settings)
        except BaseException as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=sign_in)
    try:
        waiting.start()
        time.sleep(0.5)  # the sign-in is now waiting on the directory
        with database.write() as connection:  # another writer is not kept waiting
            create_user(connection, "eve", None, hashing=FAST_HASHING)
        assert waiting.is_alive(), "the write had to wait for the directory"
        if database.dialect == "postgresql":
            assert open_transactions(database) == 0
        waiting.join(timeout=30)
    finally:
        hung.close()
    assert [type(exc) for exc in outcome] == [LdapUnavailable]


def test_a_sign_in_forgets_attempts_too_old_to_count(database: Database) -> None:
    with database.write() as connection:
        create_user(connection, "root", "local admin pw", roles=("admin",), hashing=FAST_HASHING)
    assert login(database, "root", "wrong", address="10.0.0.9", now=T0,
                 hashing=FAST_HASHING) is None
    week_later = T0 + dt.timedelta(days=7)
    assert login(database, "root", "local admin pw", address="10.0.0.9", now=week_later,
                 hashing=FAST_HASHING) is not None
    attempts = auth_tables()[LOGIN_ATTEMPT]
    with database.read() as connection:
        left = connection.execute(sa.select(attempts.c.at, attempts.c.success)).all()
    assert left == [(week_later, True)]
