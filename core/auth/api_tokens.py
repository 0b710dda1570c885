"""Personal API tokens: long random secrets that act as their owner, within their scopes.

A token is ``ofc_`` and 43 URL-safe characters (``secrets.token_urlsafe(32)``: 256 random
bits). Only its SHA-256 is stored, with the first characters (``prefix``) to tell tokens
apart in lists. A fast hash is enough: argon2 makes guessing a *password*, chosen by a person
from a small space, slow; no amount of hashing speed makes 2**256 guesses feasible, and a
fast lookup keeps the API fast (one indexed query finds the token and its owner).

The secret is returned once, by ``create_token``, and never again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.auth.clock import naive_utc
from core.i18n import Translator, _
from core.records.actor import Actor
from core.records.errors import NotFound, RecordValidationError
from core.records.token_scopes import EVERY_ENTITY, TokenScopes
from core.storage.auth_tables import API_TOKEN, TOKEN_NAME_LENGTH, auth_tables

TOKEN_START = "ofc_"  # noqa: S105 - how every token starts, so scanners recognise one
PREFIX_LENGTH = len(TOKEN_START) + 8
NAME_LENGTH = TOKEN_NAME_LENGTH
LAST_USE_PRECISION = dt.timedelta(minutes=1)  # last_used_at is written at most this often

@cache
def _tokens() -> sa.Table:
    return auth_tables()[API_TOKEN]


@cache
def _users() -> sa.Table:
    from core.storage.tables import system_tables

    return system_tables().system["officina_user"]


def token_hash(token: str) -> str:
    """The SHA-256 of ``token``, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token as lists show it: never the secret."""

    id: int
    username: str
    name: str
    prefix: str
    scopes: TokenScopes
    created_at: dt.datetime
    created_by: str
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def active(self, now: dt.datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and (self.expires_at is None
                                            or self.expires_at > naive_utc(now))

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly form (for the command line)."""
        return {"id": self.id, "username": self.username, "name": self.name,
                "prefix": self.prefix, "scopes": self.scopes.as_json(),
                "created_at": self.created_at, "created_by": self.created_by,
                "last_used_at": self.last_used_at, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at, "active": self.active()}


def _info(row: sa.Row) -> TokenInfo:
    return TokenInfo(row.id, row.username, row.name, row.prefix,
                     TokenScopes.parse(json.loads(row.scopes)), row.created_at, row.created_by,
                     row.last_used_at, row.expires_at, row.revoked_at)


def create_token(connection: Connection, username: str, name: str, scopes: TokenScopes, *,
                 created_by: str, entities: Collection[str],
                 expires_at: dt.datetime | None = None, now: dt.datetime | None = None,
                 translator: Translator | None = None) -> tuple[str, TokenInfo]:
    """A new token for the active user ``username``: the secret (shown once) and its entry.

    ``entities`` are the names scopes may use (the registry's entities that are not lines).
    ``RecordValidationError`` naming the field for an unknown user, an empty or too long
    name, a scope on an unknown entity, or an expiry in the past (in ``translator``'s
    language).
    """
    t = translator or Translator()
    now = naive_utc(now)
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [t.gettext(_("Give the token a name, to know later what uses it."))]
    elif len(name) > NAME_LENGTH:
        errors["name"] = [t.gettext(_("At most {count} characters."), count=NAME_LENGTH)]
    unknown = sorted(set(scopes.entities) - set(entities) - {EVERY_ENTITY})
    if unknown:
        errors["scopes"] = [t.gettext(_("No such entity: {names}."), names=", ".join(unknown))]
    if expires_at is not None and naive_utc(expires_at) <= now:
        errors["expires_at"] = [t.gettext(_("The expiry must be in the future."))]
    users = _users()
    if connection.execute(sa.select(users.c.id).where(
            users.c.username == username, users.c.active.is_(True))).first() is None:
        errors["username"] = [t.gettext(_("No active user of that name."))]
    if errors:
        raise RecordValidationError(t.gettext(_("The token was not created.")), errors)
    secret = TOKEN_START + secrets.token_urlsafe(32)
    tokens = _tokens()
    token_id = connection.execute(tokens.insert().values(
        username=username, name=name, prefix=secret[:PREFIX_LENGTH],
        token_hash=token_hash(secret), scopes=json.dumps(scopes.as_json()), created_at=now,
        created_by=created_by, expires_at=naive_utc(expires_at) if expires_at else None,
    ).returning(tokens.c.id)).scalar_one()
    return secret, token(connection, int(token_id))


def token(connection: Connection, token_id: int) -> TokenInfo:
    """One token by id; ``NotFound`` when there is none."""
    tokens = _tokens()
    row = connection.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()
    if row is None:
        raise NotFound(_("No such API token."))
    return _info(row)


def list_tokens(connection: Connection, username: str | None = None) -> list[TokenInfo]:
    """The tokens of ``username`` (of everyone when None), newest first; revoked included."""
    tokens = _tokens()
    statement = sa.select(tokens).order_by(tokens.c.created_at.desc(), tokens.c.id.desc())
    if username is not None:
        statement = statement.where(tokens.c.username == username)
    return [_info(row) for row in connection.execute(statement)]


def revoke_token(connection: Connection, token_id: int, revoked_by: str, *,
                 owner: str | None = None, now: dt.datetime | None = None) -> TokenInfo:
    """Revoke a token (``owner``: only if it is theirs); revoking twice changes nothing.

    ``NotFound`` for an unknown token, or one of another owner.
    """
    tokens = _tokens()
    found = token(connection, token_id)
    if owner is not None and found.username != owner:
        raise NotFound(_("No such API token."))
    connection.execute(tokens.update().where(tokens.c.id == token_id,
                                             tokens.c.revoked_at.is_(None))
                       .values(revoked_at=naive_utc(now), revoked_by=revoked_by))
    return token(connection, token_id)


def revoke_user_tokens(connection: Connection, username: str, revoked_by: str, *,
                       now: dt.datetime | None = None) -> int:
    """Revoke every live token of ``username`` (e.g. when their password is reset); how many."""
    tokens = _tokens()
    return connection.execute(tokens.update().where(tokens.c.username == username,
                                                    tokens.c.revoked_at.is_(None))
                              .values(revoked_at=naive_utc(now), revoked_by=revoked_by)).rowcount


@dataclass(frozen=True)
class Authenticated:
    """The outcome of presenting a token: the actor, or why it was refused."""

    actor: Actor | None
    token_id: int | None = None
    refusal: str | None = None  # a message (marked for translation) when refused
    last_used_at: dt.datetime | None = None


REFUSED_UNKNOWN = _("This API token is not valid.")
REFUSED_REVOKED = _("This API token was revoked.")
REFUSED_EXPIRED = _("This API token has expired.")


def authenticate_token(connection: Connection, secret: str,
                       now: dt.datetime | None = None) -> Authenticated:
    """The owner of ``secret`` as an actor limited by its scopes, in one query.

    Refused (with the reason) when the token is unknown, revoked or expired, or its owner
    was deactivated (the same answer as unknown: the owner's state is not the caller's to
    learn). Nothing is written; see ``note_use``.
    """
    now = naive_utc(now)
    row = connection.execute(_lookup(), {"token_hash": token_hash(secret)}).first()
    if row is None or not row.active:
        return Authenticated(None, refusal=REFUSED_UNKNOWN)
    if row.revoked_at is not None:
        return Authenticated(None, row.id, REFUSED_REVOKED)
    if row.expires_at is not None and row.expires_at <= now:
        return Authenticated(None, row.id, REFUSED_EXPIRED)
    actor = Actor(username=row.username, roles=frozenset(r for r in row.roles.split(",") if r),
                  language=row.language or "en", scopes=_scopes(row.scopes))
    return Authenticated(actor, row.id, last_used_at=row.last_used_at)


@cache
def _lookup() -> sa.Select:
    """The token and its owner by the token's hash: built once, run on every API call."""
    tokens, users = _tokens(), _users()
    return (sa.select(tokens.c.id, tokens.c.scopes, tokens.c.expires_at, tokens.c.revoked_at,
                      tokens.c.last_used_at, users.c.username, users.c.roles,
                      users.c.language, users.c.active)
            .select_from(tokens.join(users, users.c.username == tokens.c.username))
            .where(tokens.c.token_hash == sa.bindparam("token_hash")))


@cache
def _scopes(stored: str) -> TokenScopes:
    """Parsed scopes, kept by their stored text (few distinct values, read on every call)."""
    return TokenScopes.parse(json.loads(stored))


def needs_use_noted(authenticated: Authenticated, now: dt.datetime | None = None) -> bool:
    """Whether ``last_used_at`` is older than a minute (then ``note_use`` should run)."""
    last = authenticated.last_used_at
    return authenticated.actor is not None and (
        last is None or naive_utc(now) - last >= LAST_USE_PRECISION)


def note_use(connection: Connection, token_id: int, now: dt.datetime | None = None) -> None:
    """Set ``last_used_at`` to now, unless another request did within the last minute."""
    now = naive_utc(now)
    tokens = _tokens()
    connection.execute(tokens.update().where(
        tokens.c.id == token_id,
        sa.or_(tokens.c.last_used_at.is_(None),
               tokens.c.last_used_at <= now - LAST_USE_PRECISION)).values(last_used_at=now))
