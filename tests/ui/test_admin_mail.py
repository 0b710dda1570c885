"""The administration's mail pages: the messages the file backend kept, for admins only."""

from __future__ import annotations

import dataclasses
import email
import re
from email.policy import default as default_policy
from pathlib import Path

import pytest
from flask import Flask

from core.rules.mail import MailSettings, RenderedMail
from core.rules.mail_files import store_mail
from core.storage.tables import system_tables
from core.ui.app import create_app
from tests.ui.conftest import sign_in

PDF = b"%PDF-1.4 " + bytes(range(256)) * 8
UNKNOWN = "20261124-103700-123456-1a2b3c4d"


def with_mail(app: Flask, mail: dict | None) -> Flask:
    """The test application (same database, users and instance folder) with ``[mail]``."""
    settings = dataclasses.replace(app.extensions["officina"].settings, mail=mail)
    return create_app(settings, {"TESTING": True})


@pytest.fixture
def mail_app(app: Flask) -> Flask:
    return with_mail(app, {"backend": "file"})


def store(app: Flask, to: list[str], rendered: RenderedMail, attachments=()) -> str:
    settings = app.extensions["officina"].settings
    return store_mail(MailSettings.from_dict(settings.mail, instance=settings.instance), to,
                      rendered, attachments)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def test_an_admin_sees_the_stored_mail_newest_first(mail_app: Flask) -> None:
    first = store(mail_app, ["cora@example.com"], RenderedMail("Ticket TCK-00001 is late", "x"))
    second = store(mail_app, ["Ann <ann@example.com>"], RenderedMail("Job <b>done</b>", "y"))
    anna = sign_in(mail_app.test_client(), "anna")
    assert 'href="/admin/mail"' in page(anna, "/admin")  # a tab and a card
    listing = page(anna, "/admin/mail")
    assert "<h1>Mail</h1>" in listing
    rows = re.findall(r'<tr id="mail-([^"]+)">(.*?)</tr>', listing, re.DOTALL)
    assert [mail_id for mail_id, _row in rows] == [second, first]
    assert "Ann &lt;ann@example.com&gt;" in rows[0][1]
    assert f'<a href="/admin/mail/{second}">Job &lt;b&gt;done&lt;/b&gt;</a>' in rows[0][1]
    assert "cora@example.com" in rows[1][1] and "Ticket TCK-00001 is late" in rows[1][1]
    folder = Path(mail_app.extensions["officina"].settings.instance) / "mail"
    assert f"Stored messages: 2, in {folder}" in listing


def test_a_message_shows_its_headers_text_and_attachments(mail_app: Flask) -> None:
    text = "Gentile cliente,\nin allegato <il> rapporto.\n"
    mail_id = store(mail_app, ["client@example.org"], RenderedMail("Rapporto JOB-7", text),
                    [("rapporto è.pdf", PDF, "application/pdf")])
    anna = sign_in(mail_app.test_client(), "anna")
    shown = page(anna, f"/admin/mail/{mail_id}")
    assert "<h1>Rapporto JOB-7</h1>" in shown
    headers = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td></tr>', shown))
    assert headers["From"] == "Officina &lt;officina@localhost&gt;"
    assert headers["To"] == "client@example.org" and headers["Subject"] == "Rapporto JOB-7"
    assert "Content-Type" not in headers
    assert ('<pre class="code mail-text">Gentile cliente,\nin allegato &lt;il&gt; rapporto.\n'
            "</pre>") in shown
    link = f"/admin/mail/{mail_id}/attachments/0"
    assert f'<a href="{link}">rapporto è.pdf</a>' in shown and "2 kB" in shown
    download = anna.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    raw = anna.get(f"/admin/mail/{mail_id}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    message = email.message_from_bytes(raw.data, policy=default_policy)
    assert message["Subject"] == "Rapporto JOB-7"
    assert [p.get_content() for p in message.iter_attachments()] == [PDF]


def test_other_users_may_not_read_the_mail(mail_app: Flask) -> None:
    mail_id = store(mail_app, ["cora@example.com"], RenderedMail("Secret", "x"),
                    [("a.pdf", PDF, "application/pdf")])
    carla = sign_in(mail_app.test_client(), "carla")
    anonymous = mail_app.test_client()
    for path in ("/admin/mail", f"/admin/mail/{mail_id}", f"/admin/mail/{mail_id}/raw",
                 f"/admin/mail/{mail_id}/attachments/0"):
        response = carla.get(path)
        assert response.status_code == 403, path
        assert "Secret" not in response.get_data(as_text=True)
        assert anonymous.get(path).status_code == 302, path  # to the sign-in page
    assert 'href="/admin/mail"' not in page(carla, "/")


def test_unknown_messages_and_attachments_are_not_found(mail_app: Flask) -> None:
    mail_id = store(mail_app, ["cora@example.com"], RenderedMail("s", "t"))
    anna = sign_in(mail_app.test_client(), "anna")
    for path in (f"/admin/mail/{UNKNOWN}", f"/admin/mail/{UNKNOWN}/raw",
                 f"/admin/mail/{mail_id}/attachments/0", "/admin/mail/..%2F..%2Fsecret_key"):
        assert anna.get(path).status_code == 404, path
    assert "No such message." in page(anna, f"/admin/mail/{UNKNOWN}", 404)


def test_the_page_says_why_no_mail_is_kept(app: Flask) -> None:
    unconfigured = page(sign_in(app.test_client(), "anna"), "/admin/mail")
    assert ("Mail is not configured: officina.toml has no [mail] table. With backend = "
            "&#34;file&#34; in one, the messages are kept here.") in unconfigured
    smtp = with_mail(app, {"host": "smtp.example.com", "sender": "crm@example.com"})
    client = smtp.test_client()
    sent = page(sign_in(client, "anna"), "/admin/mail")
    assert "Mail is sent through the SMTP server smtp.example.com" in sent
    assert page(client, f"/admin/mail/{UNKNOWN}", 404)


def test_the_pages_speak_the_admins_language(mail_app: Flask) -> None:
    mail_id = store(mail_app, ["cora@example.com"], RenderedMail("Ciao", "x"))
    users = system_tables().system["officina_user"]
    with mail_app.extensions["officina"].database.write() as connection:
        connection.execute(users.update().where(users.c.username == "anna")
                           .values(language="it"))
    anna = sign_in(mail_app.test_client(), "anna")
    listing = page(anna, "/admin/mail")
    assert "<h1>Posta</h1>" in listing and ">Oggetto</th>" in listing
    assert "Messaggi conservati: 1" in listing
    shown = page(anna, f"/admin/mail/{mail_id}")
    assert "Intestazioni" in shown and "Nessun allegato." in shown


def test_the_list_is_paged(mail_app: Flask, monkeypatch) -> None:
    from core.ui.views import admin_mail

    monkeypatch.setattr(admin_mail, "PAGE_SIZE", 2)
    ids = [store(mail_app, ["a@example.com"], RenderedMail(f"Message {n}", "x"))
           for n in range(5)]
    anna = sign_in(mail_app.test_client(), "anna")
    second_page = page(anna, "/admin/mail?page=2")
    assert re.findall(r'<tr id="mail-([^"]+)">', second_page) == [ids[2], ids[1]]
    assert "Page 2 of 3" in second_page
    assert 'href="/admin/mail?page=1" rel="prev"' in second_page
    assert 'href="/admin/mail?page=3" rel="next"' in second_page
    assert re.findall(r'<tr id="mail-([^"]+)">', page(anna, "/admin/mail?page=9")) == [ids[0]]
    for odd in ("%C2%B2", "-1", "1e9", "99999999999999999999"):  # "²" is a digit to Python
        assert re.findall(r'<tr id="mail-([^"]+)">', page(anna, f"/admin/mail?page={odd}"))
