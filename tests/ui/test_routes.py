"""Every route of the web UI declares who may reach it, and none is open by accident."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, Rule

from core.ui.access import ADMIN, API, LEVELS, PUBLIC, endpoint_access

# The only pages reachable without signing in, and why.
PUBLIC_ENDPOINTS = {
    "static",                  # style sheets and scripts
    "auth.login",              # the sign-in form
    "auth.choose_language",    # the language of the sign-in page
    "home.health",             # liveness probe for load balancers
    "account.forgot_password",  # asking for a reset link
    "account.reset_password",   # following the mailed link
}
SAMPLE_VALUES = {"entity": "customer", "record_id": 1, "report": "sales_by_status",
                 "field": "photo", "token": "x" * 32, "name": "x", "username": "carla",
                 "filename": "officina.css", "workflow": "x", "key": "1", "line_id": 1,
                 "filter_id": 1, "index": 0}


def _sample(rule: Rule, argument: str) -> object:
    converter = rule._converters.get(argument)
    if isinstance(converter, AnyConverter):  # e.g. <any(csv, xlsx):kind>
        return sorted(converter.items)[0]
    return SAMPLE_VALUES.get(argument, "1")


def _urls(app: Flask) -> list[tuple[str, str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        values = {arg: _sample(rule, arg) for arg in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((rule.endpoint, method, path))
    return urls


def test_every_endpoint_declares_its_access(app: Flask) -> None:
    undeclared = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                        if endpoint_access(app, rule.endpoint) not in LEVELS)
    assert undeclared == []


def test_only_the_listed_pages_are_public(app: Flask) -> None:
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if endpoint_access(app, rule.endpoint) == PUBLIC}
    assert public <= PUBLIC_ENDPOINTS


def test_no_route_is_reachable_without_signing_in(app: Flask) -> None:
    client = app.test_client()
    reached = []
    for endpoint, method, path in _urls(app):
        level = endpoint_access(app, endpoint)
        if level == PUBLIC:
            continue
        response = client.open(path, method=method)
        location = response.headers.get("Location", "")
        if level == API:
            refused = response.status_code == 401
        elif method == "GET":
            refused = response.status_code == 302 and location.startswith("/login")
        else:
            refused = response.status_code in (400, 401)  # no CSRF token, or not signed in
        if not refused:
            reached.append((method, path, response.status_code))
    assert reached == []


@pytest.mark.parametrize("username", ["carla", "ivo"])
def test_admin_pages_refuse_other_users(app: Flask, signed_in, username: str) -> None:
    client = signed_in(username)
    admin_gets = [(path) for endpoint, method, path in _urls(app)
                  if endpoint_access(app, endpoint) == ADMIN and method == "GET"]
    assert admin_gets  # the administration pages exist, and are walked
    statuses = {path: client.get(path).status_code for path in admin_gets}
    assert all(status == 403 for status in statuses.values()), statuses


def test_signed_in_posts_need_the_csrf_token(app: Flask, signed_in) -> None:
    client = signed_in("anna")
    for endpoint, method, path in _urls(app):
        if method != "POST" or endpoint_access(app, endpoint) == API:
            continue
        response = client.post(path, data={"name": "x"})
        assert response.status_code == 400, (path, response.status_code)
        assert "expired" in response.get_data(as_text=True)
