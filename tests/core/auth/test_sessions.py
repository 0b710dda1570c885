"""Server-side sessions in the database (SQLite and PostgreSQL): tokens kept as hashes, one
query for the session and its user, timeouts, ending sessions and purging them; and the
address-only attempts of credentials that name no user."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from core.auth.errors import LoginThrottled, PasswordRejected
from core.auth.local import change_own_password
from core.auth.passwords import store_password
from core.auth.sessions import (
    TOUCH_INTERVAL,
    SessionPolicy,
    active_sessions,
    end_session,
    end_sessions,
    load_session,
    purge_sessions,
    start_session,
    token_hash,
    touch_session,
)
from core.auth.throttle import check_throttle, record_attempt
from core.storage.auth_tables import WEB_SESSION, auth_tables
from core.storage.database import Database
from core.storage.tables import system_tables
from core.users import create_user
from tests.support.users import FAST_HASHING

T0 = dt.datetime(2026, 3, 1, 9, 0)
POLICY = SessionPolicy(idle=dt.timedelta(hours=2), absolute=dt.timedelta(hours=12))
PASSWORD = "correct horse 1"


@pytest.fixture
def db(database: Database) -> Database:
    with database.write() as connection:
        create_user(connection, "mario", PASSWORD, roles=("technician",), language="it",
                    hashing=FAST_HASHING)
        create_user(connection, "luigi", PASSWORD, hashing=FAST_HASHING)
    return database


def start(db: Database, username: str, at: dt.datetime = T0) -> str:
    with db.write() as connection:
        return start_session(connection, username, POLICY, "10.0.0.1", "Firefox", at)


def load(db: Database, token: str, at: dt.datetime):
    with db.read() as connection:
        return load_session(connection, token, POLICY, at)


def test_only_the_hash_of_the_token_is_stored(db: Database) -> None:
    token = start(db, "mario")
    with db.read() as connection:
        [row] = connection.execute(sa.select(auth_tables()[WEB_SESSION])).all()
    assert row.token_hash == token_hash(token) != token
    assert (row.username, row.address, row.user_agent) == ("mario", "10.0.0.1", "Firefox")
    assert load(db, token_hash(token), T0) is None  # the stored hash is not a token


def test_the_session_and_its_user_in_one_query(db: Database) -> None:
    token = start(db, "mario")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        current = load(db, token, T0 + dt.timedelta(minutes=5))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert current.actor.username == "mario"
    assert current.actor.roles == frozenset({"technician"})
    assert current.language == "it"


def test_idle_and_absolute_timeouts(db: Database) -> None:
    token = start(db, "mario")
    assert load(db, token, T0 + dt.timedelta(hours=1, minutes=59))
    assert load(db, token, T0 + dt.timedelta(hours=2)) is None  # idle
    with db.write() as connection:  # used every hour: never idle, but twelve hours in all
        for hour in range(1, 12):
            touch_session(connection, load_session(
                connection, token, POLICY, T0 + dt.timedelta(hours=hour)).id,
                T0 + dt.timedelta(hours=hour))
    assert load(db, token, T0 + dt.timedelta(hours=11, minutes=59))
    assert load(db, token, T0 + dt.timedelta(hours=12)) is None


def test_touching_is_needed_only_after_the_interval(db: Database) -> None:
    current = load(db, start(db, "mario"), T0)
    assert not current.needs_touch(POLICY, T0 + dt.timedelta(seconds=59))
    assert current.needs_touch(POLICY, T0 + dt.timedelta(minutes=1))


def test_ended_sessions_and_deactivated_users_are_refused(db: Database) -> None:
    first, second, third = start(db, "mario"), start(db, "mario"), start(db, "mario")
    luigi = start(db, "luigi")
    with db.write() as connection:
        end_session(connection, first, T0)
    assert load(db, first, T0) is None and load(db, second, T0)
    kept = load(db, second, T0).id
    with db.write() as connection:
        assert end_sessions(connection, "mario", keep=kept, now=T0) == 1  # the third
    assert load(db, second, T0) and load(db, third, T0) is None and load(db, luigi, T0)
    users = system_tables().system["officina_user"]
    with db.write() as connection:
        connection.execute(users.update().where(users.c.username == "mario")
                           .values(active=False))
    assert load(db, second, T0) is None


def test_a_new_password_ends_the_sessions_but_the_kept_one(db: Database) -> None:
    here, there = start(db, "mario"), start(db, "mario")
    with db.write() as connection:
        store_password(connection, "mario", "new password 3", FAST_HASHING,
                       keep_session=load_session(connection, here, POLICY, T0).id)
    assert load(db, here, T0) and load(db, there, T0) is None
    with db.write() as connection:
        store_password(connection, "mario", "newer password 4", FAST_HASHING)
    assert load(db, here, T0) is None


def count_rows(db: Database) -> int:
    with db.read() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(
            auth_tables()[WEB_SESSION])).scalar()


def test_active_sessions_and_purging(db: Database) -> None:
    idle = start(db, "mario", T0 - dt.timedelta(hours=3))
    old = start(db, "mario", T0 - dt.timedelta(hours=13))  # (its purge found nothing yet)
    assert count_rows(db) == 2
    ended = start(db, "mario")  # a sign-in purges what has expired by now
    assert count_rows(db) == 1
    live = start(db, "mario", T0 + dt.timedelta(minutes=1))
    start(db, "luigi", T0 + dt.timedelta(minutes=1))
    with db.write() as connection:
        end_session(connection, ended, T0 + dt.timedelta(minutes=1))
    with db.read() as connection:
        listed = active_sessions(connection, "mario", POLICY, T0 + dt.timedelta(minutes=2))
    assert [s.id for s in listed] == [load(db, live, T0).id]
    assert all(load(db, t, T0) is None for t in (old, idle, ended))
    with db.write() as connection:
        assert purge_sessions(connection, POLICY, T0 + dt.timedelta(minutes=2)) == 1
    assert count_rows(db) == 2


@pytest.mark.parametrize(("web", "key"), [
    ({"session_idle_minutes": 0}, "session_idle_minutes"),
    ({"session_hours": "twelve"}, "session_hours"),
    ({"session_hours": -1}, "session_hours"),
])
def test_bad_timeout_settings_name_the_setting(web: dict, key: str) -> None:
    with pytest.raises(ValueError, match=rf"\[web\] {key} must be a positive number"):
        SessionPolicy.from_web_settings(web)


@pytest.mark.parametrize("minutes", [0.5, "0.99"])
def test_an_idle_timeout_below_the_touch_interval_is_refused_by_name(minutes: object) -> None:
    # last use is written once a minute: a shorter idle timeout would end busy sessions
    with pytest.raises(ValueError, match=r"\[web\] session_idle_minutes must be at least 1 "):
        SessionPolicy.from_web_settings({"session_idle_minutes": minutes})
    assert SessionPolicy.from_web_settings({"session_idle_minutes": 1}).idle == TOUCH_INTERVAL


def test_timeout_settings() -> None:
    policy = SessionPolicy.from_web_settings({"session_idle_minutes": 30, "session_hours": 8})
    assert (policy.idle, policy.absolute) == (dt.timedelta(minutes=30), dt.timedelta(hours=8))
    assert SessionPolicy.from_web_settings(None) == SessionPolicy()


# --- credentials that name no user, and the password change -------------------------------


def test_attempts_naming_no_user_count_by_address_only(db: Database) -> None:
    with db.write() as connection:
        for minute in range(5):  # e.g. bad reset links or API tokens from one address
            record_attempt(connection, None, "10.0.0.5", False, T0 + dt.timedelta(minutes=minute))
    later = T0 + dt.timedelta(minutes=5)
    with db.read() as connection:
        with pytest.raises(LoginThrottled):
            check_throttle(connection, None, "10.0.0.5", later)
        with pytest.raises(LoginThrottled):
            check_throttle(connection, "mario", "10.0.0.5", later)
        check_throttle(connection, None, "10.0.0.6", later)  # no shared "nobody" lock
        check_throttle(connection, "mario", "10.0.0.6", later)


def test_a_wrong_current_password_is_recorded_though_the_change_is_refused(
        db: Database) -> None:
    for minute in range(5):
        with pytest.raises(PasswordRejected):
            change_own_password(db, "mario", "guess", "new password 3", address="10.0.0.8",
                                now=T0 + dt.timedelta(minutes=minute), hashing=FAST_HASHING)
    with pytest.raises(LoginThrottled):
        change_own_password(db, "mario", PASSWORD, "new password 3", address="10.0.0.9",
                            now=T0 + dt.timedelta(minutes=5), hashing=FAST_HASHING)
    change_own_password(db, "mario", PASSWORD, "new password 3", address="10.0.0.9",
                        now=T0 + dt.timedelta(minutes=21), hashing=FAST_HASHING)
