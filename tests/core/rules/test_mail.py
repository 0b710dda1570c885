"""Mail: settings, sandboxed multilingual templates and delivery to a real local SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import socket
import ssl
import time
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from core.rules.mail import (
    MailError,
    MailSettings,
    MailTemplate,
    MailTemplateError,
    RenderedMail,
    check_template,
    render_mail,
    send_mail,
)

LATE_CALL = """\
subject:
  en: "Service call {{ record.ref }} is late"
  it: "La chiamata {{ record.ref }} è in ritardo"
body:
  en: |
    Dear {{ recipient.name }},
    call {{ record.ref }} costs {{ record.amount }} €.
  it: |
    Gentile {{ recipient.name }},
    la chiamata {{ record.ref }} costa {{ record.amount }} €. Perché è così?
html:
  en: "<p>Dear {{ recipient.name }}</p>"
  it: "<p>Gentile {{ recipient.name }}</p>"
"""
CONTEXT = {"record": {"ref": "SC-42", "amount": "12,50"},
           "recipient": {"name": "Niccolò <Rossi>"}}


# --- a real SMTP server -----------------------------------------------------------------------


class Collector:
    """aiosmtpd handler keeping every message; refuses the recipients listed in ``refuse``."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def message(self, index: int = -1) -> EmailMessage:
        return email.message_from_bytes(self.envelopes[index].content, policy=default_policy)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(handler: Collector, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp():
    handler = Collector()
    controller = start_server(handler)
    yield handler, MailSettings(host="127.0.0.1", port=controller.port,
                                sender="Officina <crm@example.com>", timeout=5)
    controller.stop()


def check_password(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"mario"
          and auth_data.password == b"s3gr3t0")
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def auth_smtp():
    handler = Collector()
    controller = start_server(handler, authenticator=check_password, auth_require_tls=False)
    yield handler, controller.port
    controller.stop()


# A self-signed certificate for IP 127.0.0.1, valid 2000-2199, used as its own CA. It is
# embedded (generated once) so the tests need neither ``cryptography`` nor the openssl tool.
TEST_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBuzCCAWKgAwIBAgIUPoMSSkLmyrIDJdqhCfvU2zyH/fQwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXT2ZmaWNpbmEgdGVzdCAxMjcuMC4wLjEwIBcNMDAwMTAxMDAw
MDAwWhgPMjE5OTEyMzEwMDAwMDBaMCIxIDAeBgNVBAMMF09mZmljaW5hIHRlc3Qg
MTI3LjAuMC4xMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESzh1Wn7fqaV97yzT
sRYzTVvIEmDsuMw4zWpeDCRkDXvnAlEi+N2hLzFj6sr459GE2lZMbtpVj9MGocUp
CSDL7qN0MHIwDwYDVR0RBAgwBocEfwAAATAPBgNVHRMBAf8EBTADAQH/MA4GA1Ud
DwEB/wQEAwIChDAdBgNVHQ4EFgQUxA5wq2AvenFPbPUaA7d376F/DNAwHwYDVR0j
BBgwFoAUxA5wq2AvenFPbPUaA7d376F/DNAwCgYIKoZIzj0EAwIDRwAwRAIgfnlv
WD1emsFnQSCOnhfnS/DJjP6Z+iNcl+5rVn2MNl0CIDb2FvmRzteEuKVl/fdp/OBO
xzTWgNqt56stJtpfSSm8
-----END CERTIFICATE-----
"""
TEST_KEY = """\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgev/LOdqCHVYKhCxY
/VOcScC/5liB11puK5Ht2VrMbPihRANCAARLOHVaft+ppX3vLNOxFjNNW8gSYOy4
zDjNal4MJGQNe+cCUSL43aEvMWPqyvjn0YTaVkxu2lWP0wahxSkJIMvu
-----END PRIVATE KEY-----
"""


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """The test certificate and key as files: (cert path, key path)."""
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_text(TEST_CERT)
    key_path.write_text(TEST_KEY)
    return str(cert_path), str(key_path)


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


# --- settings ---------------------------------------------------------------------------------


def test_settings_from_dict_defaults_and_values():
    settings = MailSettings.from_dict({"host": "mail.example.com", "sender": "crm@example.com"})
    assert (settings.port, settings.security, settings.timeout) == (25, "none", 30.0)
    full = MailSettings.from_dict({"host": "h", "sender": "a@b.it", "port": 587,
                                   "security": "starttls", "username": "u", "password": "p",
                                   "timeout": 5})
    assert (full.port, full.security, full.username, full.timeout) == (587, "starttls", "u", 5)


@pytest.mark.parametrize(("values", "named"), [
    ({"host": "h", "sender": "a@b.it", "prot": 25, "pasword": "x"}, "pasword, prot"),
    ({"host": "h"}, "sender"),
    ({"host": "h", "sender": "a@b.it", "port": "25"}, "port"),
    ({"host": "h", "sender": "a@b.it", "port": True}, "port"),
    ({"host": "h", "sender": "a@b.it", "security": "tls"}, "security"),
    ({"host": "h", "sender": "not an address"}, "sender"),
    ({"host": "h", "sender": "a@b.it", "password": "x"}, "username"),
])
def test_settings_from_dict_names_bad_keys(values, named):
    with pytest.raises(ValueError, match=named):
        MailSettings.from_dict(values)


# --- templates --------------------------------------------------------------------------------


def test_render_picks_language_with_fallback():
    template = MailTemplate.from_yaml(LATE_CALL, "late_call.yaml")
    assert template.languages == ("en", "it")
    italian = render_mail(template, CONTEXT, "it")
    assert italian.subject == "La chiamata SC-42 è in ritardo"
    assert "Perché è così?" in italian.text and "12,50 €" in italian.text
    assert render_mail(template, CONTEXT, "it-CH").language == "it"
    german = render_mail(template, CONTEXT, "de")
    assert german.language == "en"
    assert german.subject == "Service call SC-42 is late"


def test_dates_and_amounts_are_formatted_for_the_language_and_time_zone():
    template = MailTemplate(name="t", subject={"en": "Due {{ due | date }}", "it": "Entro il"
                                               " {{ due | date('d MMM y') }}"},
                            body={"en": "{{ amount | money('EUR') }} by {{ due | datetime }}",
                                  "it": "{{ amount | money('EUR') }} entro {{ due | datetime }}"})
    context = {"due": dt.datetime(2026, 12, 3, 2, 30), "amount": Decimal("1234.5")}  # UTC
    italian = render_mail(template, context, "it", timezone="Europe/Rome")
    assert italian.subject == "Entro il 3 dic 2026"
    assert " ".join(italian.text.split()) == "1.234,50 € entro 03/12/2026, 03:30"
    english = render_mail(template, context, "en", timezone="America/New_York")
    assert english.subject == "Due Dec 2, 2026"  # still 2 December in New York
    assert " ".join(english.text.split()) == "€1,234.50 by Dec 2, 2026, 9:30 PM"


def test_html_is_autoescaped_text_is_not():
    rendered = render_mail(MailTemplate.from_yaml(LATE_CALL), CONTEXT, "en")
    assert rendered.html == "<p>Dear Niccolò &lt;Rossi&gt;</p>"
    assert rendered.text.startswith("Dear Niccolò <Rossi>,")


def test_subject_becomes_one_line():
    template = MailTemplate(name="t", subject={"en": "Call {{ ref }}\n"}, body={"en": "x"})
    assert render_mail(template, {"ref": "A\r\nBcc: evil@example.com"}, "en").subject == \
        "Call A Bcc: evil@example.com"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{% set x = [] %}{{ x.append(1) }}",
    "{{ 'x' * 100000000 }}",
])
def test_sandbox_escape_is_refused(source):
    template = MailTemplate(name="evil.yaml", subject={"en": "hi"}, body={"en": source})
    with pytest.raises(MailTemplateError, match=r"evil\.yaml.*body.*sandbox"):
        render_mail(template, CONTEXT, "en")


def test_undefined_variable_is_named():
    template = MailTemplate(name="typo.yaml", subject={"en": "hi"},
                            body={"en": "Dear {{ recipient.nmae }}"})
    with pytest.raises(MailTemplateError, match=r"typo\.yaml.*nmae"):
        render_mail(template, CONTEXT, "en")
    template = MailTemplate(name="typo.yaml", subject={"en": "{{ recipent }}"}, body={"en": "x"})
    with pytest.raises(MailTemplateError, match=r"subject.*recipent"):
        render_mail(template, CONTEXT, "en")


def test_check_template_reports_language_and_line():
    source = LATE_CALL.replace("la chiamata {{ record.ref }} costa", "la chiamata {{ record.ref }")
    problems = check_template(MailTemplate.from_yaml(source, "late_call.yaml"))
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.path, problem.line) == ("late_call.yaml", "body.it", 10)
    assert "template line 2" in problem.message
    assert check_template(MailTemplate.from_yaml(LATE_CALL)) == []
    inline = check_template(MailTemplate.from_yaml('subject:\n  en: "{% if %}"\nbody:\n  en: x\n'))
    assert [(p.path, p.line) for p in inline] == [("subject.en", 2)]


@pytest.mark.parametrize(("source", "message"), [
    ("subject: [1, 2]\nbody:\n  en: x\n", "subject must map"),
    ("subject:\n  en: x\n", "body must map"),
    ("subject:\n  en: x\nbody:\n  en: x\nfooter: y\n", "unknown key.*footer"),
    ("subject:\n  en: x\n  it: y\nbody:\n  en: x\n",
     "body has languages en but subject has en, it"),
    ("subject: [unclosed\n", r"bad\.yaml line 2: YAML"),
])
def test_malformed_templates(source, message):
    with pytest.raises(MailTemplateError, match=message):
        MailTemplate.from_yaml(source, "bad.yaml")


# --- sending ----------------------------------------------------------------------------------


def test_italian_and_english_messages_arrive(smtp):
    handler, settings = smtp
    template = MailTemplate.from_yaml(LATE_CALL, "late_call.yaml")
    id_it = send_mail(settings, ["Mario Rossi <mario@example.it>"],
                      render_mail(template, CONTEXT, "it"))
    id_en = send_mail(settings, ["john@example.com", "ann@example.com"],
                      render_mail(template, CONTEXT, "en"), reply_to="desk@example.com")
    assert len(handler.envelopes) == 2
    italian, english = handler.message(0), handler.message(1)
    assert handler.envelopes[0].mail_from == "crm@example.com"
    assert handler.envelopes[0].rcpt_tos == ["mario@example.it"]
    assert italian["Subject"] == "La chiamata SC-42 è in ritardo"
    assert italian["From"] == "Officina <crm@example.com>"
    assert italian["To"] == "Mario Rossi <mario@example.it>"
    assert italian["Message-ID"] == id_it and id_it.endswith("@example.com>")
    text = italian.get_body(("plain",)).get_content()
    assert "Perché è così?" in text and "12,50 €" in text
    assert italian.get_body(("html",)).get_content().strip() == \
        "<p>Gentile Niccolò &lt;Rossi&gt;</p>"
    assert handler.envelopes[1].rcpt_tos == ["john@example.com", "ann@example.com"]
    assert english["Subject"] == "Service call SC-42 is late"
    assert english["Reply-To"] == "desk@example.com"
    assert english["Message-ID"] == id_en != id_it
    assert "costs 12,50 €" in english.get_body(("plain",)).get_content()


def test_attachment_arrives_intact(smtp):
    handler, settings = smtp
    pdf = bytes(range(256)) * 40
    rendered = RenderedMail(subject="Rapporto", text="In allegato.")
    message_id = send_mail(settings, ["a@example.com"], rendered,
                           attachments=[("rapporto d'intervento è.pdf", pdf, "application/pdf"),
                                        ("note.txt", "€ 10".encode(), "text/plain")],
                           message_id="call-42@example.com")
    assert message_id == "<call-42@example.com>"
    message = handler.message()
    assert message.get_body(("plain",)).get_content().rstrip() == "In allegato."
    parts = list(message.iter_attachments())
    assert [p.get_filename() for p in parts] == ["rapporto d'intervento è.pdf", "note.txt"]
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_content() == pdf
    assert parts[1].get_payload(decode=True) == "€ 10".encode()


def test_refused_recipient_raises_with_code(smtp):
    handler, settings = smtp
    handler.refuse.add("ghost@example.com")
    with pytest.raises(MailError, match=r"SMTP 550 from 127\.0\.0\.1.*ghost@example\.com.*"
                                        r"mailbox unavailable") as caught:
        send_mail(settings, ["ghost@example.com"], RenderedMail("s", "t"))
    assert caught.value.code == 550 and caught.value.permanent
    assert handler.envelopes == []


def test_partly_refused_recipients_raise_permanent_error(smtp):
    handler, settings = smtp
    handler.refuse.add("ghost@example.com")
    with pytest.raises(MailError, match=r"ghost@example\.com.*delivered to the other") as caught:
        send_mail(settings, ["ok@example.com", "ghost@example.com"], RenderedMail("s", "t"))
    assert caught.value.permanent
    assert handler.envelopes[0].rcpt_tos == ["ok@example.com"]


def test_connection_refused_fails_fast():
    settings = MailSettings(host="127.0.0.1", port=free_port(), sender="a@example.com")
    started = time.monotonic()
    with pytest.raises(MailError, match="connection refused") as caught:
        send_mail(settings, ["b@example.com"], RenderedMail("s", "t"))
    assert time.monotonic() - started < 5
    assert not caught.value.permanent


def test_silent_server_times_out():
    with socket.socket() as listener:  # accepts TCP (backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        settings = MailSettings(host="127.0.0.1", port=listener.getsockname()[1],
                                sender="a@example.com", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(MailError, match=r"timed out after 0\.5s"):
            send_mail(settings, ["b@example.com"], RenderedMail("s", "t"))
        assert time.monotonic() - started < 5


@pytest.mark.parametrize(("to", "rendered", "reply_to"), [
    (["a@example.com\r\nBcc: evil@example.com"], RenderedMail("s", "t"), None),
    (["a@example.com"], RenderedMail("hi\nBcc: evil@example.com", "t"), None),
    (["a@example.com"], RenderedMail("s", "t"), "x@example.com\nBcc: evil@example.com"),
    (["nobody"], RenderedMail("s", "t"), None),
    ([], RenderedMail("s", "t"), None),
])
def test_header_injection_and_bad_addresses_refused(smtp, to, rendered, reply_to):
    handler, settings = smtp
    with pytest.raises(MailError) as caught:
        send_mail(settings, to, rendered, reply_to=reply_to)
    assert caught.value.permanent
    assert handler.envelopes == []


def test_login(auth_smtp):
    handler, port = auth_smtp
    settings = MailSettings(host="127.0.0.1", port=port, sender="a@example.com",
                            username="mario", password="s3gr3t0", timeout=5)
    send_mail(settings, ["b@example.com"], RenderedMail("s", "t"))
    assert len(handler.envelopes) == 1


def test_wrong_password(auth_smtp):
    handler, port = auth_smtp
    settings = MailSettings(host="127.0.0.1", port=port, sender="a@example.com",
                            username="mario", password="wrong", timeout=5)
    with pytest.raises(MailError, match=r"SMTP 535 .*authentication failed") as caught:
        send_mail(settings, ["b@example.com"], RenderedMail("s", "t"))
    assert caught.value.code == 535
    assert handler.envelopes == []


def test_starttls_with_private_ca(certificate):
    handler = Collector()
    controller = start_server(handler, tls_context=server_context(certificate),
                              require_starttls=True)
    try:
        settings = MailSettings(host="127.0.0.1", port=controller.port, sender="a@example.com",
                                security="starttls", ca_file=certificate[0], timeout=5)
        send_mail(settings, ["b@example.com"], RenderedMail("Cifrato", "è"))
        assert handler.message()["Subject"] == "Cifrato"
        untrusted = MailSettings(host="127.0.0.1", port=controller.port, sender="a@example.com",
                                 security="starttls", timeout=5)
        with pytest.raises(MailError, match="certificate not trusted"):
            send_mail(untrusted, ["b@example.com"], RenderedMail("s", "t"))
        plain = MailSettings(host="127.0.0.1", port=controller.port, sender="a@example.com",
                             timeout=5)
        with pytest.raises(MailError, match="SMTP 530"):
            send_mail(plain, ["b@example.com"], RenderedMail("s", "t"))
        assert len(handler.envelopes) == 1
    finally:
        controller.stop()


def test_implicit_tls(certificate):
    handler = Collector()
    controller = start_server(handler, ssl_context=server_context(certificate))
    try:
        settings = MailSettings(host="127.0.0.1", port=controller.port, sender="a@example.com",
                                security="ssl", ca_file=certificate[0], timeout=5)
        send_mail(settings, ["b@example.com"], RenderedMail("SMTPS", "ok"))
        assert handler.message()["Subject"] == "SMTPS"
    finally:
        controller.stop()
