"""Local logins: passwords, throttling, password changes and reset tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth.errors import LoginThrottled, PasswordRejected, ResetTokenInvalid
from core.auth.local import (
    authenticate_local,
    change_password,
    issue_reset_token,
    reset_password,
)
from core.auth.throttle import prune_attempts
from core.i18n import Translator
from core.storage.database import Database
from core.users import create_user
from tests.support.users import FAST_HASHING

T0 = dt.datetime(2026, 3, 1, 9, 0)
PASSWORD = "correct horse 1"
NEW = "battery staple 2"


@pytest.fixture
def db(database: Database) -> Database:
    with database.write() as connection:
        create_user(connection, "mario", PASSWORD, roles=("technician",), hashing=FAST_HASHING)
        create_user(connection, "luigi", PASSWORD, hashing=FAST_HASHING)
    return database


def login(db: Database, username: str, password: str, at: dt.datetime,
          address: str | None = "10.0.0.1"):
    with db.write() as connection:
        return authenticate_local(connection, username, password, address=address, now=at)


def test_right_and_wrong_password(db: Database) -> None:
    actor = login(db, "mario", PASSWORD, T0)
    assert actor is not None
    assert actor.username == "mario" and actor.roles == frozenset({"technician"})
    assert login(db, "mario", "wrong", T0) is None
    assert login(db, "nobody", PASSWORD, T0) is None


def test_five_failures_lock_the_username_for_fifteen_minutes(db: Database) -> None:
    for minute in range(5):
        assert login(db, "mario", "wrong", T0 + dt.timedelta(minutes=minute)) is None
    later = T0 + dt.timedelta(minutes=5)
    with pytest.raises(LoginThrottled) as caught:
        login(db, "mario", PASSWORD, later, address="10.0.0.2")  # even the right password
    assert caught.value.retry_after == 14 * 60
    assert "14 minutes" in caught.value.message
    assert caught.value.translate(Translator("en")) == caught.value.message
    with pytest.raises(LoginThrottled):  # the case of the name does not matter
        login(db, "MARIO", PASSWORD, later, address="10.0.0.2")
    # refused attempts are not recorded: the lock ends 15 minutes after the fifth failure
    assert login(db, "mario", PASSWORD, T0 + dt.timedelta(minutes=19), address="10.0.0.2")
    assert login(db, "luigi", PASSWORD, later, address="10.0.0.3") is not None


def test_failures_spread_over_more_than_the_window_do_not_lock(db: Database) -> None:
    for minute in range(0, 50, 10):
        assert login(db, "mario", "wrong", T0 + dt.timedelta(minutes=minute)) is None
    assert login(db, "mario", PASSWORD, T0 + dt.timedelta(minutes=41)) is not None


def test_success_resets_the_username_count_but_not_the_address(db: Database) -> None:
    for minute in range(4):
        assert login(db, "mario", "wrong", T0 + dt.timedelta(minutes=minute)) is None
    assert login(db, "mario", PASSWORD, T0 + dt.timedelta(minutes=4), address="10.0.0.9")
    for minute in range(5, 9):  # four more: the count restarted after the success
        assert login(db, "mario", "wrong", T0 + dt.timedelta(minutes=minute),
                     address="10.0.0.9") is None
    assert login(db, "mario", PASSWORD, T0 + dt.timedelta(minutes=9), address="10.0.0.9")
    # the address 10.0.0.1 failed four times; one more failure on another name locks it
    assert login(db, "luigi", "wrong", T0 + dt.timedelta(minutes=10)) is None
    with pytest.raises(LoginThrottled):
        login(db, "luigi", PASSWORD, T0 + dt.timedelta(minutes=11))
    assert login(db, "luigi", PASSWORD, T0 + dt.timedelta(minutes=11), address="10.0.0.7")


def test_old_attempts_are_pruned(db: Database) -> None:
    login(db, "mario", "wrong", T0)
    with db.write() as connection:
        assert prune_attempts(connection, T0 + dt.timedelta(days=2)) == 1


def test_change_password_policy(db: Database) -> None:
    with db.write() as connection:
        with pytest.raises(PasswordRejected) as wrong:
            change_password(connection, "mario", "wrong", NEW)
        assert "old_password" in wrong.value.field_errors
        with pytest.raises(PasswordRejected) as short:
            change_password(connection, "mario", PASSWORD, "short")
        assert short.value.field_errors["new_password"] == [
            "The password must be at least 10 characters long."]
        with pytest.raises(PasswordRejected) as same:
            create_user(connection, "longusername", PASSWORD, hashing=FAST_HASHING)
            change_password(connection, "longusername", PASSWORD, "LongUserName")
        assert same.value.field_errors["new_password"] == [
            "The password must not be the username."]
        change_password(connection, "mario", PASSWORD, NEW)
    assert login(db, "mario", PASSWORD, T0) is None
    assert login(db, "mario", NEW, T0) is not None


def test_reset_token_is_single_use(db: Database) -> None:
    with db.write() as connection:
        token = issue_reset_token(connection, "mario", T0)
        assert token is not None and len(token) >= 40
        assert issue_reset_token(connection, "nobody", T0) is None
        with pytest.raises(PasswordRejected):  # the token survives a bad password
            reset_password(connection, token, "mario", T0)
        assert reset_password(connection, token, NEW, T0 + dt.timedelta(minutes=5)) == "mario"
        with pytest.raises(ResetTokenInvalid):
            reset_password(connection, token, "another password 3", T0)
        with pytest.raises(ResetTokenInvalid):
            reset_password(connection, "made-up-token", "another password 3", T0)
    assert login(db, "mario", NEW, T0) is not None


def test_reset_token_expires_after_an_hour(db: Database) -> None:
    with db.write() as connection:
        token = issue_reset_token(connection, "mario", T0)
        assert token is not None
        with pytest.raises(ResetTokenInvalid):
            reset_password(connection, token, NEW, T0 + dt.timedelta(hours=1))
        fresh = issue_reset_token(connection, "mario", T0)
        assert fresh is not None
        aware = (T0 + dt.timedelta(minutes=59)).replace(tzinfo=dt.UTC)
        assert reset_password(connection, fresh, NEW, aware) == "mario"


def test_using_a_token_voids_the_others(db: Database) -> None:
    with db.write() as connection:
        first = issue_reset_token(connection, "mario", T0)
        second = issue_reset_token(connection, "mario", T0)
        assert first and second and first != second
        reset_password(connection, first, NEW, T0)
        with pytest.raises(ResetTokenInvalid):
            reset_password(connection, second, "another password 3", T0)
