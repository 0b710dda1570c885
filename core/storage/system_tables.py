"""Tables of the engine itself: users, audit trail, naming series, overlay, state, uploads."""

from __future__ import annotations

import sqlalchemy as sa

from core.storage.auth_tables import add_auth_tables
from core.storage.conventions import ID_TYPE


def add_system_tables(metadata: sa.MetaData) -> None:
    """Define the engine's own tables in ``metadata``."""
    add_auth_tables(metadata)  # sessions, login attempts, reset tokens, API tokens
    sa.Table(
        "officina_user", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False, unique=True, index=True),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("full_name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("language", sa.String(8)),
        sa.Column("roles", sa.Text(), nullable=False, default=""),
        sa.Column("active", sa.Boolean(create_constraint=False), nullable=False, default=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "officina_audit", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_entity", sa.String(63)),
        sa.Column("parent_id", sa.BigInteger()),
        sa.Column("field", sa.String(63)),
        sa.Column("old_value", sa.Text()),
        sa.Column("new_value", sa.Text()),
        sa.Index("ix_officina_audit_record", "entity", "record_id"),
        sa.Index("ix_officina_audit_parent", "parent_entity", "parent_id"),
    )
    sa.Table(
        "officina_naming_series", metadata,
        sa.Column("series", sa.String(140), primary_key=True),
        sa.Column("current", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        "officina_overlay", metadata,
        sa.Column("entity", sa.String(63), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.Column("modified_by", sa.String(140), nullable=False),
    )
    sa.Table(
        "officina_workflow", metadata,
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.Column("modified_by", sa.String(140), nullable=False),
    )
    sa.Table(
        "officina_state", metadata,
        sa.Column("key", sa.String(63), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    sa.Table(
        "officina_fixture_load", metadata,
        sa.Column("pack", sa.String(63), primary_key=True),
        sa.Column("file", sa.String(255), primary_key=True),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "officina_timer", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, default=0),
        sa.Column("claimed_by", sa.String(140)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime()),
        sa.Index("ix_officina_timer_due", "status", "due_at"),
        sa.Index("ix_officina_timer_record", "entity", "record_id", "name"),
    )
    sa.Table(
        "officina_outbox", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("entity", sa.String(63)),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("rule", sa.String(140)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, default=0),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(140)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime()),
        sa.Index("ix_officina_outbox_due", "status", "next_attempt_at"),
    )
    sa.Table(
        "officina_notification", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("entity", sa.String(63)),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("rule", sa.String(140)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime()),
        sa.Index("ix_officina_notification_user", "username", "read_at"),
    )
    sa.Table(  # a bulk action on chosen records, done a chunk at a time with its results
        "officina_bulk_batch", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),  # JSON: what to do to each record
        sa.Column("ids", sa.Text(), nullable=False),  # JSON list, in the order chosen
        sa.Column("position", sa.Integer(), nullable=False, default=0),
        sa.Column("results", sa.Text(), nullable=False, default="[]"),  # JSON, one per done
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    sa.Table(  # who wants the daily digest of unread notices, and the last day it went
        "officina_notice_digest", metadata,
        sa.Column("username", sa.String(140), primary_key=True),
        sa.Column("daily", sa.Boolean(create_constraint=False), nullable=False, default=False),
        sa.Column("sent_on", sa.Date()),
    )
    sa.Table(
        "officina_rule_log", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rule", sa.String(140), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("record_id", sa.BigInteger()),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Index("ix_officina_rule_log_record", "entity", "record_id"),
    )
    sa.Table(
        "officina_schedule", metadata,
        sa.Column("rule", sa.String(140), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=False),
    )
    sa.Table(
        "officina_saved_filter", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(140), nullable=False),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", "entity", "name",
                            name="uq_officina_saved_filter_name"),
    )
    sa.Table(
        "officina_document_template", metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(create_constraint=False), nullable=False, default=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(140), nullable=False),
        sa.UniqueConstraint("entity", "name", "language", "version",
                            name="uq_officina_document_template_version"),
    )
