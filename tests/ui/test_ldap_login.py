"""Signing in through the web form with LDAP, against a real slapd (plain, StartTLS, LDAPS).

Policy for a directory user in no mapped group: the password is right, so the local profile
is created or updated (roles the directory manages are removed), but signing in is refused
with "no access yet" (403) unless the profile holds a role given locally by an administrator.
Officina grants nothing to a user nobody gave a role, and the administrator finds the profile
in the user list to give one.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from ldap3 import MODIFY_ADD, MODIFY_DELETE

from core.storage.tables import system_tables
from core.ui.app import create_app
from tests.support import slapd as harness
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
    start_slapd,
)
from tests.ui.conftest import csrf_token
from tests.ui.test_app import basic


@pytest.fixture(scope="module")
def slapd() -> Iterator[SlapdServer]:
    server = start_slapd()
    try:
        yield server
    finally:
        server.stop()


def ldap_config(url: str, **more: object) -> dict:
    return {"url": url, "bind_dn": ADMIN_DN, "bind_password": ADMIN_PASSWORD,
            "base_dn": PEOPLE, "group_base_dn": GROUPS, "timeout": 5,
            "role_map": {group_dn("techs"): "clerk", "Coordinators": "intern"}, **more}


@pytest.fixture
def ldap_app(app: Flask, slapd: SlapdServer) -> Flask:
    settings = replace(app.extensions["officina"].settings, ldap=ldap_config(slapd.url))
    return create_app(settings, {"TESTING": True})


def post_login(client: FlaskClient, username: str, password: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def profile(app: Flask, username: str) -> sa.Row | None:
    users = system_tables().system["officina_user"]
    with app.extensions["officina"].database.read() as connection:
        return connection.execute(sa.select(users).where(users.c.username == username)).first()


def set_roles(app: Flask, username: str, roles: str) -> None:
    users = system_tables().system["officina_user"]
    with app.extensions["officina"].database.write() as connection:
        connection.execute(users.update().where(users.c.username == username)
                           .values(roles=roles))


@pytest.fixture
def alice_out_of_techs(slapd: SlapdServer) -> Iterator[None]:
    with bob_replaces_alice_in_techs(slapd):
        yield


def test_first_login_creates_the_profile_with_roles_from_groups(ldap_app: Flask) -> None:
    assert profile(ldap_app, "alice") is None
    client = ldap_app.test_client()
    response = post_login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 302
    row = profile(ldap_app, "alice")
    assert row.roles == "clerk"
    assert row.full_name == "Alice Liddell"
    assert row.email == "alice@example.org"
    assert row.password_hash is None
    assert client.get("/app/customer").status_code == 200  # clerk reads customers


def test_nested_groups_count(ldap_app: Flask) -> None:
    response = post_login(ldap_app.test_client(), "bob", PASSWORDS["bob"])
    assert response.status_code == 302
    assert profile(ldap_app, "bob").roles == "intern"  # techs-leads inside coordinators


@pytest.mark.parametrize(("username", "password", "status"), [
    ("alice", "wrong-password", 401),
    ("alice", "", 400),
    ("nobody", "whatever-1", 401),
    ("*)(uid=*", PASSWORDS["alice"], 401),
    ("*", PASSWORDS["alice"], 401),
    ("alice)(|(uid=*", PASSWORDS["alice"], 401),
    ("alice*", PASSWORDS["alice"], 401),
])
def test_bad_credentials_and_filter_injection_are_refused(
        ldap_app: Flask, username: str, password: str, status: int) -> None:
    client = ldap_app.test_client()
    response = post_login(client, username, password)
    assert response.status_code == status
    assert client.get("/").status_code == 302  # not signed in
    assert profile(ldap_app, "alice") is None


def test_directory_users_have_no_local_password_to_change(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    post_login(client, "alice", PASSWORDS["alice"])
    page = client.get("/account/password").get_data(as_text=True)
    assert 'id="directory-managed"' in page
    assert 'name="old_password"' not in page


def test_a_user_in_no_mapped_group_is_refused_until_given_a_role(
        ldap_app: Flask, alice_out_of_techs: None) -> None:
    client = ldap_app.test_client()
    response = post_login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 403
    assert "no access to Officina" in response.get_data(as_text=True)
    assert profile(ldap_app, "alice").roles == ""  # the profile exists for the administrator
    set_roles(ldap_app, "alice", "viewer")
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 302


def test_group_change_applies_at_next_login(ldap_app: Flask, slapd: SlapdServer) -> None:
    client = ldap_app.test_client()
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 302
    set_roles(ldap_app, "alice", "clerk,viewer")  # viewer given locally by an administrator
    admin = slapd.admin()
    admin.modify(group_dn("techs"), {"member": [(MODIFY_ADD, [person_dn("bob")])]})
    admin.modify(group_dn("techs"), {"member": [(MODIFY_DELETE, [person_dn("alice")])]})
    try:
        again = ldap_app.test_client()
        assert post_login(again, "alice", PASSWORDS["alice"]).status_code == 302
        assert profile(ldap_app, "alice").roles == "viewer"  # clerk gone, local role kept
        assert post_login(ldap_app.test_client(), "bob", PASSWORDS["bob"]).status_code == 302
        assert profile(ldap_app, "bob").roles == "clerk,intern"
    finally:
        admin.modify(group_dn("techs"), {"member": [(MODIFY_ADD, [person_dn("alice")])]})
        admin.modify(group_dn("techs"), {"member": [(MODIFY_DELETE, [person_dn("bob")])]})
        admin.unbind()
    assert post_login(ldap_app.test_client(), "alice", PASSWORDS["alice"]).status_code == 302
    assert profile(ldap_app, "alice").roles == "clerk,viewer"


def test_local_users_still_sign_in_beside_the_directory(ldap_app: Flask) -> None:
    response = post_login(ldap_app.test_client(), "anna", "Anna-pw-1")
    assert response.status_code == 302


def test_an_unreachable_directory_is_reported(app: Flask) -> None:
    settings = replace(app.extensions["officina"].settings,
                       ldap=ldap_config("ldap://127.0.0.1:9", timeout=1))
    client = create_app(settings, {"TESTING": True}).test_client()
    response = post_login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 503
    assert post_login(client, "carla", "Carla-pw-1").status_code == 302  # local still works


# --- StartTLS and LDAPS with a self-signed certificate ----------------------------------------


@pytest.fixture(scope="module")
def tls_slapd() -> Iterator[tuple[SlapdServer, int, Path]]:
    """slapd with a self-signed certificate for 127.0.0.1: ldap:// (StartTLS) and ldaps://."""
    directory = Path(tempfile.mkdtemp(prefix="officina-slapd-tls-"))
    (directory / "data").mkdir()
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    conf = directory / "slapd.conf"
    conf.write_text(f"TLSCertificateFile {cert}\nTLSCertificateKeyFile {key}\n"
                    + harness._config(directory))
    server, (_port, secure_port) = harness.launch(
        directory, conf,
        lambda ports: f"ldap://127.0.0.1:{ports[0]}/ ldaps://127.0.0.1:{ports[1]}/", ports=2)
    try:
        admin = server.admin()
        harness._seed(admin)
        admin.unbind()
        yield server, secure_port, cert
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["starttls", "ldaps"])
def test_login_over_tls(app: Flask, tls_slapd: tuple[SlapdServer, int, Path],
                        mode: str) -> None:
    server, secure_port, cert = tls_slapd
    config = (ldap_config(server.url, start_tls=True, ca_certs_file=str(cert))
              if mode == "starttls" else
              ldap_config(f"ldaps://127.0.0.1:{secure_port}", ca_certs_file=str(cert)))
    tls_app = create_app(replace(app.extensions["officina"].settings, ldap=config),
                         {"TESTING": True})
    assert post_login(tls_app.test_client(), "alice", PASSWORDS["alice"]).status_code == 302
    assert profile(tls_app, "alice").roles == "clerk"


def test_an_untrusted_certificate_is_refused(app: Flask,
                                             tls_slapd: tuple[SlapdServer, int, Path]) -> None:
    server, _secure_port, _cert = tls_slapd
    config = ldap_config(server.url, start_tls=True)  # the system CAs do not know this one
    tls_app = create_app(replace(app.extensions["officina"].settings, ldap=config),
                         {"TESTING": True})
    response = post_login(tls_app.test_client(), "alice", PASSWORDS["alice"])
    assert response.status_code == 503
    assert profile(tls_app, "alice") is None


def test_wrong_directory_passwords_lock_the_json_api_too(ldap_app: Flask) -> None:
    client = ldap_app.test_client()
    assert post_login(client, "alice", PASSWORDS["alice"]).status_code == 302
    elsewhere = {"REMOTE_ADDR": "192.0.2.7"}  # the API caller comes from another address
    attacker = ldap_app.test_client()
    for _ in range(5):
        assert post_login(attacker, "alice", "wrong-password").status_code == 401
    refused = ldap_app.test_client().get("/api/customer", headers=basic("alice", "x"),
                                         environ_base=elsewhere)
    assert refused.status_code == 429 and refused.json["error"] == "throttled"
    assert post_login(ldap_app.test_client(), "alice", PASSWORDS["alice"]).status_code == 429
