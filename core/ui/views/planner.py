"""The planner board of an entity that declares ``planner:`` in its metadata.

``GET /app/<entity>/planner?week=2026-11-23`` shows one week, Monday to Sunday in the
instance's time zone, with one row per record of the resource entity the user may read
(ordered by title) and a row "Unassigned"; each record whose start falls in the week is a
card in its row and day. Records without a start are listed below as "To plan". The list
filters of ``planner.filters`` (and any other list filter in the URL, ``f.<field>``, as on
the list page) narrow the cards. Everything is read through the records service as the
signed-in user, so row conditions apply: a technician restricted to his own interventions
sees only those.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import dates
from flask import render_template, request, url_for
from markupsafe import Markup

from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.specs import EntitySpec, FieldSpec, PlannerSpec
from core.records.errors import NotFound, PermissionDenied, QueryError
from core.records.reading import ListQuery
from core.ui.access import USER, access
from core.ui.badges import badge
from core.ui.context import actor, entity_spec, gettext, labels, locale, may, officina, registry
from core.ui.list_query import ListRequest, list_field
from core.ui.views.record_list import _link_title, parser, readable_fields, record_url
from core.ui.views.records import records

CARD_LIMIT = 2_000       # cards of one week, at most
FIRST_YEAR, LAST_YEAR = 1900, 9000  # weeks the board can show
RESOURCE_LIMIT = 500     # rows of the board, at most
TO_PLAN_LIMIT = 50       # records without a start listed under the board


@dataclass
class Card:
    """One record on the board."""

    id: int
    ref: str
    title: str
    time: str
    status: str
    status_class: str
    url: str
    badge: Markup | None = None  # the status as its declared badge


@dataclass
class Row:
    """One resource of the board and its cards, by day (0 is Monday)."""

    id: int | None
    title: str
    url: str | None
    days: list[list[Card]] = field(default_factory=lambda: [[] for _day in range(7)])


def _week_start(text: str, today: dt.date) -> dt.date:
    """The Monday of the week of ``text`` (a date, ``YYYY-MM-DD``), or of today."""
    if not text:
        day = today
    else:
        try:
            day = dt.date.fromisoformat(text)
            if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the neighbouring weeks must exist
                raise ValueError(text)
        except ValueError:
            raise QueryError(gettext(_("\"{value}\" is not a week: give one of its days as "
                                       "YYYY-MM-DD."), value=text)) from None
    return day - dt.timedelta(days=day.weekday())


def _utc(day: dt.date, zone: ZoneInfo) -> str:
    """Midnight of ``day`` in ``zone``, as the naive UTC text the records service compares."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def _local(value: Any, zone: ZoneInfo) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone)


def _status_field(spec: EntitySpec) -> FieldSpec | None:
    """The field a card shows as its status: the workflow's state, else a select ``status``."""
    machine = registry().state_machine(spec.name)
    name = machine.field if machine is not None else "status"
    found = spec.field(name)
    if found is None or not (traits_of(found).family == "choice" and not traits_of(found).multiple):
        return None
    return found


def _all(entity: str, query: ListQuery, limit: int) -> list[dict]:
    """Every row ``query`` finds, page after page, up to ``limit``."""
    service = officina().records
    step = service.options.max_page_size
    rows: list[dict] = []
    while len(rows) < limit:
        page = service.list(actor(), entity, ListQuery(
            filters=query.filters, search=query.search, sort=query.sort, fields=query.fields,
            limit=min(step, limit - len(rows)), offset=len(rows)))
        rows.extend(page.rows)
        if len(page.rows) < page.limit or not page.rows:
            break
    return rows


def _resource_rows(plan: PlannerSpec, spec: EntitySpec) -> list[Row]:
    """The rows of the board: the resource records the user may read, by title."""
    target = registry().entities.get(spec.field(plan.resource).target or "")
    if target is None or not may(target.name, "read"):
        return []
    title = target.title_field
    readable = readable_fields(target)
    if title and readable is not None and title not in readable:
        title = None
    found = _all(target.name, ListQuery(sort=(title or "ref",),
                                        fields=(title,) if title else ()), RESOURCE_LIMIT)
    return [Row(r["id"], str(r.get(title) or r["ref"]) if title else r["ref"],
                record_url(target.name, r["id"])) for r in found]


def _card(spec: EntitySpec, plan: PlannerSpec, row: dict, zone: ZoneInfo,
          status: FieldSpec | None) -> Card:
    shown = locale()
    start = _local(row[plan.start], zone)
    seconds = row.get(plan.duration) if plan.duration else None
    end = start + dt.timedelta(seconds=int(seconds or PlannerSpec.DEFAULT_DURATION))
    time = f"{dates.format_time(start, 'short', locale=shown)}–" \
           f"{dates.format_time(end, 'short', locale=shown)}"  # noqa: RUF001 (an en dash)
    value = row.get(status.name) if status is not None else None
    choices = dict(labels().option_choices(status)) if status is not None else {}
    position = status.options.index(value) if status is not None and value in status.options \
        else -1
    title = row.get(spec.title_field) if spec.title_field else None
    text = choices.get(value, "") if value else ""
    return Card(row["id"], row["ref"], str(title or ""), time, text,
                f"option-{position % 8}" if position >= 0 else "",
                record_url(spec.name, row["id"]),
                badge(status, value, text) if status is not None and value else None)


def _wanted(spec: EntitySpec) -> ListRequest:
    """The list filters and search of the URL, read as the list page reads them."""
    return parser(spec, readable_fields(spec)).parse(request.args)


def _query_string(wanted: ListRequest, week: dt.date | None, page: int = 1) -> str:
    pairs = wanted.arguments(sort=None, page=None, size=None)
    if week is not None:
        pairs.insert(0, ("week", week.isoformat()))
    if page > 1:  # the page of the records to plan
        pairs.append(("page", str(page)))
    return urlencode(pairs)


@records.get("/<entity>/planner")
@access(USER)
def planner_view(entity: str) -> tuple[str, int]:
    """The week board of ``entity``'s records, one row per resource."""
    spec = entity_spec(entity)
    plan = spec.planner
    if plan is None:
        raise NotFound(gettext(_("No such page.")))
    if not may(spec.name, "read"):
        raise PermissionDenied(gettext(_("You may not open this page.")))
    readable = readable_fields(spec)
    if readable is not None and not {plan.start, plan.resource} <= set(readable):
        raise PermissionDenied(gettext(_("You may not open this page.")))
    zone = ZoneInfo(officina().settings.timezone)
    today = dt.datetime.now(zone).date()
    monday = _week_start(request.args.get("week", "").strip(), today)
    wanted = _wanted(spec)
    status = _status_field(spec)
    if status is not None and readable is not None and status.name not in readable:
        status = None
    names = [plan.start, plan.resource, plan.duration, spec.title_field,
             status.name if status else None]
    fields = tuple(dict.fromkeys(n for n in names
                                 if n and (readable is None or n in readable)))
    week = [[plan.start, ">=", _utc(monday, zone)],
            [plan.start, "<", _utc(monday + dt.timedelta(days=7), zone)]]
    found = _all(spec.name, ListQuery(filters=week + wanted.filters,
                                      search=wanted.search or None,
                                      sort=(plan.start,), fields=fields), CARD_LIMIT)
    rows = _resource_rows(plan, spec)
    by_id = {r.id: r for r in rows}
    unassigned = Row(None, gettext(_("Unassigned")), None)
    target = spec.field(plan.resource).target or ""
    for row in found:
        resource = row.get(plan.resource)
        if resource is None:
            board_row = unassigned
        else:
            board_row = by_id.get(resource)
            if board_row is None:  # a resource the user may not list: named by the link
                title = (row.get("_titles") or {}).get(plan.resource) or f"#{resource}"
                board_row = by_id[resource] = Row(resource, str(title),
                                                  record_url(target, resource))
                rows.append(board_row)
        day = (_local(row[plan.start], zone).date() - monday).days
        board_row.days[day].append(_card(spec, plan, row, zone, status))
    if plan.resource in wanted.values:  # filtered on one resource: its row alone
        rows = [r for r in rows if any(r.days)]
    else:
        rows.append(unassigned)
    to_plan = officina().records.list(actor(), spec.name, ListQuery(
        filters=[[plan.start, "is null"], *wanted.filters], search=wanted.search or None,
        fields=fields, sort=plan.to_plan_sort, limit=TO_PLAN_LIMIT,
        offset=(wanted.page - 1) * TO_PLAN_LIMIT))
    offered = [f for f in (list_field(spec, n, readable) for n in plan.filters) if f]
    offered += [v.field for v in wanted.values.values() if v.field not in offered]
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    shown = locale()
    return render_template(
        "planner.html", entity=spec, plan=plan, rows=rows, days=days, today=today,
        day_names=[dates.format_date(d, "EEEE", locale=shown) for d in days],
        day_dates=[dates.format_skeleton("MMMd", d, locale=shown) for d in days],
        week_title=dates.format_interval(days[0], days[-1], "yMMMd", locale=shown),
        previous_url=_planner_url(spec, wanted, monday - dt.timedelta(days=7)),
        next_url=_planner_url(spec, wanted, monday + dt.timedelta(days=7)),
        today_url=_planner_url(spec, wanted, None),
        list_url=url_for("records.planner_view", entity=spec.name),
        keep=[("week", monday.isoformat())], wanted=wanted, filters=offered,
        to_plan=[_unplanned(spec, r) for r in to_plan.rows], to_plan_total=to_plan.total,
        to_plan_first=to_plan.offset + 1,
        to_plan_previous=(_planner_url(spec, wanted, monday, wanted.page - 1)
                          if wanted.page > 1 else None),
        to_plan_next=(_planner_url(spec, wanted, monday, wanted.page + 1)
                      if to_plan.offset + len(to_plan.rows) < to_plan.total else None),
        may_update=may(spec.name, "update"), link_title=_link_title,
        choices=labels().option_choices, filter_label=labels().field_label,
        resource_label=labels().field_label(spec.field(plan.resource))), 200


def _planner_url(spec: EntitySpec, wanted: ListRequest, week: dt.date | None,
                 page: int = 1) -> str:
    query = _query_string(wanted, week, page)
    return url_for("records.planner_view", entity=spec.name) + (f"?{query}" if query else "")


def _unplanned(spec: EntitySpec, row: dict) -> dict[str, Any]:
    title = row.get(spec.title_field) if spec.title_field else None
    return {"ref": row["ref"], "title": str(title or ""), "url": record_url(spec.name, row["id"]),
            "edit_url": url_for("records.edit_view", entity=spec.name, record_id=row["id"])}


BLUEPRINTS: list = []
