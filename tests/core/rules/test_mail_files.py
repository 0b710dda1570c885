"""The file mail backend: settings, the .eml files it writes, and reading them back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import errno
import os
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from core.rules.mail import FILE_SENDER, MailError, MailSettings, RenderedMail, send_mail
from core.rules.mail_files import (
    MailNotFound,
    list_mail,
    mail_ids,
    new_mail_id,
    raw_mail,
    read_attachment,
    read_mail,
    store_mail,
)
from tests.core.rules.test_mail import Collector, start_server

PDF = bytes(range(256)) * 40
REPORT = RenderedMail(subject="Rapporto d'intervento è pronto", text="In allegato.\nSaluti.\n",
                      html="<p>In allegato.</p>")
ATTACHMENTS = [("rapporto è.pdf", PDF, "application/pdf"), ("note.txt", "€ 10".encode(),
                                                            "text/plain")]


@pytest.fixture
def settings(tmp_path: Path) -> MailSettings:
    return MailSettings.from_dict({"backend": "file", "sender": "Officina <crm@example.com>"},
                                  instance=tmp_path)


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml"))


# --- settings ---------------------------------------------------------------------------------


def test_file_settings_need_no_host_and_keep_mail_inside_the_instance(tmp_path: Path) -> None:
    settings = MailSettings.from_dict({"backend": "file"}, instance=tmp_path)
    assert settings.folder == str(tmp_path / "mail")
    assert settings.sender == FILE_SENDER and settings.host == ""
    elsewhere = MailSettings.from_dict({"backend": "file", "folder": "/var/mail/officina"},
                                       instance=tmp_path)
    assert elsewhere.folder == "/var/mail/officina"
    assert MailSettings.from_dict({"host": "h", "sender": "a@b.it"}).backend == "smtp"


@pytest.mark.parametrize(("values", "named"), [
    ({"backend": "smpt"}, "backend must be one of smtp, file, not 'smpt'"),
    ({"backend": 1}, "backend must be str"),
    ({"backend": "file", "folder": ""}, "folder must not be empty"),
    ({"backend": "file", "folder": ["mail"]}, "folder must be str"),
    ({"backend": "file", "sender": "nobody"}, "sender 'nobody' is not an e-mail address"),
    ({"backend": "file", "fodler": "x"}, "unknown key"),
    ({"backend": "smtp", "sender": "a@b.it"}, "missing key.* host"),
])
def test_bad_file_settings_are_named(tmp_path: Path, values: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        MailSettings.from_dict(values, instance=tmp_path)


# --- writing ----------------------------------------------------------------------------------


def test_the_stored_file_is_the_message_with_its_attachments(settings: MailSettings) -> None:
    mail_id = store_mail(settings, ["Mario Rossi <mario@example.it>", "ann@example.com"], REPORT,
                         ATTACHMENTS, reply_to="desk@example.com")
    [path] = eml_files(Path(settings.folder))
    assert path.name == f"{mail_id}.eml"
    raw = path.read_bytes()
    assert b"\r\n" in raw and re.search(rb"[^\r]\n", raw) is None  # RFC 5322: CRLF lines
    message = parse(path)
    assert message["To"] == "Mario Rossi <mario@example.it>, ann@example.com"
    assert message["From"] == "Officina <crm@example.com>"
    assert message["Reply-To"] == "desk@example.com"
    assert message["Subject"] == "Rapporto d'intervento è pronto"
    assert message.get_body(("plain",)).get_content().splitlines() == ["In allegato.", "Saluti."]
    assert message.get_body(("html",)).get_content().strip() == "<p>In allegato.</p>"
    parts = list(message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [
        ("rapporto è.pdf", "application/pdf"), ("note.txt", "text/plain")]
    assert parts[0].get_content() == PDF
    assert parts[1].get_payload(decode=True) == "€ 10".encode()


def test_the_file_holds_what_smtp_would_have_carried(settings: MailSettings) -> None:
    handler = Collector()
    controller = start_server(handler)
    try:
        smtp = dataclasses.replace(settings, backend="smtp", host="127.0.0.1",
                                   port=controller.port, timeout=5)
        send_mail(smtp, ["ann@example.com"], REPORT, ATTACHMENTS, message_id="r1@example.com")
    finally:
        controller.stop()
    store_mail(settings, ["ann@example.com"], REPORT, ATTACHMENTS, message_id="r1@example.com")
    sent, stored = handler.message(), parse(eml_files(Path(settings.folder))[0])

    def shape(message: EmailMessage) -> list:
        headers = [(k, v) for k, v in message.items() if k not in ("Date", "Content-Type")]
        parts = [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True))
                 for p in message.walk() if not p.is_multipart()]
        return [headers, parts]

    assert shape(stored) == shape(sent)  # all but the date and the random MIME boundary


def test_two_messages_get_two_files_named_in_time_order(settings: MailSettings) -> None:
    first = store_mail(settings, "a@example.com", RenderedMail("First", "one"))
    second = store_mail(settings, "b@example.com", RenderedMail("Second", "two"))
    folder = Path(settings.folder)
    assert [p.name for p in eml_files(folder)] == [f"{first}.eml", f"{second}.eml"]
    assert sorted(p.name for p in folder.iterdir()) == [f"{first}.eml", f"{second}.eml"]
    assert first < second  # names sort by time
    assert mail_ids(folder) == [second, first]  # newest first


def test_stored_mail_is_readable_by_the_instance_only(settings: MailSettings) -> None:
    mail_id = store_mail(settings, "a@example.com", RenderedMail("Reset", "a reset link"))
    folder = Path(settings.folder)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / f"{mail_id}.eml").stat().st_mode & 0o777 == 0o600


def test_without_hard_links_a_message_is_renamed_into_place(settings: MailSettings,
                                                            monkeypatch) -> None:
    def no_links(source, target):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first = store_mail(settings, "a@example.com", RenderedMail("First", "one"))
    second = store_mail(settings, "b@example.com", RenderedMail("Second", "two"))
    folder = Path(settings.folder)
    assert sorted(p.name for p in folder.iterdir()) == [f"{first}.eml", f"{second}.eml"]
    assert read_mail(folder, second).summary.subject == "Second"


def test_ids_carry_the_utc_time_and_stay_unique() -> None:
    moment = dt.datetime(2026, 11, 24, 11, 37, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert new_mail_id(moment).startswith("20261124-103700-123456-")
    ids = {new_mail_id(moment) for _ in range(200)}
    assert len(ids) == 200
    earlier = new_mail_id(moment - dt.timedelta(microseconds=1))
    assert all(earlier < i for i in ids)


def test_a_bad_recipient_is_refused_for_good_and_nothing_is_stored(
        settings: MailSettings) -> None:
    with pytest.raises(MailError, match="header injection") as caught:
        store_mail(settings, ["a@example.com\r\nBcc: x@example.com"], RenderedMail("s", "t"))
    assert caught.value.permanent
    with pytest.raises(MailError, match="no recipients"):
        store_mail(settings, [], RenderedMail("s", "t"))
    assert not Path(settings.folder).exists()


def test_an_unwritable_folder_is_a_failure_to_retry(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    settings = MailSettings(backend="file", folder=str(tmp_path / "taken"), sender="a@b.it")
    with pytest.raises(MailError, match="cannot store mail in") as caught:
        store_mail(settings, "a@example.com", RenderedMail("s", "t"))
    assert not caught.value.permanent


# --- reading ----------------------------------------------------------------------------------


def test_stored_mail_reads_back_newest_first(settings: MailSettings) -> None:
    folder = Path(settings.folder)
    assert list_mail(folder) == []
    first = store_mail(settings, "a@example.com", REPORT, ATTACHMENTS)
    second = store_mail(settings, ["b@example.com", "c@example.com"], RenderedMail("Ciao", "x"))
    listed = list_mail(folder)
    assert [(m.id, m.to, m.subject) for m in listed] == [
        (second, "b@example.com, c@example.com", "Ciao"),
        (first, "a@example.com", "Rapporto d'intervento è pronto")]
    assert all(abs(m.date - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1) for m in listed)
    assert [m.id for m in list_mail(folder, limit=1, offset=1)] == [first]
    detail = read_mail(folder, first)
    assert ("To", "a@example.com") in detail.headers
    assert "Content-Type" not in dict(detail.headers)
    assert detail.text == "In allegato.\nSaluti.\n" and detail.has_html
    assert [(a.index, a.filename, a.content_type, a.size) for a in detail.attachments] == [
        (0, "rapporto è.pdf", "application/pdf", len(PDF)), (1, "note.txt", "text/plain", 6)]
    item, data = read_attachment(folder, first, 0)
    assert item.filename == "rapporto è.pdf" and data == PDF
    assert raw_mail(folder, second) == (folder / f"{second}.eml").read_bytes()


@pytest.mark.parametrize("mail_id", ["../officina", "20261124-103700-123456-00000000",
                                     "", "x.eml"])
def test_unknown_or_malformed_ids_are_not_found(settings: MailSettings, mail_id: str) -> None:
    mail = store_mail(settings, "a@example.com", RenderedMail("s", "t"))
    folder = Path(settings.folder)
    for read in (read_mail, raw_mail):
        with pytest.raises(MailNotFound):
            read(folder, mail_id)
    with pytest.raises(MailNotFound):
        read_attachment(folder, mail, 0)  # it has none
