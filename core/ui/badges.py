"""Badges: a select's option in its declared colour and icon (``badges`` in the field's
metadata), and a datetime shown as time left or overdue (``due``), for lists, detail pages
and planner cards. Colours are CSS classes (``badge-red``), never inline styles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from babel import Locale
from babel.dates import format_timedelta
from markupsafe import Markup, escape

from core.i18n import _
from core.metadata.specs import FieldSpec
from core.ui import context

SOON = dt.timedelta(hours=4)  # a deadline closer than this is shown as near


def badge(field: FieldSpec, value: Any, text: str) -> Markup | None:
    """The option ``value`` of ``field`` as a badge, when the field styles it."""
    style = next(((color, icon) for option, color, icon in field.badges if option == value),
                 None)
    if style is None:
        return None
    color, icon = style  # the icon is drawn by CSS (attr(data-icon)): not part of the text
    marked = f' data-icon="{escape(icon)}"' if icon else ""
    return Markup(  # noqa: S704 - every part escaped
        f'<span class="badge badge-{escape(color)}"{marked}>{escape(text)}</span>')


def due_maker(locale: Locale | None = None, now: dt.datetime | None = None
              ) -> Callable[[FieldSpec, Any, Mapping[str, Any]], Markup | None]:
    """A function giving the due badge of a datetime field in a record (None when the field
    is not ``due`` or the record is past caring: its select field has moved on)."""
    shown_in = locale or context.locale()
    moment_now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def due(field: FieldSpec, value: Any, record: Mapping[str, Any]) -> Markup | None:
        if field.due is None or value in (None, ""):
            return None
        if field.due and record.get(field.due[0]) not in field.due[1:]:
            return None
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        left = moment - moment_now
        if left < dt.timedelta(0):
            text = context.gettext(_("overdue by {time}"), time=format_timedelta(
                -left, granularity="minute", locale=shown_in))
            kind = "overdue"
        else:
            text = format_timedelta(left, granularity="minute", add_direction=True,
                                    locale=shown_in)
            kind = "soon" if left < SOON else "later"
        return Markup(f'<span class="due due-{kind}">{escape(text)}</span>')  # noqa: S704

    return due
