"""Outgoing mail, in three parts: ``settings`` (the ``[mail]`` table), ``rendering``
(multilingual templates, parsed, checked and rendered in ``core.metadata.mail_templates``,
through the mail sandbox policies, in the recipient's language and
time zone) and ``delivery`` (the message and one SMTP attempt; the file backend is
``core.rules.mail_files``, the outbox is delivered by ``core.rules.worker``)."""

from __future__ import annotations

from core.metadata.mail_templates import (
    DEFAULT_LANGUAGE,
    TEMPLATE_PARTS,
    MailTemplate,
    MailTemplateError,
    RenderedMail,
    check_template,
    render_mail,
)
from core.rules.mail.delivery import MailError, build_message, send_mail
from core.rules.mail.settings import (
    BACKENDS,
    DEFAULT_FOLDER,
    FILE_SENDER,
    SECURITY_MODES,
    MailSettings,
)

__all__ = [
    "BACKENDS", "DEFAULT_FOLDER", "DEFAULT_LANGUAGE", "FILE_SENDER", "SECURITY_MODES",
    "TEMPLATE_PARTS", "MailError", "MailSettings", "MailTemplate", "MailTemplateError",
    "RenderedMail", "build_message", "check_template", "render_mail", "send_mail",
]
