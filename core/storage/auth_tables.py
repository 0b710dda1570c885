"""The tables authentication keeps: sessions, login attempts, password reset tokens and
requests, and personal API tokens."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from core.storage.conventions import ID_TYPE as _ID_TYPE

LOGIN_ATTEMPT = "officina_login_attempt"
PASSWORD_RESET = "officina_password_reset"  # noqa: S105 - a table name
RESET_REQUEST = "officina_reset_request"
WEB_SESSION = "officina_session"
API_TOKEN = "officina_api_token"  # noqa: S105 - a table name
TOKEN_NAME_LENGTH = 100


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
    sa.Table(
        API_TOKEN, metadata,
        sa.Column("id", _ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False, index=True),
        sa.Column("name", sa.String(TOKEN_NAME_LENGTH), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(140), nullable=False),
        sa.Column("last_used_at", sa.DateTime()),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("revoked_at", sa.DateTime()),
        sa.Column("revoked_by", sa.String(140)),
    )


@cache
def auth_tables() -> dict[str, sa.Table]:
    """The authentication tables by name (a private ``MetaData``; the database is the same)."""
    metadata = sa.MetaData()
    add_auth_tables(metadata)
    return dict(metadata.tables)
