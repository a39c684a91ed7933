"""Spreadsheets (电子表格): export, neutralisation (SECURITY.md P24), reading and parsers."""

from __future__ import annotations

import ast
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from selection.spreadsheets import (
    MAX_ROWS, Column, Problem, Sheet, choice_cell, date_cell, display_width, export_xlsx, read_xlsx,
    score_cell, template_xlsx, text_cell, whole_number_cell,
)

COLUMNS = [
    Column("姓名", "name", text_cell, required=True),
    Column("笔试成绩", "written", score_cell, required=True),
    Column("考场", "room", whole_number_cell),
    Column("考试日期", "exam_date", date_cell),
    Column("性别", "sex", choice_cell({"男": "male", "女": "female", "male": "male", "female": "female"})),
]


def _xlsx(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    """A workbook written by plain openpyxl, as Excel would store the typed values."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _only_problem(data: bytes, columns: list[Column] = COLUMNS) -> Problem:
    result = read_xlsx(data, headers=columns)
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def _cell_problem(column: str, value: object) -> Problem:
    """The problem reported for one bad value in an otherwise good row 2."""
    row: dict[str, object] = {"姓名": "张三", "笔试成绩": 80, "考场": 1, "考试日期": "2025-03-01", "性别": "男"}
    row[column] = value
    problem = _only_problem(_xlsx([list(row), list(row.values())]))
    assert (problem.row, problem.column) == (2, column)
    return problem


# --- export -----------------------------------------------------------------------------

def test_export_then_read_round_trips_every_kind_of_value() -> None:
    sheet = Sheet("成绩", ["姓名", "笔试成绩", "考场", "考试日期", "性别"], [
        ["张三", Decimal("78.5"), 3, date(2025, 3, 1), "男"],
        ["李四", Decimal("100"), 0, date(2025, 3, 2), "female"],
        ["王五", Decimal("59.99"), None, None, None],
    ])

    result = read_xlsx(export_xlsx([sheet]), headers=COLUMNS)

    assert result.problems == []
    assert [row.number for row in result.rows] == [2, 3, 4]
    assert result.rows[0].values == {"name": "张三", "written": Decimal("78.5"), "room": 3,
                                     "exam_date": date(2025, 3, 1), "sex": "male"}
    assert result.rows[1].values["written"] == Decimal("100")
    assert result.rows[2].values == {"name": "王五", "written": Decimal("59.99"), "room": None,
                                     "exam_date": None, "sex": None}


def test_export_formats_header_dates_decimals_and_widths() -> None:
    data = export_xlsx([Sheet("名单", ["姓名", "x"], [["欧阳娜娜娜娜", Decimal("7.5")], [None, date(2025, 1, 2)]])])

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active

    assert sheet.title == "名单"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and sheet["B1"].font.b
    assert sheet["B2"].data_type == "n" and sheet["B2"].number_format == "0.00"
    assert sheet["B3"].is_date and sheet["B3"].value == datetime(2025, 1, 2)
    assert sheet["A3"].value is None
    # six CJK characters are twelve units wide, plus padding; a date is ten
    assert sheet.column_dimensions["A"].width == 14
    assert sheet.column_dimensions["B"].width == 12


def test_export_writes_several_sheets_with_titles_excel_accepts() -> None:
    data = export_xlsx([Sheet("a/b", ["x"], []), Sheet("A/B", ["y"], []), Sheet("x" * 40, ["z"], [])])

    titles = openpyxl.load_workbook(io.BytesIO(data)).sheetnames

    assert titles == ["a_b", "A_B (2)", "x" * 31]


def test_display_width_counts_cjk_double() -> None:
    assert display_width("ab") == 2
    assert display_width("张三") == 4
    assert display_width("Ａ") == 2


@pytest.mark.parametrize("text", ["=1+2", "=HYPERLINK(\"http://x\")", "+86 138", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_export_neutralises_formula_prefixes(text: str) -> None:
    data = export_xlsx([Sheet("s", [text], [[text]])])

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active

    for cell in (sheet["A1"], sheet["A2"]):
        # XML reads a stored carriage return back as a line feed; the quote in front is what counts
        assert cell.value == "'" + text.replace("\r", "\n")
        assert cell.data_type == "s"
    raw = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in raw


def test_export_leaves_numbers_and_harmless_text_alone() -> None:
    data = export_xlsx([Sheet("s", ["h"], [[-5], [Decimal("-1.5")], ["a=b"], ["'quoted"]])])

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active

    assert [sheet.cell(row, 1).value for row in range(2, 6)] == [-5, -1.5, "a=b", "'quoted"]


def test_read_takes_the_neutralising_quote_off_text() -> None:
    data = export_xlsx([Sheet("s", ["姓名", "笔试成绩"], [["=cmd|' /C calc'!A0", 1], ["-张", 2]])])

    result = read_xlsx(data, headers=COLUMNS[:2])

    assert [row.values["name"] for row in result.rows] == ["=cmd|' /C calc'!A0", "-张"]


def test_template_has_the_headers_and_example_row() -> None:
    data = template_xlsx("成绩导入", COLUMNS, [["张三", Decimal("78.5"), 1, date(2025, 3, 1), "男"]])

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active

    assert sheet.title == "成绩导入"
    assert [cell.value for cell in sheet[1]] == ["姓名", "笔试成绩", "考场", "考试日期", "性别"]
    assert read_xlsx(data, headers=COLUMNS).rows[0].values["written"] == Decimal("78.5")


# --- headers ----------------------------------------------------------------------------

def test_read_accepts_headers_in_any_order_and_skips_blank_rows() -> None:
    data = _xlsx([[None], ["性别", " 笔试成绩 ", "姓名"], ["女", 90, "李四"], [None, "  ", None], ["男", 60, "张三"]])

    result = read_xlsx(data, headers=COLUMNS)

    assert result.problems == []
    assert [(row.number, row.values["name"], row.values["sex"]) for row in result.rows] == [
        (3, "李四", "female"), (5, "张三", "male")]


def test_read_reports_unknown_columns_and_still_reads_rows() -> None:
    data = _xlsx([["姓名", "笔试成绩", "备注"], ["张三", 80, "x"]])

    result = read_xlsx(data, headers=COLUMNS)

    assert [(p.row, p.column, p.message) for p in result.problems] == [(1, "备注", "Unknown column; it is ignored.")]
    assert result.rows[0].values["name"] == "张三"


def test_read_names_every_missing_required_column() -> None:
    problem = _only_problem(_xlsx([["考场"], [1]]))

    assert problem.row == 1
    assert problem.params == {"columns": "姓名, 笔试成绩"}
    assert str(problem) == "row 1: Required columns are missing: 姓名, 笔试成绩"


def test_read_refuses_a_duplicated_column() -> None:
    result = read_xlsx(_xlsx([["姓名", "笔试成绩", "姓名"], ["a", 1, "b"]]), headers=COLUMNS)

    assert result.rows == []
    assert [(p.row, p.column) for p in result.problems] == [(1, "姓名")]


def test_read_an_empty_sheet() -> None:
    problem = _only_problem(_xlsx([]))

    assert problem.row is None and "empty" in problem.message


# --- parsers ----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    (78.5, Decimal("78.5")), (59.99, Decimal("59.99")), (100, Decimal("100")), (0, Decimal("0")),
    ("78.5", Decimal("78.5")), (" 60 ", Decimal("60")), (0.1, Decimal("0.1")),
])
def test_score_is_exact(raw: object, expected: Decimal) -> None:
    value = read_xlsx(_xlsx([["姓名", "笔试成绩"], ["张三", raw]]), headers=COLUMNS).rows[0].values["written"]

    assert value == expected
    assert str(value) == str(expected)


@pytest.mark.parametrize(("raw", "message"), [
    (100.5, "100.5 is outside 0–100"), (-1, "-1 is outside 0–100"), (78.555, "78.555 has more than 2 decimals"),
    ("abc", "abc is not a number"), ("NaN", "NaN is not a number"), (True, "True is not a number"),
    (datetime(2025, 1, 1), "2025-01-01 00:00:00 is not a number"),
])
def test_score_refuses(raw: object, message: str) -> None:
    problem = _cell_problem("笔试成绩", raw)

    assert problem.message % problem.params == message
    assert str(problem) == f"row 2, 笔试成绩: {message}"


def test_score_message_is_a_translatable_msgid() -> None:
    problem = _cell_problem("笔试成绩", 100.5)

    assert problem.message == "%(value)s is outside 0–100"
    assert problem.params == {"value": "100.5"}


def test_required_text_cannot_be_blank() -> None:
    problem = _cell_problem("姓名", "   ")

    assert problem.message == "A value is required."


def test_text_is_stripped_and_numbers_read_as_typed() -> None:
    rows = read_xlsx(_xlsx([["姓名", "笔试成绩"], ["  张三 ", 1], [12, 1], [1.5, 1]]), headers=COLUMNS).rows

    assert [row.values["name"] for row in rows] == ["张三", "12", "1.5"]


@pytest.mark.parametrize(("raw", "expected"), [(3, 3), ("12", 12), (4.0, 4), (0, 0)])
def test_whole_number_accepts(raw: object, expected: int) -> None:
    rows = read_xlsx(_xlsx([["姓名", "笔试成绩", "考场"], ["张三", 1, raw]]), headers=COLUMNS).rows

    assert rows[0].values["room"] == expected


@pytest.mark.parametrize(("raw", "message"), [
    (2.5, "2.5 is not a whole number"), (-1, "-1 is negative"), ("three", "three is not a whole number"),
])
def test_whole_number_refuses(raw: object, message: str) -> None:
    problem = _cell_problem("考场", raw)

    assert problem.message % problem.params == message


@pytest.mark.parametrize(("raw", "expected"), [
    (date(2025, 3, 1), date(2025, 3, 1)), (datetime(2025, 3, 1), date(2025, 3, 1)),
    ("2025-03-01", date(2025, 3, 1)), (" 2024-02-29 ", date(2024, 2, 29)),
])
def test_date_accepts(raw: object, expected: date) -> None:
    rows = read_xlsx(_xlsx([["姓名", "笔试成绩", "考试日期"], ["张三", 1, raw]]), headers=COLUMNS).rows

    assert rows[0].values["exam_date"] == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("2025-02-30", "2025-02-30 is not a date (YYYY-MM-DD)"), ("2025/03/01", "2025/03/01 is not a date (YYYY-MM-DD)"),
    ("20250301", "20250301 is not a date (YYYY-MM-DD)"), (45717, "45717 is not a date (YYYY-MM-DD)"),
    (datetime(2025, 3, 1, 9, 30), "2025-03-01 09:30:00 is not a date (it has a time of day)"),
])
def test_date_refuses(raw: object, message: str) -> None:
    problem = _cell_problem("考试日期", raw)

    assert problem.message % problem.params == message


@pytest.mark.parametrize(("raw", "expected"), [("男", "male"), ("女", "female"), (" Female ", "female")])
def test_choice_accepts_chinese_or_english(raw: str, expected: str) -> None:
    rows = read_xlsx(_xlsx([["姓名", "笔试成绩", "性别"], ["张三", 1, raw]]), headers=COLUMNS).rows

    assert rows[0].values["sex"] == expected


def test_choice_refuses_and_lists_the_choices() -> None:
    problem = _cell_problem("性别", "未知")

    assert problem.message % problem.params == "未知 is not one of: 男, 女, male, female"


def test_a_row_with_a_problem_is_left_out_and_every_problem_named() -> None:
    data = _xlsx([["姓名", "笔试成绩", "考场"], ["张三", 80, 1], [None, 101, -1], ["李四", 70, 2]])

    result = read_xlsx(data, headers=COLUMNS)

    assert [row.number for row in result.rows] == [2, 4]
    assert [(p.row, p.column, p.message) for p in result.problems] == [
        (3, "姓名", "A value is required."), (3, "笔试成绩", "%(value)s is outside 0–100"),
        (3, "考场", "%(value)s is negative")]


def test_a_callers_own_parser_may_raise_value_error() -> None:
    def even(raw: object) -> int:
        if int(str(raw)) % 2:
            raise ValueError("must be even")
        return int(str(raw))

    result = read_xlsx(_xlsx([["n"], [2], [3]]), headers=[Column("n", "n", even)])

    assert [row.values for row in result.rows] == [{"n": 2}]
    assert [str(p) for p in result.problems] == ["row 3, n: must be even"]


# --- bad files and limits ---------------------------------------------------------------

def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [
    b"", b"\x00\x01garbage" * 100, "姓名,笔试成绩\n张三,80\n".encode(), _zip({"readme.txt": b"hello"}),
    _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"}),
    _xlsx([["姓名"]])[:-100],
], ids=["empty", "random", "csv", "zip", "fake-workbook", "truncated"])
def test_not_an_xlsx_gives_one_problem_never_an_exception(data: bytes) -> None:
    problem = _only_problem(data)

    assert problem.row is None and problem.column is None
    assert "workbook" in problem.message or "damaged" in problem.message


def test_a_file_over_20_mb_is_refused_unread() -> None:
    problem = _only_problem(b"\x00" * (20 * 1024 * 1024 + 1))

    assert str(problem) == "The file is larger than 20 MB."


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # the real limit is 200,000; a smaller one exercises the same code quickly
    monkeypatch.setattr("selection.spreadsheets.MAX_ROWS", 3)
    data = _xlsx([["姓名", "笔试成绩"]] + [["张三", 1]] * 4)

    result = read_xlsx(data, headers=COLUMNS)

    assert result.rows == []
    assert [str(p) for p in result.problems] == ["The sheet has more than 3 rows."]
    assert MAX_ROWS == 200_000


def test_ten_thousand_rows_are_read() -> None:
    rows = [[f"考生{n}", Decimal(n % 10_001) / 100, n] for n in range(10_000)]
    data = export_xlsx([Sheet("s", ["姓名", "笔试成绩", "考场"], rows)])

    result = read_xlsx(data, headers=COLUMNS)

    assert result.problems == []
    assert len(result.rows) == 10_000
    assert result.rows[-1].number == 10_001
    assert result.rows[7_899].values == {"name": "考生7899", "written": Decimal("78.99"), "room": 7_899,
                                         "exam_date": None, "sex": None}


def test_module_imports_no_flask_or_database() -> None:
    path = Path(__file__).resolve().parents[2] / "selection" / "spreadsheets.py"
    modules = {node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ImportFrom)}
    modules |= {alias.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Import) for alias in node.names}

    assert not any(str(m).startswith(("flask", "sqlalchemy", "selection.extensions", "selection.models"))
                   for m in modules)


def test_a_workbook_that_inflates_too_far_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # a zip bomb: the limit is 400 MB unpacked; a smaller one exercises the same check
    monkeypatch.setattr("selection.spreadsheets.MAX_UNPACKED_BYTES", 1024 * 1024)
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b" " * (2 * 1024 * 1024)})

    problem = _only_problem(data)

    assert str(problem) == "The file unpacks to more than 1 MB."
