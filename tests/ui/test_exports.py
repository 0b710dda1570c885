"""CSV and XLSX exports: types, encoding and formula-injection neutralisation."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.ui.exports import neutralise, to_csv, to_xlsx

COLUMNS = [("name", "Nome"), ("amount", "Importo"), ("day", "Data"), ("count", "Numero")]
INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1",
              "\r=1",
              # after leading spaces or line breaks, which spreadsheets skip
              " =1+1", "\n=HYPERLINK(\"http://evil.example\")", "  @SUM(A1)", "\u00a0+1",
              " \r\n-2+3"]


def read_csv(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""),
                           delimiter=delimiter))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("Caffè") == "Caffè"
    assert neutralise("a=b") == "a=b"
    assert neutralise("  note: a=b") == "  note: a=b"
    assert neutralise(" =1") == "' =1"


def test_csv_rows_and_accents():
    rows = [{"name": "Caffè Né", "amount": Decimal("12.50"), "day": dt.date(2026, 11, 23),
             "count": 3}, {"name": None}]
    parsed = read_csv(to_csv(COLUMNS, rows))
    assert parsed == [["Nome", "Importo", "Data", "Numero"],
                      ["Caffè Né", "12.50", "2026-11-23", "3"],
                      ["", "", "", ""]]


def test_csv_semicolon_delimiter_for_italian_excel():
    data = to_csv([("a", "A"), ("b", "B")], [{"a": "x;y", "b": "z"}], delimiter=";")
    assert b"A;B" in data
    assert read_csv(data, ";") == [["A", "B"], ["x;y", "z"]]


def test_csv_quotes_and_newlines_survive():
    rows = [{"name": 'He said "hi",\nthen left'}]
    assert read_csv(to_csv([("name", "Nome")], rows))[1] == ['He said "hi",\nthen left']


@pytest.mark.parametrize("text", INJECTIONS)
def test_csv_neutralises_formulas(text):
    parsed = read_csv(to_csv([("name", "Nome")], [{"name": text}]))
    assert parsed[1] == ["'" + text]


def test_csv_negative_numbers_stay_numbers():
    rows = [{"amount": Decimal("-5.5"), "count": -5}]
    parsed = read_csv(to_csv(COLUMNS, rows))
    assert parsed[1] == ["", "-5.5", "", "-5"]


def test_csv_datetime_in_timezone():
    rows = [{"day": dt.datetime(2026, 11, 23, 13, 30)}]
    parsed = read_csv(to_csv([("day", "Quando")], rows, timezone="Europe/Rome"))
    assert parsed[1] == ["2026-11-23 14:30"]


def test_xlsx_types_and_layout():
    rows = [{"name": "Caffè Né", "amount": Decimal("1234.56"), "day": dt.date(2026, 11, 23),
             "count": 7},
            {"name": "Zoë", "amount": Decimal("-5.5"), "day": None, "count": -5}]
    sheet = read_xlsx(to_xlsx(COLUMNS, rows, "Clienti"))
    assert sheet.title == "Clienti"
    assert [c.value for c in sheet[1]] == ["Nome", "Importo", "Data", "Numero"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    name, amount, day, count = sheet[2]
    assert name.value == "Caffè Né" and name.data_type == "s"
    assert amount.data_type == "n" and amount.value == pytest.approx(1234.56)
    assert amount.number_format == "#,##0.00"
    assert day.is_date and day.value.date() == dt.date(2026, 11, 23)
    assert day.number_format == "yyyy-mm-dd"
    assert count.value == 7 and count.data_type == "n"
    negative = sheet[3]
    assert negative[1].value == pytest.approx(-5.5) and negative[1].data_type == "n"
    assert negative[3].value == -5 and negative[3].data_type == "n"
    assert negative[2].value is None
    assert sheet.column_dimensions["A"].width >= len("Caffè Né")


@pytest.mark.parametrize("text", INJECTIONS)
def test_xlsx_writes_formulas_as_text(text):
    data = to_xlsx([("name", "Nome")], [{"name": text}], "Export")
    cell = read_xlsx(data)["A2"]
    assert cell.data_type == "s"
    assert cell.value == text
    assert cell.quotePrefix
    assert b"<f>" not in data and b"<f " not in data


def test_xlsx_header_cannot_be_a_formula():
    cell = read_xlsx(to_xlsx([("a", "=1+1")], [], "Export"))["A1"]
    assert cell.data_type == "s" and cell.value == "=1+1"


def test_xlsx_datetime_in_timezone_and_lists():
    rows = [{"when": dt.datetime(2026, 7, 1, 22, 15), "tags": ["a", "b"]}]
    sheet = read_xlsx(to_xlsx([("when", "Quando"), ("tags", "Tag")], rows, "X",
                              timezone="Europe/Rome"))
    assert sheet["A2"].value == dt.datetime(2026, 7, 2, 0, 15)
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["B2"].value == "a, b"


def test_xlsx_sheet_title_is_made_valid():
    sheet = read_xlsx(to_xlsx([("a", "A")], [], "Q1/Q2: [report] of a very long name indeed"))
    assert sheet.title == "Q1 Q2   report  of a very long"
    assert len(sheet.title) <= 31


def test_xlsx_drops_control_characters():
    sheet = read_xlsx(to_xlsx([("a", "A")], [{"a": "bad\x01text"}], "X"))
    assert sheet["A2"].value == "badtext"
