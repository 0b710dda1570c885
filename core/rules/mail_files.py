"""The file mail backend: each message stored as an .eml file in the instance, and read back.

Like Django's file-based e-mail backend, for demos and trials: with ``[mail] backend =
"file"`` the worker keeps every message it would have sent, as SMTP would have carried it
(built by ``build_message``, attachments included, CRLF line ends), in ``<instance>/mail``
(``folder``). A message is written under a hidden temporary name and then linked to its
final name, so a reader never sees half a message and no message ever replaces another. The
name (``20261124-103700-123456-1a2b3c4d.eml``: the UTC time to the microsecond, then random
hex) is the message's id; names sort by time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from io import BytesIO
from pathlib import Path

from core.atomic_files import publish
from core.config import Settings
from core.rules.mail import MailError, MailSettings, RenderedMail, build_message

SUFFIX = ".eml"
STAMP = "%Y%m%d-%H%M%S-%f"
MAIL_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}-[0-9a-f]{8}")
# Headers that describe the MIME structure: shown as the text and attachments instead.
STRUCTURE_HEADERS = frozenset({"mime-version", "content-type", "content-transfer-encoding"})


class MailNotFound(LookupError):
    """No stored message (or attachment) has that id."""


@dataclass(frozen=True)
class StoredMail:
    """A stored message as a list shows it."""

    id: str
    date: dt.datetime  # aware: the Date header, else the time in the id
    sender: str
    to: str
    subject: str


@dataclass(frozen=True)
class StoredAttachment:
    """One attachment of a stored message; ``index`` counts from 0 in message order."""

    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MailDetail:
    """One stored message: its headers (but the MIME structure's), text and attachments."""

    summary: StoredMail
    headers: list[tuple[str, str]]
    text: str | None  # None when the message has no text/plain part
    has_html: bool
    attachments: list[StoredAttachment]


def mail_folder(settings: Settings) -> Path | None:
    """Where the instance stores its mail, or None when it sends it by SMTP (or has no
    ``[mail]`` table); ``ValueError`` when the table is not valid."""
    if not settings.mail:
        return None
    mail = MailSettings.from_dict(settings.mail, instance=Path(settings.instance))
    return Path(mail.folder) if mail.backend == "file" else None


# --- writing ----------------------------------------------------------------------------------


def message_bytes(message: EmailMessage) -> bytes:
    """The message as ``smtplib`` puts it on the wire (before dot-stuffing): CRLF line ends."""
    buffer = BytesIO()
    BytesGenerator(buffer).flatten(message, linesep="\r\n")
    return buffer.getvalue()


def new_mail_id(now: dt.datetime | None = None) -> str:
    """A fresh id: the UTC time to the microsecond, then 8 random hex digits."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment.strftime(STAMP)}-{secrets.token_hex(4)}"


def write_message(folder: Path, message: EmailMessage,
                  clock: Callable[[], dt.datetime] | None = None) -> str:
    """Store ``message`` in ``folder`` (created if missing) and return its id."""
    data = message_bytes(message)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        while True:
            mail_id = new_mail_id(clock() if clock else None)
            temporary = folder / f".{mail_id}.tmp"
            try:
                # Private: messages carry password-reset links.
                handle = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                           0o600), "wb")
            except FileExistsError:
                continue  # the same microsecond and the same random digits: draw again
            try:
                with handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                publish(temporary, folder / f"{mail_id}{SUFFIX}")
                return mail_id
            except FileExistsError:
                continue
            finally:
                temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise MailError(f"cannot store mail in {folder}: {exc.strerror or exc}") from exc


def store_mail(settings: MailSettings, to: Sequence[str] | str, rendered: RenderedMail,
               attachments: Iterable[tuple[str, bytes, str]] = (), reply_to: str | None = None,
               message_id: str | None = None) -> str:
    """Build the message ``send_mail`` would send and store it in ``settings.folder``; return
    its id. Bad values raise the same permanent ``MailError`` as with SMTP."""
    message = build_message(settings, to, rendered, attachments, reply_to, message_id)
    return write_message(Path(settings.folder), message)


# --- reading ----------------------------------------------------------------------------------


def mail_ids(folder: Path) -> list[str]:
    """The ids of every stored message, newest first."""
    if not folder.is_dir():
        return []
    ids = (path.name[:-len(SUFFIX)] for path in folder.iterdir()
           if path.name.endswith(SUFFIX))
    return sorted((i for i in ids if MAIL_ID.fullmatch(i)), reverse=True)


def _path(folder: Path, mail_id: str) -> Path:
    if not MAIL_ID.fullmatch(mail_id):
        raise MailNotFound(mail_id)
    path = folder / f"{mail_id}{SUFFIX}"
    if not path.is_file():
        raise MailNotFound(mail_id)
    return path


def _parse(path: Path, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=default_policy).parse(handle, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def _summary(mail_id: str, message: EmailMessage) -> StoredMail:
    header = message["Date"]
    date = getattr(header, "datetime", None) if header is not None else None
    if date is None or date.tzinfo is None:
        date = dt.datetime.strptime(mail_id[:22], STAMP).replace(tzinfo=dt.UTC)
    return StoredMail(mail_id, date, str(message["From"] or ""), str(message["To"] or ""),
                      str(message["Subject"] or ""))


def list_mail(folder: Path, limit: int | None = None, offset: int = 0) -> list[StoredMail]:
    """Stored messages, newest first: ``limit`` of them (all when None) after ``offset``."""
    ids = mail_ids(folder)[offset:None if limit is None else offset + limit]
    found = []
    for mail_id in ids:
        try:
            found.append(_summary(mail_id, _parse(folder / f"{mail_id}{SUFFIX}", True)))
        except FileNotFoundError:
            continue  # removed meanwhile
    return found


def raw_mail(folder: Path, mail_id: str) -> bytes:
    """The stored bytes of message ``mail_id`` (``MailNotFound`` if there is none)."""
    return _path(folder, mail_id).read_bytes()


def read_mail(folder: Path, mail_id: str) -> MailDetail:
    """Message ``mail_id``: its headers in order, its text body and its attachments."""
    message = _parse(_path(folder, mail_id))
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else None
    attachments = [StoredAttachment(index, part.get_filename() or f"attachment-{index + 1}",
                                    part.get_content_type(),
                                    len(part.get_payload(decode=True) or b""))
                   for index, part in enumerate(message.iter_attachments())]
    headers = [(name, str(value)) for name, value in message.items()
               if name.lower() not in STRUCTURE_HEADERS]
    return MailDetail(_summary(mail_id, message), headers, text,
                      message.get_body(preferencelist=("html",)) is not None, attachments)


def read_attachment(folder: Path, mail_id: str, index: int) -> tuple[StoredAttachment, bytes]:
    """Attachment ``index`` of message ``mail_id`` and its bytes."""
    message = _parse(_path(folder, mail_id))
    for number, part in enumerate(message.iter_attachments()):
        if number == index:
            data = part.get_payload(decode=True) or b""
            return StoredAttachment(index, part.get_filename() or f"attachment-{index + 1}",
                                    part.get_content_type(), len(data)), data
    raise MailNotFound(f"{mail_id} attachment {index}")
