"""Administration: the mail the file backend kept in the instance, and each message.

With ``[mail] backend = "file"`` the worker stores every message in ``<instance>/mail``
(``core.rules.mail_files``) instead of sending it. These pages list the messages, newest
first, and show one: its headers, its text and its attachments as downloads (and the whole
message as an .eml file). Every view is ``@access(ADMIN)``: other users get 403.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request, send_file

from core.files import safe_file_name
from core.formatting import format_datetime
from core.i18n import _
from core.records.errors import NotFound
from core.rules.mail_files import (
    MailNotFound,
    list_mail,
    mail_folder,
    mail_ids,
    raw_mail,
    read_attachment,
    read_mail,
)
from core.ui.access import ADMIN, access
from core.ui.context import gettext, locale, officina

admin_mail = Blueprint("admin_mail", __name__, url_prefix="/admin/mail")
PAGE_SIZE = 50


def _when(value: Any) -> str:
    return format_datetime(value, locale(), officina().settings.timezone)


@admin_mail.context_processor
def _values() -> dict[str, object]:
    return {"when": _when}


def _folder() -> tuple[Path | None, str | None]:
    """The instance's mail folder, or None and why no mail is stored here."""
    settings = officina().settings
    try:
        folder = mail_folder(settings)
    except ValueError as exc:
        return None, gettext(_("The [mail] table of officina.toml is not valid: {error}"),
                             error=str(exc))
    if folder is not None:
        return folder, None
    if not settings.mail:
        return None, gettext(_("Mail is not configured: officina.toml has no [mail] table. "
                               "With backend = \"file\" in one, the messages are kept here."))
    return None, gettext(_("Mail is sent through the SMTP server {host}, so no messages are "
                           "kept here. With backend = \"file\" in the [mail] table of "
                           "officina.toml, they would be."),
                         host=str(settings.mail.get("host", "")))


def _stored_folder() -> Path:
    folder, _reason = _folder()
    if folder is None:
        raise NotFound(gettext(_("No such message.")))
    return folder


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) and int(value) > 0 else 1


@admin_mail.get("")
@access(ADMIN)
def index() -> str:
    """The stored messages, newest first, a page at a time."""
    folder, reason = _folder()
    page = _page_number()
    total = len(mail_ids(folder)) if folder is not None else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    messages = list_mail(folder, PAGE_SIZE, (page - 1) * PAGE_SIZE) if folder else []
    return render_template("admin_mail.html", folder=folder, reason=reason, messages=messages,
                           page=page, pages=pages, total=total)


@admin_mail.get("/<mail_id>")
@access(ADMIN)
def message(mail_id: str) -> str:
    """One message: headers, text body and attachments."""
    try:
        detail = read_mail(_stored_folder(), mail_id)
    except MailNotFound:
        raise NotFound(gettext(_("No such message."))) from None
    return render_template("admin_mail_message.html", mail=detail)


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=safe_file_name(name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@admin_mail.get("/<mail_id>/raw")
@access(ADMIN)
def raw(mail_id: str) -> Response:
    """The whole message as it was stored, as an .eml download."""
    try:
        data = raw_mail(_stored_folder(), mail_id)
    except MailNotFound:
        raise NotFound(gettext(_("No such message."))) from None
    return _download(data, "message/rfc822", f"{mail_id}.eml")


@admin_mail.get("/<mail_id>/attachments/<int:index>")
@access(ADMIN)
def attachment(mail_id: str, index: int) -> Response:
    """Attachment ``index`` (from 0) of a message, as a download."""
    try:
        item, data = read_attachment(_stored_folder(), mail_id, index)
    except MailNotFound:
        raise NotFound(gettext(_("No such attachment."))) from None
    return _download(data, item.content_type, item.filename)


BLUEPRINTS = [admin_mail]
