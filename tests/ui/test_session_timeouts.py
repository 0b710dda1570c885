"""Session lifetimes: the idle and absolute timeouts of ``[web]``, last-seen times written at
most once a minute, and ended sessions purged at sign-in.

Time passes by moving a session's stored times back, as the hours would: nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.auth.clock import naive_utc
from core.storage.auth_tables import WEB_SESSION, auth_tables
from core.ui.app import create_app
from tests.ui.conftest import csrf_token, sign_in


def sessions_table() -> sa.Table:
    return auth_tables()[WEB_SESSION]


def rows(app: Flask) -> list[sa.Row]:
    with app.extensions["officina"].database.read() as connection:
        return list(connection.execute(sa.select(sessions_table())
                                       .order_by(sessions_table().c.id)))


def age(app: Flask, username: str, **ago: dt.timedelta) -> None:
    """Move ``created_at`` / ``last_seen_at`` of the user's sessions to that long ago."""
    now = naive_utc()
    with app.extensions["officina"].database.write() as connection:
        connection.execute(sessions_table().update()
                           .where(sessions_table().c.username == username)
                           .values({column: now - delta for column, delta in ago.items()}))


def signed_out(client: FlaskClient) -> bool:
    response = client.get("/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def with_web(app: Flask, **web: object) -> Flask:
    settings = replace(app.extensions["officina"].settings, web=web)
    return create_app(settings, {"TESTING": True})


def test_defaults_two_idle_hours_twelve_in_all(app: Flask) -> None:
    carla = sign_in(app.test_client(), "carla")
    age(app, "carla", last_seen_at=dt.timedelta(minutes=115))
    assert carla.get("/").status_code == 200
    age(app, "carla", last_seen_at=dt.timedelta(minutes=121))
    assert signed_out(carla)

    busy = sign_in(app.test_client(), "ivo")
    age(app, "ivo", created_at=dt.timedelta(hours=11, minutes=50))
    assert busy.get("/").status_code == 200
    age(app, "ivo", created_at=dt.timedelta(hours=12, minutes=1))  # used a second ago, still
    assert signed_out(busy)


def test_timeouts_are_settings(app: Flask) -> None:
    short = with_web(app, session_idle_minutes=10, session_hours=1)
    carla = sign_in(short.test_client(), "carla")
    age(short, "carla", last_seen_at=dt.timedelta(minutes=9))
    assert carla.get("/").status_code == 200
    age(short, "carla", last_seen_at=dt.timedelta(minutes=11))
    assert signed_out(carla)

    ivo = sign_in(short.test_client(), "ivo")
    age(short, "ivo", created_at=dt.timedelta(minutes=61))
    assert signed_out(ivo)


@pytest.mark.parametrize("value", [0, -5, "soon", True, float("inf")])
def test_a_timeout_that_is_not_a_positive_number_is_refused_by_name(app: Flask,
                                                                     value: object) -> None:
    with pytest.raises(ValueError, match=r"\[web\] session_idle_minutes"):
        with_web(app, session_idle_minutes=value)


def test_the_cookie_lasts_as_long_as_the_absolute_timeout(app: Flask) -> None:
    assert with_web(app, session_hours=3).permanent_session_lifetime == dt.timedelta(hours=3)


def test_last_seen_is_written_at_most_once_a_minute(app: Flask) -> None:
    carla = sign_in(app.test_client(), "carla")
    age(app, "carla", last_seen_at=dt.timedelta(seconds=30))
    [before] = rows(app)
    assert carla.get("/").status_code == 200
    assert carla.get("/app/customer").status_code == 200
    [unchanged] = rows(app)
    assert unchanged.last_seen_at == before.last_seen_at  # no write for these requests

    age(app, "carla", last_seen_at=dt.timedelta(minutes=5))
    assert carla.get("/").status_code == 200
    [touched] = rows(app)
    assert naive_utc() - touched.last_seen_at < dt.timedelta(seconds=30)
    assert touched.created_at == before.created_at


def test_ended_and_expired_sessions_are_purged_at_sign_in(app: Flask) -> None:
    idle = sign_in(app.test_client(), "carla")
    old = sign_in(app.test_client(), "ivo")
    ended = sign_in(app.test_client(), "anna")
    live = sign_in(app.test_client(), "anna")
    age(app, "carla", last_seen_at=dt.timedelta(hours=3))
    age(app, "ivo", created_at=dt.timedelta(hours=13))
    ended.post("/logout", data={"csrf_token": csrf_token(ended, "/")})
    assert len(rows(app)) == 4  # refused at once, deleted later
    assert signed_out(idle)
    assert signed_out(old)

    sign_in(app.test_client(), "carla")
    remaining = rows(app)
    assert [r.username for r in remaining] == ["anna", "carla"]
    assert all(r.revoked_at is None for r in remaining)
    assert live.get("/").status_code == 200

