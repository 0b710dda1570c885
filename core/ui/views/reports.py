"""Report pages (``/app/reports``), their CSV and XLSX exports, and the home dashboard.

Reports come from the packs' ``reports/*.yaml`` and run through the records service as the
signed-in user (``core.ui.reporting``). A report with a ``dashboard`` key appears on the home
page of the roles it names (administrators see every one) as a small chart and table.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from core.i18n import _
from core.records.errors import NotFound, PermissionDenied, RecordError
from core.ui import report_output, reporting
from core.ui.access import USER, access
from core.ui.context import actor, gettext, labels, language, officina
from core.ui.detail import may
from core.ui.exports import to_csv, to_xlsx
from core.ui.views import NavItem, Widget

reports = Blueprint("reports", __name__, url_prefix="/app/reports")
EXPORTS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WIDGET_TEMPLATE = "widgets/report.html"
log = logging.getLogger("officina.ui")


@reports.get("")
@access(USER)
def index_view() -> str:
    """The reports the signed-in user may run."""
    return render_template("reports_index.html", reports=reporting.available(),
                           title_of=reporting.title)


@reports.get("/<report>")
@access(USER)
def report_view(report: str) -> str:
    """One report, with the filters, grouping and chart the query string asks for."""
    spec = reporting.report_spec(report)
    params = reporting.parameters(spec, request.args)
    result = reporting.run(params)
    columns, rows, totals = report_output.table(result)
    export = may(spec.entity, "export")
    return render_template(
        "report.html", spec=spec, title=reporting.title(spec), params=params,
        columns=columns, rows=rows, totals=totals, has_rows=bool(result.rows),
        chart=report_output.chart(result, params.chart, params.measure),
        measures=[(a.label, labels().gettext(a.label)) for a in spec.aggregates],
        export_urls={kind: url_for("reports.export_view", report=spec.name, fmt=kind,
                                   **params.query) for kind in EXPORTS} if export else {})


@reports.get("/<report>/export/<fmt>")
@access(USER)
def export_view(report: str, fmt: str) -> Response:
    """The report's table as CSV or XLSX; needs the ``export`` permission on its entity."""
    if fmt not in EXPORTS:
        raise NotFound(gettext(_("No such page.")))
    spec = reporting.report_spec(report)
    if not may(spec.entity, "export"):
        raise PermissionDenied(gettext(_("You may not export this report.")))
    params = reporting.parameters(spec, request.args)
    result = reporting.run(params)
    columns, rows = report_output.export_table(result)
    timezone = officina().settings.timezone
    title = reporting.title(spec)
    if fmt == "csv":
        body = to_csv(columns, rows, delimiter=";" if language() == "it" else ",",
                      timezone=timezone)
    else:
        italian = language() == "it"
        body = to_xlsx(columns, rows, title, timezone=timezone,
                       date_format="dd/mm/yyyy" if italian else "yyyy-mm-dd",
                       datetime_format="dd/mm/yyyy hh:mm" if italian else "yyyy-mm-dd hh:mm")
    response = Response(body, mimetype=EXPORTS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{spec.name}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def navigation_items() -> list[NavItem]:
    """A "Reports" menu entry when the user may run at least one report."""
    try:
        if not reporting.available():
            return []
    except RecordError:
        return []
    return [NavItem(gettext(_("Reports")), url_for("reports.index_view"))]


def _widget(spec: reporting.ReportSpec) -> Widget | None:
    board = spec.dashboard
    assert board is not None
    try:
        params = reporting.parameters(spec, MultiDict())
        result = reporting.run(params)
    except RecordError as exc:  # a report the user cannot run as it is: leave it out
        log.info("dashboard widget %s left out: %s", spec.name, exc)
        return None
    columns, rows, totals = report_output.table(result)
    kind = board.chart or (spec.chart if spec.chart != "none" else "bar")
    title = reporting.title(spec)
    return Widget(template=WIDGET_TEMPLATE, title=title, values={
        "name": spec.name,
        "chart": report_output.chart(result, kind, None, width=420, height=240, heading=title),
        "columns": columns, "rows": rows[:board.rows], "more": len(rows) > board.rows,
        "totals": totals, "url": url_for("reports.report_view", report=spec.name)})


def dashboard_widgets() -> list[Widget]:
    """The report widgets of the signed-in user's roles (all of them for administrators)."""
    user = actor()
    chosen = [spec for spec in reporting.all_reports().values()
              if spec.dashboard is not None
              and (user.is_admin or user.roles & spec.dashboard.roles)
              and reporting.runnable(spec)]
    chosen.sort(key=lambda s: (s.dashboard.order if s.dashboard else 0, s.name))
    return [w for w in (_widget(spec) for spec in chosen) if w is not None]


BLUEPRINTS = [reports]
