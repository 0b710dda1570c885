""""Forgot your password?": find the account, issue a token and queue the mail in the outbox.

The answer never depends on whether an account exists, so the form cannot be used to find
out who has one. Requests are throttled per client address (``ResetThrottled``), and an
account receives at most ``MAX_TOKENS_PER_USER`` links an hour (further requests send
nothing, silently). Only users with a local password can reset it: profiles created by a
directory login have none, their password is the directory's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.auth.errors import AuthError
from core.auth.reset import TOKEN_LIFETIME, issue_reset_token
from core.i18n import Translator, _
from core.storage.auth_tables import PASSWORD_RESET, RESET_REQUEST, auth_tables
from core.storage.outbox import enqueue
from core.storage.tables import system_tables

MAX_REQUESTS_PER_ADDRESS = 5
REQUEST_WINDOW = dt.timedelta(minutes=15)
MAX_TOKENS_PER_USER = 3

SUBJECT = _("Reset your Officina password")
BODY = _("Hello {name},\n\n"
         "someone, hopefully you, asked to reset the password of the Officina account "
         "\"{username}\". To choose a new password, open this link within {minutes} "
         "minutes:\n\n{link}\n\n"
         "The link works only once. If you did not ask for it, ignore this message: your "
         "password stays as it is.\n")


class ResetThrottled(AuthError):
    """Too many reset requests from one address."""

    code = "throttled"


@dataclass(frozen=True)
class ResetRecipient:
    """An account a reset link goes to."""

    username: str
    full_name: str
    email: str
    language: str


def reset_recipients(connection: Connection, identifier: str) -> list[ResetRecipient]:
    """Active users with a local password and an e-mail, named by username or e-mail."""
    identifier = identifier.strip()
    if not identifier:
        return []
    users = system_tables().system["officina_user"]
    condition = (sa.func.lower(users.c.email) == identifier.lower() if "@" in identifier
                 else users.c.username == identifier)
    rows = connection.execute(sa.select(users).where(
        condition, users.c.active.is_(True), users.c.password_hash.is_not(None),
        users.c.email.is_not(None), users.c.email != "").order_by(users.c.username))
    return [ResetRecipient(r.username, r.full_name or r.username, r.email, r.language or "en")
            for r in rows]


def _check_address(connection: Connection, address: str | None, now: dt.datetime) -> None:
    requests = auth_tables()[RESET_REQUEST]
    if address:
        recent = connection.execute(sa.select(sa.func.count()).select_from(requests).where(
            requests.c.address == address, requests.c.at > now - REQUEST_WINDOW)).scalar()
        if int(recent or 0) >= MAX_REQUESTS_PER_ADDRESS:
            raise ResetThrottled(_("Too many requests. Try again in {minutes} minutes."),
                                 minutes=int(REQUEST_WINDOW.total_seconds() // 60))
    connection.execute(requests.insert().values(address=address, at=now))
    connection.execute(requests.delete().where(requests.c.at < now - dt.timedelta(days=1)))


def _tokens_last_hour(connection: Connection, username: str, now: dt.datetime) -> int:
    resets = auth_tables()[PASSWORD_RESET]
    return int(connection.execute(sa.select(sa.func.count()).select_from(resets).where(
        resets.c.username == username,
        resets.c.expires_at > now - dt.timedelta(hours=1) + TOKEN_LIFETIME)).scalar() or 0)


def queue_mail(connection: Connection, to: list[str], subject: str, text: str,
               now: dt.datetime | None = None) -> None:
    """Put a mail in the outbox; the worker sends it (with retries)."""
    enqueue(connection, "mail", {"to": to, "subject": subject, "text": text, "html": None},
            naive_utc(now))


def reset_mail(recipient: ResetRecipient, link: str) -> tuple[str, str]:
    """Subject and text of the reset mail, in the recipient's language."""
    translator = Translator(recipient.language)
    minutes = int(TOKEN_LIFETIME.total_seconds() // 60)
    return (translator.gettext(SUBJECT),
            translator.gettext(BODY, name=recipient.full_name, username=recipient.username,
                               minutes=minutes, link=link))


def send_reset_link(connection: Connection, recipient: ResetRecipient,
                    link_for: Callable[[str], str], now: dt.datetime | None = None) -> bool:
    """Issue a token for ``recipient`` and queue the mail; False when the hourly cap is hit."""
    now = naive_utc(now)
    if _tokens_last_hour(connection, recipient.username, now) >= MAX_TOKENS_PER_USER:
        return False
    token = issue_reset_token(connection, recipient.username, now)
    if token is None:
        return False
    subject, text = reset_mail(recipient, link_for(token))
    queue_mail(connection, [recipient.email], subject, text, now)
    return True


def request_reset(connection: Connection, identifier: str, address: str | None,
                  link_for: Callable[[str], str], now: dt.datetime | None = None) -> int:
    """Handle a "forgot password" request; the number of mails queued (0 for unknown users).

    ``ResetThrottled`` when the address asked too often. Run it in a write transaction.
    """
    now = naive_utc(now)
    _check_address(connection, address, now)
    return sum(send_reset_link(connection, recipient, link_for, now)
               for recipient in reset_recipients(connection, identifier))
