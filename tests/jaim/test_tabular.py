"""The one tabular writer and reader (jaim.tabular): CSV with a BOM and xlsx, types kept, cells that a
spreadsheet would run as formulas neutralised (CSV injection); uploads read whatever encoding Japanese Excel
saved them in. And the public roster's downloads go through it."""

import csv
import datetime as dt
import decimal
import io

import openpyxl
import pytest

from jaim import tabular
from jaim.tabular import TableError

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+81-3-1234",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Japanese Windows reads it as UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


# --- writing CSV ------------------------------------------------------------------------------------------


def test_csv_has_a_bom_crlf_and_neutralises_every_formula_start():
    data = tabular.csv_bytes(["名称", "数"], [[text, 1] for text in HOSTILE])
    assert data.startswith(b"\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0,") and b"\r\n" in data
    rows = _csv(data)
    assert rows[0] == ["名称", "数"]
    assert [r[0] for r in rows[1:]] == ["'" + text for text in HOSTILE]


def test_csv_keeps_numbers_and_writes_dates_iso():
    rows = _csv(
        tabular.csv_bytes(
            ["a", "b", "c", "d", "e"],
            [[-5, 120000, dt.date(2026, 4, 1), None, "普通の名前"]],
        )
    )
    # A negative number is a number, not a formula: it is not touched.
    assert rows[1] == ["-5", "120000", "2026-04-01", "", "普通の名前"]


def test_csv_header_cells_are_neutralised_too():
    assert _csv(tabular.csv_bytes(["=cmd"], []))[0] == ["'=cmd"]


def test_csv_streams_into_a_binary_file_and_leaves_it_open():
    out = io.BytesIO()
    assert tabular.write_csv(out, ["a"], ([i] for i in range(3))) == 3
    out.write(b"")  # still open
    assert _csv(out.getvalue()) == [["a"], ["0"], ["1"], ["2"]]


# --- writing xlsx -----------------------------------------------------------------------------------------


def test_xlsx_writes_formula_like_text_as_string_cells_never_formulas():
    ws = _sheet(tabular.xlsx_bytes(["名称"], [[text] for text in HOSTILE] + [["#N/A"]]))
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [*HOSTILE, "#N/A"]  # the text itself, no apostrophe added
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # text, kept text when edited


def test_openpyxl_alone_would_have_written_a_formula():
    """Why the writer sets the type: without it openpyxl stores '=…' as a formula."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(['=HYPERLINK("http://x","y")'])
    out = io.BytesIO()
    wb.save(out)
    assert _sheet(out.getvalue())["A1"].data_type == "f"


def test_xlsx_keeps_types_ints_as_numbers_and_dates_as_dates():
    made = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    ws = _sheet(
        tabular.xlsx_bytes(
            ["番号", "金額", "日", "日時", "名称"],
            [["J0000123", -5, dt.date(2026, 4, 1), made, "サンプル精工"]],
        )
    )
    number, amount, day, moment, name = (c for c in next(ws.iter_rows(min_row=2)))
    assert (amount.value, amount.data_type) == (-5, "n")
    assert day.is_date and day.value == dt.datetime(2026, 4, 1)
    assert moment.is_date and moment.value == dt.datetime(2026, 11, 2, 12, 0)  # local time (Asia/Tokyo)
    assert (number.value, number.data_type) == ("J0000123", "s")
    assert (name.value, name.quotePrefix) == ("サンプル精工", False)  # ordinary text is left alone


def test_xlsx_preamble_header_and_frozen_panes():
    ws = _sheet(
        tabular.xlsx_bytes(["a", "b"], [[1, 2]], preamble=["題名", "2026年11月2日時点"], freeze_header=True)
    )
    assert ws["A1"].value == "題名" and ws["A1"].font.b and ws["A2"].value == "2026年11月2日時点"
    assert ws["A4"].value == "a" and ws["A4"].font.b and ws["A5"].value == 1
    assert ws.freeze_panes == "A5"


def test_xlsx_rows_are_streamed_in_order_with_markup_and_spaces_kept_as_text():
    rows = [[i, f"<名前&{i}>", " 前後に空白 ", True, decimal.Decimal("1.50")] for i in range(1, 1201)]
    ws = openpyxl.load_workbook(
        io.BytesIO(tabular.xlsx_bytes(["n", "名称", "空白", "真偽", "小数"], rows)), read_only=True
    )
    values = list(ws.active.iter_rows(values_only=True))
    assert len(values) == 1201 and values[0] == ("n", "名称", "空白", "真偽", "小数")
    assert values[1] == (1, "<名前&1>", " 前後に空白 ", True, 1.5)
    assert [v[0] for v in values[1:]] == list(range(1, 1201))


def test_xlsx_drops_control_characters_that_xml_cannot_hold():
    ws = _sheet(tabular.xlsx_bytes(["a"], [["ab\x01c"]]))
    assert ws["A2"].value == "abc"


# --- reading ----------------------------------------------------------------------------------------------

TEXT = "法人名,会員番号\r\n株式会社サンプル精工,J0000123\r\nｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,J0000124\r\n"


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8（BOM付き）"),
        (TEXT.encode("cp932"), "Shift_JIS（CP932）"),
    ],
)
def test_csv_is_read_in_the_encoding_it_was_saved_in(data, label):
    table = tabular.read_table(data, "list.csv")
    assert table.encoding == label
    assert table.header == ["法人名", "会員番号"]
    assert [cells for _line, cells in table.rows] == [
        ["株式会社サンプル精工", "J0000123"],
        ["ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "J0000124"],
    ]


def test_cp932_only_characters_are_read():
    """CP932 (what Japanese Excel writes) has characters Shift_JIS proper has not: ①, ㈱, 髙."""
    encoding, rows = tabular.read_rows("①㈱髙橋製作所\r\n".encode("cp932"))
    assert encoding == "Shift_JIS（CP932）" and list(rows) == [(1, ["①㈱髙橋製作所"])]


def test_xlsx_is_read_as_rows_of_strings():
    data = tabular.xlsx_bytes(["法人番号", "日", "数"], [["4011001098993", dt.date(2026, 4, 1), 12]])
    encoding, rows = tabular.read_rows(data, "list.xlsx")
    assert encoding == "Excel"
    assert list(rows) == [(1, ["法人番号", "日", "数"]), (2, ["4011001098993", "2026-04-01", "12"])]


def test_what_the_writer_writes_the_reader_reads_back():
    rows = [["=1+1", "東京"], ["-3", "大阪"]]
    for data in (tabular.csv_bytes(["a", "b"], rows), tabular.xlsx_bytes(["a", "b"], rows)):
        table = tabular.read_table(data)
        assert table.header == ["a", "b"]
        got = [cells for _line, cells in table.rows]
        assert got in ([["'=1+1", "東京"], ["'-3", "大阪"]], rows)  # CSV keeps its apostrophe; xlsx the text


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "ファイルが空です"),
        ("名前\r\n".encode("utf-16"), "a.csv", "UTF-16 のファイルには対応していません"),
        (b"\x81\x20\xff\xfe\x80", "a.csv", "文字コードを判別できません"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "Excel ファイルを読み込めません"),
        (b"just text", "a.xlsx", "Excel（.xlsx）ファイルではありません"),
        (b"\n\n", "a.csv", "見出し行がありません"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_message(data, name, message):
    with pytest.raises(TableError) as exc:
        tabular.read_table(data, name)
    assert message in exc.value.message


def test_a_malformed_csv_names_its_line():
    old = csv.field_size_limit(10)
    try:
        with pytest.raises(TableError) as exc:
            tabular.read_table(b"a,b\r\n1,2\r\n" + b"x" * 50 + b",3\r\n")
    finally:
        csv.field_size_limit(old)
    assert exc.value.line == 3 and "CSV として読み取れません" in exc.value.message


# --- the public roster's downloads ------------------------------------------------------------------------


@pytest.mark.django_db
def test_roster_downloads_serve_a_formula_name_as_text(client, time_machine):
    """A site registered as =HYPERLINK(…) opens in Excel as text, in the CSV and in the xlsx an officer downloads."""
    from roster import services
    from tests.roster.factories import listed

    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))
    hostile = '=HYPERLINK("http://evil.example/","確認")'
    listed(org_name="株式会社サンプル精工", est_name=hostile, on=dt.date(2026, 4, 1))
    services.build_exports()

    response = client.get("/roster/download/csv/")
    assert response.status_code == 200
    rows = _csv(b"".join(response.streaming_content))
    header, row = rows[0], rows[1]
    assert dict(zip(header, row, strict=True))["事業所名"] == "'" + hostile
    assert row[0] == "2026-11-02"  # the date column as before

    response = client.get("/roster/download/xlsx/")
    ws = _sheet(b"".join(response.streaming_content))
    header = [c.value for c in ws[4]]
    cell = ws.cell(row=5, column=header.index("事業所名") + 1)
    assert (cell.value, cell.data_type) == (hostile, "s")
    assert ws.cell(row=5, column=1).is_date  # 基準日 as a date
    assert ws.cell(row=5, column=header.index("掲載開始日") + 1).value == dt.datetime(2026, 4, 1)
