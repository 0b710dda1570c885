"""Password change, and password reset by a mailed single-use link delivered by the worker.

The mail goes through the outbox to a real SMTP server (aiosmtpd), as in production.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from dataclasses import replace
from email.policy import default

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.auth.reset_mail import BODY, MAX_REQUESTS_PER_ADDRESS, SUBJECT
from core.i18n import Translator
from core.rules.mail import MailSettings
from core.rules.worker import Worker
from core.storage.auth_tables import PASSWORD_RESET, auth_tables
from core.storage.tables import system_tables
from core.ui.app import create_app
from tests.core.rules.test_worker import smtp  # noqa: F401 - the SMTP server fixture
from tests.ui.conftest import PASSWORDS, csrf_token, sign_in

BASE_URL = "https://crm.example.com"
NEW_PASSWORD = "Brand-new-pw-42"


def set_email(app: Flask, username: str, address: str) -> None:
    users = system_tables().system["officina_user"]
    with app.extensions["officina"].database.write() as connection:
        connection.execute(users.update().where(users.c.username == username)
                           .values(email=address))


@pytest.fixture
def mail_app(app: Flask, smtp) -> Flask:  # noqa: F811 - the fixture imported above
    """The test application with [mail] pointing at the test SMTP server and a base_url."""
    controller, _inbox = smtp
    settings = replace(app.extensions["officina"].settings,
                       mail={"host": "127.0.0.1", "port": controller.port,
                             "sender": "officina@example.com", "timeout": 5},
                       web={"base_url": BASE_URL})
    mailing = create_app(settings, {"TESTING": True})
    set_email(mailing, "carla", "carla@example.com")
    set_email(mailing, "ivo", "Ivo@Example.com")
    return mailing


def deliver(app: Flask) -> int:
    """Run the worker once, as ``officina worker`` would; the number of messages sent."""
    instance = app.extensions["officina"]
    worker = Worker(instance.rules, MailSettings.from_dict(instance.settings.mail), name="t")
    report = worker.run_once()
    assert not report.errors, report.errors
    return report.delivered


def received(inbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.content, policy=default) for m in inbox.messages]


def reset_token(message: email.message.EmailMessage) -> str:
    match = re.search(re.escape(BASE_URL) + r"/password/reset/([A-Za-z0-9_-]+)",
                      message.get_content())
    assert match, message.get_content()
    return match.group(1)


def forgot(client: FlaskClient, login: str):
    return client.post("/password/forgot", data={
        "login": login, "csrf_token": csrf_token(client, "/password/forgot")})


def change(client: FlaskClient, old: str, new: str, repeat: str | None = None):
    return client.post("/account/password", data={
        "old_password": old, "new_password": new,
        "new_password_repeat": new if repeat is None else repeat,
        "csrf_token": csrf_token(client, "/account/password")})


# --- password change ------------------------------------------------------------------------


def test_password_change_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_and_the_new_password_signs_in(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    response = change(carla, PASSWORDS["carla"], NEW_PASSWORD)
    assert response.status_code == 302
    assert carla.get("/").status_code == 200  # this session stays signed in
    fresh = app.test_client()
    old = fresh.post("/login", data={"username": "carla", "password": PASSWORDS["carla"],
                                     "csrf_token": csrf_token(fresh)})
    assert old.status_code == 401
    sign_in(app.test_client(), "carla", NEW_PASSWORD)


@pytest.mark.parametrize(("old", "new", "repeat", "field", "message"), [
    ("wrong-password", NEW_PASSWORD, None, "old_password", "Wrong password."),
    (PASSWORDS["carla"], "short", None, "new_password",
     "The password must be at least 10 characters long."),
    (PASSWORDS["carla"], "carla", None, "new_password", "The password must not be the username."),
    (PASSWORDS["carla"], NEW_PASSWORD, "Something-else-1", "new_password_repeat",
     "The two new passwords differ."),
    ("", NEW_PASSWORD, None, "old_password", "Enter your current password."),
])
def test_password_change_errors_are_shown_next_to_the_field(
        app: Flask, signed_in, old: str, new: str, repeat: str | None, field: str,
        message: str) -> None:
    carla = signed_in("carla")
    response = change(carla, old, new, repeat)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page
    sign_in(app.test_client(), "carla")  # unchanged


def test_password_policy_errors_are_translated(signed_in) -> None:
    ivo = signed_in("ivo")
    page = change(ivo, PASSWORDS["ivo"], "short").get_data(as_text=True)
    assert "La password deve essere lunga almeno 10 caratteri." in page


def test_change_without_csrf_token_is_refused(app: Flask, signed_in) -> None:
    carla = signed_in("carla")
    response = carla.post("/account/password", data={
        "old_password": PASSWORDS["carla"], "new_password": NEW_PASSWORD,
        "new_password_repeat": NEW_PASSWORD})
    assert response.status_code == 400
    sign_in(app.test_client(), "carla")  # unchanged


# --- forgot password ------------------------------------------------------------------------


def test_no_reset_without_mail_settings(client: FlaskClient) -> None:
    assert client.get("/password/forgot").status_code == 404
    assert "/password/forgot" not in client.get("/login").get_data(as_text=True)


def test_no_reset_without_a_base_url_to_link_to(app: Flask, smtp) -> None:  # noqa: F811
    controller, _inbox = smtp
    settings = replace(app.extensions["officina"].settings, mail={
        "host": "127.0.0.1", "port": controller.port, "sender": "officina@example.com"})
    client = create_app(settings, {"TESTING": True}).test_client()
    assert client.get("/password/forgot").status_code == 404
    assert "/password/forgot" not in client.get("/login").get_data(as_text=True)


def test_reset_links_point_to_the_base_url_whatever_host_the_request_names(
        mail_app: Flask, smtp) -> None:  # noqa: F811
    _controller, inbox = smtp
    browser = mail_app.test_client()
    page = browser.get("/password/forgot", base_url="http://attacker.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    response = browser.post("/password/forgot", base_url="http://attacker.example",
                            data={"login": "carla", "csrf_token": token.group(1)})
    assert response.status_code == 200
    assert deliver(mail_app) == 1
    [message] = received(inbox)
    assert reset_token(message)  # on https://crm.example.com
    assert "attacker.example" not in message.get_content()


def test_the_sign_in_page_links_to_the_reset_form(mail_app: Flask) -> None:
    page = mail_app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page


def test_reset_by_mail_then_sign_in_with_the_new_password(mail_app: Flask, smtp) -> None:  # noqa: F811
    _controller, inbox = smtp
    browser = mail_app.test_client()
    response = forgot(browser, "carla")
    assert response.status_code == 200
    assert 'id="reset-sent"' in response.get_data(as_text=True)
    assert deliver(mail_app) == 1
    [message] = received(inbox)
    assert message["To"] == "carla@example.com"
    assert message["Subject"] == "Reset your Officina password"
    token = reset_token(message)

    page = browser.get(f"/password/reset/{token}")
    assert page.status_code == 200
    weak = browser.post(f"/password/reset/{token}", data={
        "new_password": "short", "new_password_repeat": "short",
        "csrf_token": csrf_token(browser, f"/password/reset/{token}")})
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.get_data(as_text=True)
    done = browser.post(f"/password/reset/{token}", data={
        "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(browser, f"/password/reset/{token}")})
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    sign_in(mail_app.test_client(), "carla", NEW_PASSWORD)

    again = browser.get(f"/password/reset/{token}")  # single use
    assert again.status_code == 404
    assert 'id="reset-invalid"' in again.get_data(as_text=True)
    reuse = browser.post(f"/password/reset/{token}", data={
        "new_password": "Another-pw-123", "new_password_repeat": "Another-pw-123",
        "csrf_token": csrf_token(browser, "/password/forgot")})
    assert reuse.status_code == 404
    sign_in(mail_app.test_client(), "carla", NEW_PASSWORD)


def test_the_mail_is_in_the_users_language_and_found_by_email(mail_app: Flask, smtp) -> None:  # noqa: F811
    _controller, inbox = smtp
    forgot(mail_app.test_client(), "ivo@example.COM")
    assert deliver(mail_app) == 1
    [message] = received(inbox)
    assert message["To"] == "Ivo@Example.com"
    italian = Translator("it")  # "Reimposta la password di Officina" once merged
    assert message["Subject"] == italian.gettext(SUBJECT)
    assert italian.gettext(BODY, name="ivo", username="ivo", minutes=60,
                           link="LINK").split("\n")[0] in message.get_content()


def test_the_answer_is_the_same_for_unknown_users(mail_app: Flask, smtp) -> None:  # noqa: F811
    _controller, inbox = smtp

    def answer(login: str) -> str:
        page = forgot(mail_app.test_client(), login).get_data(as_text=True)
        return re.sub(r'name="csrf_token" value="[^"]+"', "", page)

    known = answer("carla")
    assert answer("nobody") == known
    assert answer("nobody@example.com") == known
    assert answer("anna") == known  # anna has no e-mail address: nothing can be sent
    assert deliver(mail_app) == 1
    assert [m["To"] for m in received(inbox)] == ["carla@example.com"]


def test_expired_and_unknown_tokens_are_refused(mail_app: Flask, smtp) -> None:  # noqa: F811
    _controller, inbox = smtp
    browser = mail_app.test_client()
    assert browser.get("/password/reset/not-a-token").status_code == 404
    forgot(browser, "carla")
    deliver(mail_app)
    token = reset_token(received(inbox)[0])
    resets = auth_tables()[PASSWORD_RESET]
    with mail_app.extensions["officina"].database.write() as connection:
        connection.execute(resets.update().values(
            expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)))
    response = browser.post(f"/password/reset/{token}", data={
        "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD,
        "csrf_token": csrf_token(browser, "/password/forgot")})
    assert response.status_code == 404
    sign_in(mail_app.test_client(), "carla")  # unchanged


def test_reset_requests_are_throttled(mail_app: Flask) -> None:
    browser = mail_app.test_client()
    statuses = [forgot(browser, "carla").status_code
                for _ in range(MAX_REQUESTS_PER_ADDRESS + 1)]
    assert statuses[:MAX_REQUESTS_PER_ADDRESS] == [200] * MAX_REQUESTS_PER_ADDRESS
    assert statuses[-1] == 429
    assert deliver(mail_app) == 3  # at most three links an hour for one account
    throttled = forgot(browser, "ivo")
    assert "Too many requests" in throttled.get_data(as_text=True)


def test_reset_form_needs_a_csrf_token(mail_app: Flask) -> None:
    response = mail_app.test_client().post("/password/forgot", data={"login": "carla"})
    assert response.status_code == 400
