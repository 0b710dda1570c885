"""Mail headers never carry a line break or another control character, whatever a template
or a record holds."""

from __future__ import annotations

import pytest

from core.rules.mail import (
    MailError,
    MailSettings,
    MailTemplate,
    RenderedMail,
    build_message,
    render_mail,
)

SETTINGS = MailSettings(sender="Officina <officina@example.com>", host="127.0.0.1")


@pytest.mark.parametrize(("to", "reply_to", "attachment"), [
    ("a@example.com\x0bBcc: evil@example.com", None, "a.pdf"),
    ("a@example.com\u2028Bcc: evil@example.com", None, "a.pdf"),
    ("a@example.com", "x@example.com\x00", "a.pdf"),
    ("a@example.com", "x@example.com\x85Bcc: evil@example.com", "a.pdf"),
    ("a@example.com", None, "a\x0c.pdf"),
])
def test_control_characters_in_headers_are_refused(to: str, reply_to: str | None,
                                                   attachment: str) -> None:
    with pytest.raises(MailError) as caught:
        build_message(SETTINGS, [to], RenderedMail("Subject", "text"),
                      [(attachment, b"%PDF", "application/pdf")], reply_to=reply_to)
    assert caught.value.permanent


def test_a_subject_from_a_record_is_one_clean_line() -> None:
    template = MailTemplate.from_yaml("subject: {en: 'Call {{ subject }}'}\n"
                                      "body: {en: 'Hello'}\n")
    rendered = render_mail(template, {"subject": "A\r\nBcc: x@evil.example\x00\x0b\u2028end"},
                           "en")
    assert rendered.subject == "Call A Bcc: x@evil.example end"
    message = build_message(SETTINGS, ["a@example.com"], rendered)
    assert message["Subject"] == "Call A Bcc: x@evil.example end" and message["Bcc"] is None
