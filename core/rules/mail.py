"""Outgoing mail: settings, multilingual sandboxed templates and one SMTP delivery attempt.

The file backend (``[mail] backend = "file"``), which stores messages in the instance
instead, is ``core.rules.mail_files``; both build the message with ``build_message``.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError

from core.metadata.diagnostics import Diagnostic
from core.metadata.yaml_source import YamlSyntaxError, parse_yaml
from core.sandbox import LimitExceeded, new_sandbox

DEFAULT_LANGUAGE = "en"
SECURITY_MODES = ("none", "starttls", "ssl")
BACKENDS = ("smtp", "file")
DEFAULT_FOLDER = "mail"  # the file backend's folder, inside the instance
FILE_SENDER = "Officina <officina@localhost>"  # the file backend's From when none is given
TEMPLATE_PARTS = ("subject", "body", "html")


class MailError(Exception):
    """One delivery attempt failed; the message is meant for an admin screen."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool | None = None):
        super().__init__(message)
        self.code = code
        self.permanent = permanent if permanent is not None else (
            code is not None and 500 <= code < 600)


class MailTemplateError(Exception):
    """A mail template is malformed, or rendering it failed."""


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MailSettings:
    """How mail leaves: the ``[mail]`` table of officina.toml.

    ``backend`` ``smtp`` (the default) sends through the SMTP server ``host``; ``file`` stores
    each message as an .eml file in ``folder`` instead (see ``core.rules.mail_files``).
    """

    sender: str
    host: str = ""
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None
    backend: str = "smtp"
    folder: str = DEFAULT_FOLDER

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"mail settings: backend must be one of {', '.join(BACKENDS)},"
                             f" not {self.backend!r}")
        if self.backend == "smtp" and not self.host:
            raise ValueError("mail settings: host must not be empty")
        if not self.folder:
            raise ValueError("mail settings: folder must not be empty")
        if self.security not in SECURITY_MODES:
            raise ValueError(f"mail settings: security must be one of {', '.join(SECURITY_MODES)},"
                             f" not {self.security!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"mail settings: port {self.port} is out of range")
        if self.timeout <= 0:
            raise ValueError("mail settings: timeout must be positive")
        if _has_newline(self.sender) or "@" not in parseaddr(self.sender)[1]:
            raise ValueError(f"mail settings: sender {self.sender!r} is not an e-mail address")
        if self.password is not None and not self.username:
            raise ValueError("mail settings: password given without username")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], instance: Path | None = None) -> MailSettings:
        """Settings from a ``[mail]`` table; ``ValueError`` names unknown, missing or bad keys.

        A relative ``folder`` is taken inside ``instance`` (the instance folder), when given.
        """
        types: dict[str, tuple[type, ...]] = {
            "backend": (str,), "host": (str,), "sender": (str,), "port": (int,),
            "security": (str,), "username": (str,), "password": (str,),
            "timeout": (int, float), "ca_file": (str,), "local_hostname": (str,),
            "folder": (str,),
        }
        unknown = sorted(set(values) - set(types))
        if unknown:
            raise ValueError(f"[mail]: unknown key(s) {', '.join(unknown)};"
                             f" expected some of {', '.join(types)}")
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, types[key]):
                wanted = " or ".join(t.__name__ for t in types[key])
                raise ValueError(f"[mail]: {key} must be {wanted}, not {value!r}")
        backend = values.get("backend", "smtp")
        if backend not in BACKENDS:
            raise ValueError(f"[mail]: backend must be one of {', '.join(BACKENDS)},"
                             f" not {backend!r}")
        required = ("host", "sender") if backend == "smtp" else ()
        missing = [key for key in required if key not in values]
        if missing:
            raise ValueError(f"[mail]: missing key(s) {', '.join(missing)}")
        settings = dict(values)
        if backend == "file":
            settings.setdefault("sender", FILE_SENDER)
            folder = settings.get("folder", DEFAULT_FOLDER)
            if folder and instance is not None and not Path(folder).is_absolute():
                settings["folder"] = str(instance / folder)
        return cls(**settings)


# --- templates --------------------------------------------------------------------------------


_TEXT_ENV = new_sandbox(keep_trailing_newline=True)
_HTML_ENV = new_sandbox(html=True, keep_trailing_newline=True)
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(#.*)?$")


@dataclass(frozen=True)
class RenderedMail:
    """A template rendered for one recipient."""

    subject: str
    text: str
    html: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class MailTemplate:
    """Subject, text body and optional HTML body, each as ``{language: jinja source}``."""

    name: str
    subject: Mapping[str, str]
    body: Mapping[str, str]
    html: Mapping[str, str] | None = None
    lines: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        languages: set[str] | None = None
        for part in TEMPLATE_PARTS:
            variants = getattr(self, part)
            if variants is None and part == "html":
                continue
            if not isinstance(variants, Mapping) or not variants:
                raise MailTemplateError(f"mail template {self.name!r}: {part} must map"
                                        f" languages to text, e.g. {part}: {{en: ...}}")
            for language, source in variants.items():
                if not isinstance(source, str):
                    raise MailTemplateError(f"mail template {self.name!r}: {part}.{language}"
                                            " must be text")
            if languages is None:
                languages = set(variants)
            elif set(variants) != languages:
                raise MailTemplateError(
                    f"mail template {self.name!r}: {part} has languages"
                    f" {', '.join(sorted(variants))} but subject has"
                    f" {', '.join(sorted(languages))}")

    @classmethod
    def from_yaml(cls, text: str, name: str = "mail template") -> MailTemplate:
        """Parse the YAML form (``subject``/``body``/optional ``html``, each per language)."""
        try:
            document = parse_yaml(text, name)
        except YamlSyntaxError as exc:
            where = exc.diagnostic
            raise MailTemplateError(f"mail template {where.file} line {where.line}:"
                                    f" {where.message}") from None
        data = document.data
        if not isinstance(data, dict):
            raise MailTemplateError(f"mail template {name!r}: expected a mapping with subject"
                                    " and body")
        unknown = sorted(set(data) - set(TEMPLATE_PARTS))
        if unknown:
            line = document.line_of([unknown[0]])
            raise MailTemplateError(f"mail template {name!r} line {line}: unknown key(s)"
                                    f" {', '.join(unknown)}; expected subject, body, html")
        source_lines = text.splitlines()
        lines: dict[tuple[str, str], int] = {}
        for part in TEMPLATE_PARTS:
            if not isinstance(data.get(part), dict):
                continue
            for language in data[part]:
                line = document.line_of([part, language])
                key_text = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
                lines[part, language] = line + 1 if _BLOCK_SCALAR.search(key_text) else line
        return cls(name=name, subject=data.get("subject"), body=data.get("body"),
                   html=data.get("html"), lines=lines)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the template is written in, in declaration order."""
        return tuple(self.subject)

    def pick_language(self, language: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
        """The variant to use: ``language``, its primary subtag, ``fallback``, else the first."""
        by_key = {key.lower().replace("_", "-"): key for key in self.subject}
        wanted = (language or "").lower().replace("_", "-")
        for candidate in (wanted, wanted.split("-")[0], fallback.lower()):
            if candidate in by_key:
                return by_key[candidate]
        return self.languages[0]


def _compile(template: MailTemplate, part: str, language: str) -> Template:
    env = _HTML_ENV if part == "html" else _TEXT_ENV
    variants = getattr(template, part)
    return env.from_string(variants[language])


def _where(template: MailTemplate, part: str, language: str) -> str:
    return f"mail template {template.name!r} ({part}, {language})"


def render_mail(template: MailTemplate, context: Mapping[str, Any], language: str | None,
                fallback: str = DEFAULT_LANGUAGE) -> RenderedMail:
    """Render subject, text and HTML in the sandbox; errors become ``MailTemplateError``."""
    chosen = template.pick_language(language, fallback)
    out: dict[str, str | None] = {"html": None}
    for part in TEMPLATE_PARTS:
        if getattr(template, part) is None:
            continue
        where = _where(template, part, chosen)
        try:
            out[part] = _compile(template, part, chosen).render(context)
        except LimitExceeded as exc:
            raise MailTemplateError(f"{where}: stopped by the sandbox: {exc}") from exc
        except SecurityError as exc:
            raise MailTemplateError(f"{where}: refused by the sandbox: {exc}") from exc
        except UndefinedError as exc:
            raise MailTemplateError(f"{where}: undefined variable: {exc}") from exc
        except TemplateSyntaxError as exc:
            raise MailTemplateError(f"{where} line {exc.lineno}: {exc.message}") from exc
        except TemplateError as exc:
            raise MailTemplateError(f"{where}: {exc}") from exc
        except Exception as exc:  # filters and operators on odd data: report, never crash
            raise MailTemplateError(f"{where}: {type(exc).__name__}: {exc}") from exc
    # One line without control characters: no header injection, whatever a record holds.
    subject = "".join(c for c in " ".join((out["subject"] or "").split())
                      if unicodedata.category(c) != "Cc")
    return RenderedMail(subject=subject, text=out["body"] or "", html=out["html"],
                        language=chosen)


def check_template(template: MailTemplate) -> list[Diagnostic]:
    """Compile every part and language; one diagnostic per syntax error, with its line."""
    problems = []
    for part in TEMPLATE_PARTS:
        for language in getattr(template, part) or {}:
            try:
                _compile(template, part, language)
            except TemplateSyntaxError as exc:
                lineno = exc.lineno or 1
                start = template.lines.get((part, language))
                line = start + lineno - 1 if start else lineno
                problems.append(Diagnostic(template.name, line, f"{part}.{language}",
                                           f"template line {lineno}: {exc.message}"))
    return problems


# --- sending ----------------------------------------------------------------------------------


def _has_newline(value: str) -> bool:
    """Whether ``value`` holds a line break or another control character (NUL, a vertical
    tab, U+2028...): none belongs in a header."""
    return any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)


def _address(value: str, what: str) -> str:
    """The bare address of ``value`` (``Name <a@b>`` or ``a@b``), refusing injection."""
    if _has_newline(value):
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
    if _has_newline(rendered.subject):
        raise MailError("refused subject: header injection (newline)", permanent=True)
    sender_domain = _address(settings.sender, "sender").rpartition("@")[2]
    if message_id is None:
        message_id = make_msgid(domain=sender_domain)
    elif _has_newline(message_id):
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
        if _has_newline(filename):
            raise MailError(f"refused attachment name {filename!r}: newline", permanent=True)
        maintype, slash, subtype = mimetype.partition("/")
        if not slash or not maintype or not subtype or _has_newline(mimetype):
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


__all__ = [
    "MailError", "MailSettings", "MailTemplate", "MailTemplateError", "RenderedMail",
    "build_message", "check_template", "render_mail", "send_mail",
]
