"""Workflow transitions as buttons on the edit page, offered only when the workflow allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.ui.context import officina
from core.users import create_user
from tests.conftest import open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import csrf_token, sign_in

PASSWORDS = {"aldo": "Aldo-pw-1", "cora": "Cora-pw-1"}


@pytest.fixture
def helpdesk(database_url: str, packs_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The web application over the helpdesk pack: aldo is an agent, cora a coordinator."""
    env = open_env(database_url, ["helpdesk"], [packs_dir])
    with env.database.write() as connection:
        create_user(connection, "aldo", PASSWORDS["aldo"], roles=("agent",), hashing=FAST_HASHING)
        create_user(connection, "cora", PASSWORDS["cora"], roles=("coordinator",),
                    hashing=FAST_HASHING)
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("helpdesk",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    yield create_app(settings, {"TESTING": True}, Officina.open(settings, registry=env.store))
    env.database.dispose()


def _client(app: Flask, username: str) -> FlaskClient:
    return sign_in(app.test_client(), username, PASSWORDS[username])


def _ticket(app: Flask, **values: object) -> dict:
    with app.app_context():
        return officina().records.create(SYSTEM, "ticket", {"subject": "Printer", **values})


def _status(app: Flask, ticket_id: int) -> str:
    with app.app_context():
        return officina().records.get(SYSTEM, "ticket", ticket_id)["status"]


def _buttons(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="transition" value="([a-z_]+)"', page)


def test_transitions_offered_when_allowed_and_taken(helpdesk: Flask) -> None:
    ticket = _ticket(helpdesk)
    aldo = _client(helpdesk, "aldo")
    edit = f"/app/ticket/{ticket['id']}/edit"
    page = aldo.get(edit).get_data(as_text=True)
    assert _buttons(page) == []  # "assign" needs an assignee (its guard)
    assert 'name="status"' not in page  # the state changes through transitions only
    with helpdesk.app_context():
        officina().records.update(SYSTEM, "ticket", ticket["id"], {"assignee": "aldo"},
                                  version=ticket["version"])
    page = aldo.get(edit).get_data(as_text=True)
    assert _buttons(page) == ["assign"]
    token = csrf_token(aldo, edit)
    version = re.search(r'name="_version" value="(\d+)"', page).group(1)
    response = aldo.post(f"/app/ticket/{ticket['id']}/transition", data={
        "csrf_token": token, "transition": "assign", "_version": version, "next": edit})
    assert response.status_code == 302 and response.headers["Location"].endswith(edit)
    assert _status(helpdesk, ticket["id"]) == "assigned"
    assert "Done" in aldo.get(edit).get_data(as_text=True)
    for name in ("start", "resolve"):
        aldo.post(f"/app/ticket/{ticket['id']}/transition",
                  data={"csrf_token": token, "transition": name})
    assert _status(helpdesk, ticket["id"]) == "resolved"
    # "close" is for coordinators only
    assert _buttons(aldo.get(edit).get_data(as_text=True)) == ["reopen"]
    assert "close" in _buttons(_client(helpdesk, "cora").get(edit).get_data(as_text=True))
    refused = aldo.post(f"/app/ticket/{ticket['id']}/transition",
                        data={"csrf_token": token, "transition": "close"})
    assert refused.status_code == 302
    assert "Only coordinator may" in aldo.get(refused.headers["Location"]).get_data(
        as_text=True)
    assert _status(helpdesk, ticket["id"]) == "resolved"


def test_transition_refusals_are_messages(helpdesk: Flask) -> None:
    ticket = _ticket(helpdesk)
    aldo = _client(helpdesk, "aldo")
    token = csrf_token(aldo, f"/app/ticket/{ticket['id']}/edit")
    response = aldo.post(f"/app/ticket/{ticket['id']}/transition",
                         data={"csrf_token": token, "transition": "assign"})
    assert response.status_code == 302
    page = aldo.get(response.headers["Location"]).get_data(as_text=True)
    assert "its conditions are not met" in page
    stale = aldo.post(f"/app/ticket/{ticket['id']}/transition",
                      data={"csrf_token": token, "transition": "resolve", "_version": "99"})
    assert stale.status_code == 302
    assert _status(helpdesk, ticket["id"]) == "new"
    assert aldo.post(f"/app/ticket/{ticket['id']}/transition",
                     data={"csrf_token": token, "transition": "fly"}).status_code == 404
    assert aldo.post(f"/app/ticket/{ticket['id']}/transition",
                     data={"transition": "assign"}).status_code == 400  # no CSRF token


def test_new_ticket_starts_in_the_initial_state(helpdesk: Flask) -> None:
    aldo = _client(helpdesk, "aldo")
    token = csrf_token(aldo, "/app/ticket/new")
    response = aldo.post("/app/ticket/new", data={
        "csrf_token": token, "subject": "Fire in the server room", "priority": "normal",
        "opened_at": "2026-11-23T09:00", "score": "0", "product": "", "product:title": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    ticket_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with helpdesk.app_context():
        ticket = officina().records.get(SYSTEM, "ticket", ticket_id)
    assert ticket["status"] == "new" and ticket["priority"] == "urgent"  # a rule ran
    assert str(ticket["opened_at"]).startswith("2026-11-23 08:00")
