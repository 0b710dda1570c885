"""Helpers of the list-page tests: records to list, and reading the rendered table."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask

from core.records.actor import SYSTEM
from core.users import create_user
from tests.support.users import FAST_HASHING

TAG = re.compile(r"<[^>]+>")


def records(app: Flask):
    """The records service of the application."""
    return app.extensions["officina"].records


def add(app: Flask, entity: str, **values: Any) -> dict[str, Any]:
    """Create a record as the system."""
    return records(app).create(SYSTEM, entity, values)


def add_user(app: Flask, username: str, password: str, roles: tuple[str, ...],
             language: str = "en") -> None:
    with app.extensions["officina"].database.write() as connection:
        create_user(connection, username, password, roles=roles, language=language,
                    hashing=FAST_HASHING)


def text(fragment: str) -> str:
    return " ".join(html.unescape(TAG.sub(" ", fragment)).split())


def table_rows(page: str) -> list[list[str]]:
    """The cells' text of each row of the list table (the selection column left out)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", row, re.S)
        values = [text(content) for attrs, content in cells if 'class="select"' not in attrs]
        if 'colspan' not in row:
            rows.append(values)
    return rows


def first_column(page: str) -> list[str]:
    return [row[0] for row in table_rows(page)]


def headers(page: str) -> list[str]:
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [text(h).rstrip(" ▲▼") for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)
            if text(h)]
