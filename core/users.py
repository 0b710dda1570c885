"""Local users: argon2 password hashes and roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from core.password_hashing import PRODUCTION_HASHING, PasswordHashing
from core.records.actor import ADMIN_ROLE, Actor
from core.records.errors import NotFound, printable
from core.storage.database import Database
from core.storage.tables import system_tables


def _users() -> sa.Table:
    return system_tables().system["officina_user"]


def hash_password(password: str, hashing: PasswordHashing = PRODUCTION_HASHING) -> str:
    """An argon2id hash of ``password``, at the instance's cost (``Settings.passwords``)."""
    return hashing.hash(password)


def create_user(connection: Connection, username: str, password: str | None,
                roles: tuple[str, ...] = (), full_name: str = "", email: str = "",
                language: str = "en", hashing: PasswordHashing = PRODUCTION_HASHING) -> int:
    """Add a local user; return its id. ``hashing`` is the instance's password cost."""
    users = _users()
    return int(connection.execute(users.insert().values(
        username=username, password_hash=hash_password(password, hashing) if password else None,
        full_name=full_name, email=email, language=language, roles=",".join(roles),
        active=True, created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        .returning(users.c.id)).scalar_one())


def set_password_hash(connection: Connection, username: str, password_hash: str) -> None:
    """Store an argon2 hash made already (``hash_password``) as ``username``'s password."""
    users = _users()
    connection.execute(users.update().where(users.c.username == username)
                       .values(password_hash=password_hash))


def usernames(connection: Connection) -> list[str]:
    """The names of every local user, sorted."""
    users = _users()
    return list(connection.execute(sa.select(users.c.username).order_by(users.c.username))
                .scalars())


def user_exists(connection: Connection, username: str) -> bool:
    """Whether a user of that name exists."""
    users = _users()
    return connection.execute(sa.select(users.c.id).where(users.c.username == username)
                              ).first() is not None


def actor_for(connection: Connection, username: str) -> Actor:
    """The acting user ``username``; ``NotFound`` when unknown or disabled."""
    users = _users()
    row = connection.execute(sa.select(users).where(users.c.username == username,
                                                    users.c.active.is_(True))).first()
    if row is None:
        raise NotFound(f"No active user \"{username}\".")
    roles = frozenset(r for r in row.roles.split(",") if r)
    return Actor(username=row.username, roles=roles, language=row.language or "en")


def user_language(connection: Connection, username: str) -> str | None:
    """The language the user chose in their profile, or None (then the browser decides)."""
    users = _users()
    return connection.execute(sa.select(users.c.language)
                              .where(users.c.username == username)).scalar_one_or_none()


def user_email(connection: Connection, username: str) -> str | None:
    """The user's e-mail address, or None when the account has none."""
    users = _users()
    return connection.execute(sa.select(users.c.email)
                              .where(users.c.username == username)).scalar_one_or_none()


def full_names(connection: Connection, usernames: Iterable[str]) -> dict[str, str]:
    """The full names of the users ``usernames`` that have one, by username."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    users = _users()
    rows = connection.execute(sa.select(users.c.username, users.c.full_name)
                              .where(users.c.username.in_(wanted)))
    return {row.username: row.full_name for row in rows if row.full_name}


def set_user_language(connection: Connection, username: str, language: str) -> None:
    """Store the user's language (``en`` or ``it``)."""
    users = _users()
    connection.execute(users.update().where(users.c.username == username)
                       .values(language=language))


def verify_password(connection: Connection, username: str, password: str,
                    hashing: PasswordHashing = PRODUCTION_HASHING) -> Actor | None:
    """The actor when ``password`` is right, else None (the same for unknown users).

    A stored hash is checked at the cost it was made with; an unknown user costs one hash
    at the instance's cost, so that a wrong name takes as long as a wrong password.
    """
    if not _password_matches(_stored_hash(connection, username), password, hashing):
        return None
    return actor_for(connection, username)


def check_password(database: Database, username: str, password: str,
                   hashing: PasswordHashing = PRODUCTION_HASHING) -> Actor | None:
    """``verify_password`` with no transaction open while the hash is checked (argon2 takes
    tens of milliseconds): the stored hash is read, checked, then the actor is read."""
    with database.read() as connection:
        stored = _stored_hash(connection, username)
    if not _password_matches(stored, password, hashing):
        return None
    with database.read() as connection:
        return actor_for(connection, username)


def _stored_hash(connection: Connection, username: str) -> str | None:
    users = _users()
    row = connection.execute(sa.select(users.c.password_hash).where(
        users.c.username == printable(username), users.c.active.is_(True))).first()
    return row.password_hash if row is not None else None


def _password_matches(stored: str | None, password: str, hashing: PasswordHashing) -> bool:
    try:
        if not stored or not password:
            hashing.hash("timing equaliser")
            return False
        hashing.hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


__all__ = [
    "ADMIN_ROLE",
    "actor_for",
    "check_password",
    "create_user",
    "hash_password",
    "set_user_language",
    "user_exists",
    "user_language",
    "verify_password",
]
