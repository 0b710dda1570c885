"""The tables authentication keeps: sessions, login attempts, password reset tokens and
requests."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

# The same as core.storage.system_tables.ID_TYPE; not imported, since that module imports this.
_ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

LOGIN_ATTEMPT = "officina_login_attempt"
PASSWORD_RESET = "officina_password_reset"  # noqa: S105 - a table name
RESET_REQUEST = "officina_reset_request"
WEB_SESSION = "officina_session"


def add_auth_tables(metadata: sa.MetaData) -> None:
    """Define the authentication tables in ``metadata``."""
    sa.Table(
        LOGIN_ATTEMPT, metadata,
        sa.Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("success", sa.Boolean(create_constraint=False), nullable=False),
        sa.Index("ix_officina_login_attempt_username", "username", "at"),
        sa.Index("ix_officina_login_attempt_address", "address", "at"),
    )
    sa.Table(
        PASSWORD_RESET, metadata,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(140), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime()),
    )
    sa.Table(  # "forgot password" requests, counted per client address for throttling
        RESET_REQUEST, metadata,
        sa.Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(64)),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Index("ix_officina_reset_request_address", "address", "at"),
    )
    sa.Table(  # signed-in browser sessions; the cookie holds a token, only its hash is here
        WEB_SESSION, metadata,
        sa.Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("username", sa.String(140), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(255)),
        sa.Column("revoked_at", sa.DateTime()),
    )


@cache
def auth_tables() -> dict[str, sa.Table]:
    """The authentication tables by name (a private ``MetaData``; the database is the same)."""
    metadata = sa.MetaData()
    add_auth_tables(metadata)
    return dict(metadata.tables)
