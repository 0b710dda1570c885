"""The home dashboard: report widgets for the signed-in user's roles."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.records.actor import SYSTEM
from core.ui import reporting


def _widgets(html: str) -> list[str]:
    return re.findall(r'<article class="card widget widget-report" data-report="([^"]+)"', html)


def _sales(app: Flask) -> None:
    service = app.extensions["officina"].records
    customer = service.create(SYSTEM, "customer", {"company": "Alfa"})["id"]
    for status in ("draft", "draft", "confirmed"):
        service.create(SYSTEM, "sale", {"subject": status, "customer": customer,
                                        "status": status})


def test_a_role_sees_the_reports_put_on_its_dashboard(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    _sales(app)
    html = signed_in("carla").get("/").get_data(as_text=True)  # a clerk
    assert _widgets(html) == ["sales_by_status"]
    widget = html[html.index('data-report="sales_by_status"'):]
    widget = widget[:widget.index("</article>")]
    assert "<svg" in widget and 'class="bar"' in widget
    assert 'href="/app/reports/sales_by_status"' in widget
    assert re.search(r"<td>Draft</td><td class=\"number\">2</td>", widget)


def test_administrators_see_every_widget_and_others_none(
        app: Flask, signed_in: Callable[[str], FlaskClient]) -> None:
    assert _widgets(signed_in("anna").get("/").get_data(as_text=True)) == ["sales_by_status"]
    assert _widgets(signed_in("ivo").get("/").get_data(as_text=True)) == []


def test_widgets_follow_the_order_and_skip_reports_the_user_cannot_run(
        app: Flask, signed_in: Callable[[str], FlaskClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from core.reports.spec import DashboardSpec, ReportSpec

    client = signed_in("carla")
    base = reporting.all_reports
    extra = {
        "first": ReportSpec("first", "First", "customer",
                            dashboard=DashboardSpec(frozenset({"clerk"}), order=1)),
        "hidden": ReportSpec("hidden", "Hidden", "specimen",  # clerks cannot read specimens
                             dashboard=DashboardSpec(frozenset({"clerk"}), order=2)),
        "others": ReportSpec("others", "Others", "customer",
                             dashboard=DashboardSpec(frozenset({"manager"}), order=3)),
    }
    monkeypatch.setattr(reporting, "all_reports", lambda: {**base(), **extra})
    html = client.get("/").get_data(as_text=True)
    assert _widgets(html) == ["first", "sales_by_status"]
