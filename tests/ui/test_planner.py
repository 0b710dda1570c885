"""The planner board of an entity (``planner:`` in its metadata), through the web UI.

The plannershop pack has workers and visits; dora dispatches (English), fred and gina are
field workers (fred in Italian) who may read only their own visits. The instance's time zone
is Europe/Rome: 2026-11-23 is a Monday.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import BUILTIN_PACKS
from core.metadata.registry import load_registry
from core.officina import Officina
from core.records.actor import SYSTEM
from core.ui.app import create_app
from core.users import create_user
from tests.conftest import FIXTURE_PACKS, open_env
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in

PASSWORDS = {"dora": "Dora-pw-1", "fred": "Fred-pw-1", "gina": "Gina-pw-1"}
WEEK = "2026-11-23"
DAY_HEADS = "//table[@id='planner']/thead//th[@data-day]"
DAYS = ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28",
        "2026-11-29"]


@pytest.fixture
def planner_app(database_url: str, packs_dir: Path, tmp_path: Path) -> Iterator[Flask]:
    """The web application over the plannershop pack, with three workers and three users."""
    env = open_env(database_url, ["plannershop"], [packs_dir])
    with env.database.write() as connection:
        create_user(connection, "dora", PASSWORDS["dora"], roles=("dispatcher",),
                    hashing=FAST_HASHING)
        create_user(connection, "fred", PASSWORDS["fred"], roles=("fieldworker",),
                    language="it", hashing=FAST_HASHING)
        create_user(connection, "gina", PASSWORDS["gina"], roles=("fieldworker",),
                    hashing=FAST_HASHING)
    for name, username in (("Bruno Neri", "fred"), ("Alda Rossi", "gina"),
                           ("Carlo Bianchi", None)):
        env.service.create(SYSTEM, "worker", {"full_name": name, "username": username})
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("plannershop",), pack_paths=(packs_dir, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    yield create_app(settings, {"TESTING": True}, Officina.open(settings, registry=env.store))
    env.database.dispose()


def _client(app: Flask, username: str) -> FlaskClient:
    return sign_in(app.test_client(), username, PASSWORDS[username])


def _worker(app: Flask, name: str) -> int:
    rows = app.extensions["officina"].records.list(SYSTEM, "worker").rows
    return next(r["id"] for r in rows if r["full_name"] == name)


def _visit(app: Flask, subject: str, worker: str | None = None, **values: Any) -> str:
    if worker is not None:
        values["worker"] = _worker(app, worker)
    record = app.extensions["officina"].records.create(SYSTEM, "visit",
                                                       {"subject": subject, **values})
    return record["ref"]


def _board(page: str) -> dict[str, dict[str, list[str]]]:
    """Row title → day → the references of the cards in that cell."""
    tree = lxml.html.fromstring(page)
    board: dict[str, dict[str, list[str]]] = {}
    for row in tree.xpath("//table[@id='planner']/tbody/tr"):
        title = row.xpath("./th")[0].text_content().strip()
        board[title] = {cell.get("data-day"): [a.get("data-ref") for a in
                                               cell.xpath("./a[@data-ref]")]
                        for cell in row.xpath("./td")}
    return board


def _cards(page: str) -> dict[str, str]:
    """Each card's reference → its text."""
    tree = lxml.html.fromstring(page)
    return {a.get("data-ref"): " ".join(a.text_content().split())
            for a in tree.xpath("//a[@data-ref]")}


def _get(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_week_shows_each_record_in_its_row_and_day(planner_app: Flask) -> None:
    monday = _visit(planner_app, "Boiler check", "Bruno Neri",
                    start_at="2026-11-23T08:00:00", length=7200, status="confirmed")
    wednesday = _visit(planner_app, "Pump repair", "Alda Rossi", start_at="2026-11-25T13:30:00")
    unassigned = _visit(planner_app, "Valve", start_at="2026-11-26T09:00:00")
    _visit(planner_app, "Next week", "Bruno Neri", start_at="2026-11-30T09:00:00")
    _visit(planner_app, "Last week", "Bruno Neri", start_at="2026-11-22T09:00:00")
    unplanned = _visit(planner_app, "Some day", "Alda Rossi")
    dora = _client(planner_app, "dora")
    page = _get(dora, f"/app/visit/planner?week={WEEK}")
    board = _board(page)
    assert list(board) == ["Alda Rossi", "Bruno Neri", "Carlo Bianchi", "Unassigned"]
    assert list(board["Bruno Neri"]) == DAYS
    assert board["Bruno Neri"]["2026-11-23"] == [monday]
    assert board["Alda Rossi"]["2026-11-25"] == [wednesday]
    assert board["Unassigned"]["2026-11-26"] == [unassigned]
    assert sum(len(refs) for row in board.values() for refs in row.values()) == 3
    cards = _cards(page)
    # 08:00 UTC is 09:00 in Rome; two hours long; the default length is one hour.
    assert cards[monday] == f"09:00–11:00 {monday} Boiler check Confirmed"  # noqa: RUF001
    assert cards[wednesday].startswith("14:30–15:30")  # noqa: RUF001
    tree = lxml.html.fromstring(page)
    link = tree.xpath(f"//a[@data-ref='{monday}']")[0].get("href")
    assert "Boiler check" in _get(dora, link)
    to_plan = tree.xpath("//ul[@id='to-plan-list']/li")
    assert [" ".join(li.text_content().split()) for li in to_plan] == \
        [f"{unplanned} Some day · Plan"]
    assert "Nov" in tree.xpath("//*[@id='planner-week']")[0].text_content()


def test_records_to_plan_come_most_urgent_first_fifty_to_a_page(planner_app: Flask) -> None:
    refs = {n: _visit(planner_app, f"Visit {n}", due_on=(dt.date(2026, 12, 1)
                                                          + dt.timedelta(days=53 - n)).isoformat())
            for n in range(54)}  # the last entered is due first
    undated = _visit(planner_app, "Whenever")
    dora = _client(planner_app, "dora")

    def listed(page: str) -> list[str]:
        tree = lxml.html.fromstring(page)
        return [li.xpath("./a")[0].text_content() for li in
                tree.xpath("//ul[@id='to-plan-list']/li")]

    first = _get(dora, f"/app/visit/planner?week={WEEK}&f.kind=repair")
    assert listed(first) == [refs[n] for n in range(53, 3, -1)]
    assert "1–50 of 55" in first  # noqa: RUF001
    next_url = lxml.html.fromstring(first).xpath("//section[contains(@class, 'planner-to-plan')]"
                                                 "//a[@rel='next']")[0].get("href")
    assert "f.kind=repair" in next_url and f"week={WEEK}" in next_url
    second = _get(dora, next_url)
    assert listed(second) == [refs[3], refs[2], refs[1], refs[0], undated]
    assert "51–55 of 55" in second  # noqa: RUF001
    assert lxml.html.fromstring(second).xpath("//section[contains(@class, 'planner-to-plan')]"
                                              "//a[@rel='prev']")


def test_week_navigation_moves_by_seven_days_and_keeps_filters(planner_app: Flask) -> None:
    later = _visit(planner_app, "Later", "Carlo Bianchi", start_at="2026-12-02T10:00:00")
    dora = _client(planner_app, "dora")
    page = _get(dora, "/app/visit/planner?week=2026-11-26&f.status=planned")  # a Thursday
    tree = lxml.html.fromstring(page)
    heads = [th.get("data-day") for th in tree.xpath(DAY_HEADS)]
    assert heads == DAYS
    following = tree.xpath("//a[@rel='next']")[0].get("href")
    previous = tree.xpath("//a[@rel='prev']")[0].get("href")
    assert "week=2026-11-30" in following and "f.status=planned" in following
    assert "week=2026-11-16" in previous
    assert _board(_get(dora, following))["Carlo Bianchi"]["2026-12-02"] == [later]
    # The filter form keeps the week.
    assert tree.xpath("//form[@id='list-filters']//input[@name='week']")[0].get("value") == WEEK
    # This week: the week of today in the instance's time zone.
    this_week = _get(dora, "/app/visit/planner")
    today = dt.datetime.now(ZoneInfo("Europe/Rome")).date().isoformat()
    marked = lxml.html.fromstring(this_week).xpath("//th[@aria-current='date']")
    assert [th.get("data-day") for th in marked] == [today]
    assert _get(dora, "/app/visit/planner?week=next-week", 400).count("YYYY-MM-DD") == 1
    for edge in ("9999-12-31", "0001-01-01"):  # no week after or before: refused, not a 500
        assert _get(dora, f"/app/visit/planner?week={edge}", 400).count("YYYY-MM-DD") == 1


def test_days_follow_the_instance_time_zone(planner_app: Flask) -> None:
    # 23:30 UTC on Sunday 22 is 00:30 on Monday 23 in Rome; 22:30 UTC on Sunday 29 is 23:30.
    early = _visit(planner_app, "Night shift", "Bruno Neri", start_at="2026-11-22T23:30:00")
    late = _visit(planner_app, "Late", "Bruno Neri", start_at="2026-11-29T22:30:00")
    outside = _visit(planner_app, "Too late", "Bruno Neri", start_at="2026-11-29T23:30:00")
    dora = _client(planner_app, "dora")
    page = _get(dora, f"/app/visit/planner?week={WEEK}")
    row = _board(page)["Bruno Neri"]
    assert row["2026-11-23"] == [early] and row["2026-11-29"] == [late]
    assert outside not in _cards(page)
    assert _cards(page)[early].startswith("00:30–01:30")  # noqa: RUF001
    assert outside in _cards(_get(dora, "/app/visit/planner?week=2026-11-30"))


def test_a_restricted_user_sees_only_their_own(planner_app: Flask) -> None:
    own = _visit(planner_app, "Mine", "Bruno Neri", start_at="2026-11-24T08:00:00")
    _visit(planner_app, "Gina's", "Alda Rossi", start_at="2026-11-24T08:00:00")
    _visit(planner_app, "Nobody's", start_at="2026-11-24T08:00:00")
    _visit(planner_app, "Gina's later", "Alda Rossi")
    page = _get(_client(planner_app, "fred"), f"/app/visit/planner?week={WEEK}")
    board = _board(page)
    assert next(iter(board)) == "Bruno Neri" and len(board) == 2  # his row, and "Unassigned"
    assert set(_cards(page)) == {own}
    assert lxml.html.fromstring(page).xpath("//*[@id='to-plan-list']") == []


def test_filters_narrow_the_cards(planner_app: Flask) -> None:
    done = _visit(planner_app, "Done one", "Bruno Neri", start_at="2026-11-24T08:00:00",
                  status="done", kind="inspection")
    planned = _visit(planner_app, "Planned one", "Bruno Neri", start_at="2026-11-24T10:00:00")
    dora = _client(planner_app, "dora")
    page = _get(dora, f"/app/visit/planner?week={WEEK}&f.status=done")
    assert set(_cards(page)) == {done}
    legends = [el.text_content() for el in lxml.html.fromstring(page).xpath(
        "//form[@id='list-filters']//legend")]
    assert legends == ["Status", "Kind"]
    assert set(_cards(_get(dora, f"/app/visit/planner?week={WEEK}&f.kind=repair"))) == \
        {planned}
    bruno = _worker(planner_app, "Bruno Neri")
    board = _board(_get(dora, f"/app/visit/planner?week={WEEK}&f.worker={bruno}"))
    assert list(board) == ["Bruno Neri"]  # filtered on one worker: his row alone
    assert "is not a choice" in _get(dora, "/app/visit/planner?f.status=lost", 400)


def test_unknown_entities_and_entities_without_a_planner_are_not_found(
        planner_app: Flask) -> None:
    dora = _client(planner_app, "dora")
    _get(dora, "/app/worker/planner", 404)
    _get(dora, "/app/nothing/planner", 404)
    assert planner_app.test_client().get("/app/visit/planner").status_code in (302, 401)


def test_the_list_page_links_to_the_planner(planner_app: Flask) -> None:
    dora = _client(planner_app, "dora")
    assert 'href="/app/visit/planner"' in _get(dora, "/app/visit")
    assert "/planner" not in _get(dora, "/app/worker")


def test_italian_labels_and_dates(planner_app: Flask) -> None:
    ref = _visit(planner_app, "Caldaia", "Bruno Neri", start_at="2026-11-26T14:05:00",
                 status="confirmed")
    page = _get(_client(planner_app, "fred"), f"/app/visit/planner?week={WEEK}")
    tree = lxml.html.fromstring(page)
    names = [th.xpath("./span[1]")[0].text_content() for th in tree.xpath(DAY_HEADS)]
    assert names == ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato",
                     "domenica"]
    assert tree.xpath("//table[@id='planner']/thead//th")[0].text_content().strip() == "Operaio"
    assert _cards(page)[ref] == f"15:05–16:05 {ref} Caldaia Confermata"  # noqa: RUF001
    assert [el.text_content() for el in tree.xpath("//form[@id='list-filters']//legend")] == \
        ["Stato", "Tipo"]
    assert "nov" in tree.xpath("//*[@id='planner-week']")[0].text_content()


def _problems(tmp_path: Path, planner: str) -> tuple[list[str], int]:
    """The diagnostics of the plannershop pack with ``planner`` in visit.yaml, and the line
    where ``planner:`` then is."""
    pack = tmp_path / "plannershop"
    shutil.copytree(FIXTURE_PACKS / "plannershop", pack)
    visit = pack / "entities" / "visit.yaml"
    text = visit.read_text()
    start, end = text.index("planner:"), text.index("permissions:")
    visit.write_text(text[:start] + planner + text[end:])
    line = text[:start].count("\n") + 1
    try:
        load_registry(["plannershop"], [tmp_path, BUILTIN_PACKS])
    except MetadataError as exc:
        return [str(d) for d in exc.diagnostics], line
    return [], line


@pytest.mark.parametrize(("planner", "offset", "expected"), [
    ("planner:\n  resource: worker\n  start: subject\n", 2,
     "planner.start: field 'subject' is a string field: expected one of datetime"),
    ("planner:\n  start: start_at\n  resource: status\n", 2,
     "planner.resource: field 'status' is a select field: expected one of link"),
    ("planner:\n  start: start_at\n  resource: worker\n  duration: start_at\n", 3,
     "planner.duration: field 'start_at' is a datetime field: expected one of duration"),
    ("planner:\n  start: start_at\n  resource: worker\n  filters:\n    - kind\n"
     "    - nothing\n", 5, "planner.filters[1]: unknown field 'nothing' of entity 'visit'"),
    ("planner:\n  start: start_at\n  resource: worker\n  filters: [note, subject, photo]\n",
     3, "planner.filters[2]: field 'photo' is an image field: expected one of select, "),
    ("planner: {start: start_at, resource: worker, colour: red}\n", 0, "colour"),
    ("planner: {start: start_at}\n", 0, "'resource' is a required property"),
])
def test_planner_metadata_is_checked_with_file_and_line(tmp_path: Path, planner: str,
                                                        offset: int, expected: str) -> None:
    problems, line = _problems(tmp_path, planner)
    assert len(problems) == 1, problems
    assert f"visit.yaml:{line + offset}: " in problems[0], problems[0]
    assert expected in problems[0], problems[0]


def test_a_valid_planner_is_built_into_the_spec(tmp_path: Path) -> None:
    assert _problems(tmp_path, "planner: {start: start_at, resource: worker}\n")[0] == []
    registry = load_registry(["plannershop"], [FIXTURE_PACKS, BUILTIN_PACKS])
    plan = registry.entities["visit"].planner
    assert (plan.start, plan.resource, plan.duration, plan.filters) == \
        ("start_at", "worker", "length", ("status", "kind"))
    assert registry.entities["worker"].planner is None
