"""Mail delivery: the message built from a rendered mail, and one SMTP delivery attempt.

The file backend (``[mail] backend = "file"``), which stores messages in the instance
instead, is ``core.rules.mail_files``; both build the message with ``build_message``. The
worker (``core.rules.worker``) delivers the outbox's mails through one or the other.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from core.metadata.mail_templates import RenderedMail
from core.rules.mail.settings import MailSettings, has_newline


class MailError(Exception):
    """One delivery attempt failed; the message is meant for an admin screen."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool | None = None):
        super().__init__(message)
        self.code = code
        self.permanent = permanent if permanent is not None else (
            code is not None and 500 <= code < 600)


def _address(value: str, what: str) -> str:
    """The bare address of ``value`` (``Name <a@b>`` or ``a@b``), refusing injection."""
    if has_newline(value):
        raise MailError(f"refused {what} {value!r}: header injection (newline)", permanent=True)
    address = parseaddr(value)[1]
    if "@" not in address:
        raise MailError(f"refused {what} {value!r}: not an e-mail address", permanent=True)
    return address


def _recipients(to: Sequence[str]) -> list[str]:
    """The bare address of each recipient; ``MailError`` when there is none or one is bad."""
    if not to:
        raise MailError("no recipients", permanent=True)
    return [_address(value, "recipient") for value in to]


def build_message(settings: MailSettings, to: Sequence[str] | str, rendered: RenderedMail,
                  attachments: Iterable[tuple[str, bytes, str]] = (),
                  reply_to: str | None = None, message_id: str | None = None) -> EmailMessage:
    """The message ``send_mail`` sends, every value checked (a bad one: permanent ``MailError``).

    The file backend stores exactly this message, so both backends produce the same bytes.
    """
    to = [to] if isinstance(to, str) else list(to)
    _recipients(to)
    return _build_message(settings, to, rendered, attachments, reply_to, message_id)


def _build_message(settings: MailSettings, to: Sequence[str], rendered: RenderedMail,
                   attachments: Iterable[tuple[str, bytes, str]], reply_to: str | None,
                   message_id: str | None) -> EmailMessage:
    if has_newline(rendered.subject):
        raise MailError("refused subject: header injection (newline)", permanent=True)
    sender_domain = _address(settings.sender, "sender").rpartition("@")[2]
    if message_id is None:
        message_id = make_msgid(domain=sender_domain)
    elif has_newline(message_id):
        raise MailError("refused Message-ID: header injection (newline)", permanent=True)
    elif not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(to)
    if reply_to is not None:
        _address(reply_to, "Reply-To")
        msg["Reply-To"] = reply_to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg.set_content(rendered.text, charset="utf-8")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    for filename, data, mimetype in attachments:
        if has_newline(filename):
            raise MailError(f"refused attachment name {filename!r}: newline", permanent=True)
        maintype, slash, subtype = mimetype.partition("/")
        if not slash or not maintype or not subtype or has_newline(mimetype):
            raise MailError(f"attachment {filename!r}: bad MIME type {mimetype!r}",
                            permanent=True)
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _smtp_error(exc: Exception, settings: MailSettings) -> MailError:
    """Translate smtplib/socket/ssl failures into one readable ``MailError``."""
    server = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        items = list(exc.recipients.items())
        code = items[0][1][0] if items else None
        refused = "; ".join(f"{rcpt} ({_reply_text(reply)})" for rcpt, (_c, reply) in items)
        return MailError(f"SMTP {code} from {settings.host}: recipient refused: {refused}",
                         code=code)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailError(f"SMTP {exc.smtp_code} from {settings.host}: authentication failed:"
                         f" {_reply_text(exc.smtp_error)}", code=exc.smtp_code)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError(f"SMTP {exc.smtp_code} from {settings.host}: sender {exc.sender}"
                         f" refused: {_reply_text(exc.smtp_error)}", code=exc.smtp_code)
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(f"SMTP {exc.smtp_code} from {settings.host}:"
                         f" {_reply_text(exc.smtp_error)}", code=exc.smtp_code)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"SMTP server {server}: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__,
                                                                     TimeoutError):
        exc = exc.__context__  # smtplib reports a read timeout as a disconnection
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"SMTP server {server} closed the connection: {exc}")
    if isinstance(exc, TimeoutError):
        return MailError(f"SMTP server {server}: timed out after {settings.timeout:g}s")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailError(f"SMTP server {server}: TLS certificate not trusted:"
                         f" {exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        return MailError(f"SMTP server {server}: TLS error: {exc.reason or exc}")
    if isinstance(exc, socket.gaierror):
        return MailError(f"cannot find SMTP server {settings.host}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"cannot connect to SMTP server {server}: connection refused")
    if isinstance(exc, OSError):
        return MailError(f"cannot talk to SMTP server {server}: {exc.strerror or exc}")
    return MailError(f"SMTP server {server}: {exc}")


def _close(client: smtplib.SMTP) -> None:
    """QUIT politely; the message is already accepted, so errors here do not matter."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _tls_context(settings: MailSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"cannot load ca_file {settings.ca_file}: {exc}", permanent=True) from exc


def send_mail(settings: MailSettings, to: Sequence[str], rendered: RenderedMail,
              attachments: Iterable[tuple[str, bytes, str]] = (), reply_to: str | None = None,
              message_id: str | None = None) -> str:
    """Deliver one message in one attempt and return its Message-ID; raise ``MailError``."""
    to = [to] if isinstance(to, str) else list(to)
    recipients = _recipients(to)
    msg = _build_message(settings, to, rendered, attachments, reply_to, message_id)
    envelope_from = parseaddr(settings.sender)[1]
    context = _tls_context(settings) if settings.security != "none" else None
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, local_hostname=settings.local_hostname,
                timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port,
                                  local_hostname=settings.local_hostname,
                                  timeout=settings.timeout)
    except (smtplib.SMTPException, OSError) as exc:
        raise _smtp_error(exc, settings) from exc
    try:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            client.login(settings.username, settings.password or "")
        refused = client.send_message(msg, from_addr=envelope_from, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise _smtp_error(exc, settings) from exc
    _close(client)
    if refused:  # accepted for some recipients only: report, the others already have it
        code = next(iter(refused.values()))[0]
        listed = "; ".join(f"{rcpt} ({_reply_text(reply)})" for rcpt, (_c, reply) in
                           refused.items())
        raise MailError(f"SMTP {code} from {settings.host}: recipient refused: {listed}"
                        f" (delivered to the other recipients)", code=code, permanent=True)
    return str(msg["Message-ID"])


__all__ = ["MailError", "build_message", "send_mail"]
