"""CSV and XLSX exports of record lists, safe against spreadsheet formula injection."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Columns = Sequence[tuple[str, str]]
Rows = Sequence[Mapping[str, Any]]

# OWASP "CSV injection": text a spreadsheet could read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 8, 60


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula: it starts with a formula
    character, or with one after leading spaces and line breaks (which spreadsheets skip)."""
    return text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when it could be taken for a formula."""
    return f"'{text}" if is_dangerous(text) else text


def _local(moment: dt.datetime, timezone: str | None) -> dt.datetime:
    """A naive datetime (spreadsheets know no zones): naive UTC moved to ``timezone``."""
    if timezone is None:
        return moment.replace(tzinfo=None) if moment.tzinfo is None else moment
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _csv_cell(value: Any, timezone: str | None, decimal_separator: str = ".") -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", decimal_separator)
    if isinstance(value, dt.datetime):
        return _local(value, timezone).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(_text(value))


def to_csv(columns: Columns, rows: Rows, *, delimiter: str = ",",
           timezone: str | None = None, decimal_separator: str = ".") -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents); use ``delimiter=";"`` and
    ``decimal_separator=","`` for Italian Excel (numbers are never neutralised)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([neutralise(header) for _, header in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key), timezone, decimal_separator)
                         for key, _ in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _decimal_format(value: Decimal) -> str:
    exponent = value.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return "#,##0" + ("." + "0" * digits if digits else "")


def _sheet_title(title: str) -> str:
    """A title Excel accepts: no ``[]:*?/\\``, at most 31 characters, not empty."""
    return _SHEET_FORBIDDEN.sub(" ", title).strip("' ")[:31].rstrip() or "Sheet"


def _put(cell: Any, value: Any, formats: Mapping[type, str], timezone: str | None) -> str:
    """Write ``value`` into ``cell`` with its real type; returns the text shown (for widths)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        cell.value = value
        return str(value)
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = _decimal_format(value)
        return str(value)
    if isinstance(value, dt.datetime):
        cell.value = _local(value, timezone)
        cell.number_format = formats[dt.datetime]
        return formats[dt.datetime]
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = formats[dt.date]
        return formats[dt.date]
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(value))
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if is_dangerous(text):
        cell.quotePrefix = True
    return text


def to_xlsx(columns: Columns, rows: Rows, sheet_title: str = "Export", *,
            date_format: str = "yyyy-mm-dd", datetime_format: str = "yyyy-mm-dd hh:mm",
            timezone: str | None = None) -> bytes:
    """An XLSX workbook: typed cells, bold frozen header, columns sized to their content."""
    formats = {dt.date: date_format, dt.datetime: datetime_format}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(sheet_title)
    bold = Font(bold=True)
    widths = [len(header) for _, header in columns]
    for index, (_, header) in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        _put(cell, header, formats, timezone)
        cell.font = bold
    for row_index, row in enumerate(rows, start=2):
        for index, (key, _) in enumerate(columns, start=1):
            shown = _put(sheet.cell(row=row_index, column=index), row.get(key), formats, timezone)
            longest = max((len(line) for line in shown.splitlines()), default=0)
            widths[index - 1] = max(widths[index - 1], longest)
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
