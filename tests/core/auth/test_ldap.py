"""LDAP logins against a real OpenLDAP server, and the local profiles they keep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from core.auth.errors import LdapUnavailable
from core.auth.ldap import LdapSettings, authenticate_ldap, sync_ldap_user
from core.storage.database import Database
from core.storage.tables import system_tables
from tests.support.slapd import (
    ADMIN_DN,
    ADMIN_PASSWORD,
    GROUPS,
    PASSWORDS,
    PEOPLE,
    SlapdServer,
    bob_replaces_alice_in_techs,
    group_dn,
    person_dn,
    unauthenticated_bind,
)

T0 = dt.datetime(2026, 3, 1, 9, 0)


def settings_for(server: SlapdServer, **overrides: object) -> LdapSettings:
    data: dict[str, object] = {
        "url": server.url, "bind_dn": ADMIN_DN, "bind_password": ADMIN_PASSWORD,
        "base_dn": PEOPLE, "group_base_dn": GROUPS, "timeout": 5,
        "role_map": {group_dn("techs"): "technician", "Coordinators": "coordinator"},
    }
    data.update(overrides)
    return LdapSettings.from_dict(data)


@pytest.fixture
def settings(slapd: SlapdServer) -> LdapSettings:
    return settings_for(slapd)


@pytest.fixture
def alice_out_of_techs(slapd: SlapdServer) -> Iterator[None]:
    with bob_replaces_alice_in_techs(slapd):
        yield


def test_alice_gets_technician_from_her_group(settings: LdapSettings) -> None:
    user = authenticate_ldap(settings, "alice", PASSWORDS["alice"])
    assert user is not None
    assert user.dn == person_dn("alice")
    assert (user.full_name, user.email) == ("Alice Liddell", "alice@example.org")
    assert user.groups == (group_dn("techs"),)
    assert user.roles == frozenset({"technician"})
    assert user.managed_roles == frozenset({"technician", "coordinator"})


def test_bob_is_coordinator_through_nested_groups(settings: LdapSettings) -> None:
    user = authenticate_ldap(settings, "bob", PASSWORDS["bob"])
    assert user is not None
    # loop-a and loop-b contain each other: the cycle is visited once
    assert {g.split(",")[0] for g in user.groups} == {
        "cn=techs-leads", "cn=coordinators", "cn=loop-a", "cn=loop-b"}
    assert user.roles == frozenset({"coordinator"})


def test_nesting_depth_is_limited(slapd: SlapdServer) -> None:
    user = authenticate_ldap(settings_for(slapd, nested_depth=1), "bob", PASSWORDS["bob"])
    assert user is not None and user.roles == frozenset()


@pytest.mark.parametrize("username, password", [
    ("alice", "wrong password"),
    ("alice", ""),
    ("nobody", "whatever"),
    ("*)(uid=*", PASSWORDS["alice"]),
    ("*", PASSWORDS["alice"]),
    ("", PASSWORDS["alice"]),
])
def test_bad_credentials_give_none(settings: LdapSettings, username: str,
                                   password: str) -> None:
    assert authenticate_ldap(settings, username, password) is None


def test_the_server_allows_unauthenticated_binds(slapd: SlapdServer) -> None:
    """The empty-password check above is ours, not the server's."""
    assert unauthenticated_bind(slapd.port, person_dn("alice")) == 0  # success


def test_unreachable_directory_or_refused_service_account(slapd: SlapdServer) -> None:
    with pytest.raises(LdapUnavailable):
        authenticate_ldap(settings_for(slapd, url="ldap://127.0.0.1:1", timeout=1),
                          "alice", PASSWORDS["alice"])
    with pytest.raises(LdapUnavailable):
        authenticate_ldap(settings_for(slapd, bind_password="wrong"), "alice",
                          PASSWORDS["alice"])


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="url"):
        LdapSettings.from_dict({"url": "http://x", "base_dn": "dc=x"})
    with pytest.raises(ValueError, match="base_dn"):
        LdapSettings.from_dict({"url": "ldaps://x"})
    with pytest.raises(ValueError, match="unknown"):
        LdapSettings.from_dict({"url": "ldap://x", "base_dn": "dc=x", "colour": "red"})
    settings = LdapSettings.from_dict({"urls": ["ldap://a", "ldaps://b"], "base_dn": "dc=x",
                                       "bind_password": "secret"})
    assert settings.urls == ("ldap://a", "ldaps://b")
    assert "secret" not in repr(settings)


def _roles(database: Database, username: str) -> set[str]:
    users = system_tables().system["officina_user"]
    with database.read() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username)).one()
    assert row.password_hash is None
    return {r for r in row.roles.split(",") if r}


def test_first_login_creates_the_profile_and_later_ones_follow_groups(
        database: Database, settings: LdapSettings, request: pytest.FixtureRequest) -> None:
    user = authenticate_ldap(settings, "alice", PASSWORDS["alice"])
    assert user is not None
    with database.write() as connection:
        actor = sync_ldap_user(connection, user, T0)
    assert actor is not None and actor.roles == frozenset({"technician"})
    assert _roles(database, "alice") == {"technician"}

    users = system_tables().system["officina_user"]
    with database.write() as connection:  # an administrator adds a local role
        connection.execute(users.update().where(users.c.username == "alice")
                           .values(roles="technician,reporting"))
    request.getfixturevalue("alice_out_of_techs")
    user = authenticate_ldap(settings, "alice", PASSWORDS["alice"])
    assert user is not None and user.roles == frozenset()
    with database.write() as connection:
        actor = sync_ldap_user(connection, user, T0 + dt.timedelta(days=1))
    assert actor is not None and actor.roles == frozenset({"reporting"})
    assert _roles(database, "alice") == {"reporting"}


def test_a_locally_disabled_user_is_refused(database: Database,
                                            settings: LdapSettings) -> None:
    user = authenticate_ldap(settings, "bob", PASSWORDS["bob"])
    assert user is not None
    users = system_tables().system["officina_user"]
    with database.write() as connection:
        sync_ldap_user(connection, user, T0)
        connection.execute(users.update().where(users.c.username == "bob").values(active=False))
        assert sync_ldap_user(connection, user, T0) is None


def test_the_next_url_is_tried_when_one_is_down(slapd: SlapdServer) -> None:
    settings = settings_for(slapd, url=None, urls=["ldap://127.0.0.1:1", slapd.url])
    assert authenticate_ldap(settings, "alice", PASSWORDS["alice"]) is not None
