"""The whole-roster PDF (roster.exports.write_pdf, drawn by roster.listpdf) read back as a person would read the
printout: the words and their boxes on each page from poppler's `pdftotext -bbox`. Every page has the header
(title, as-of date, made at, the first – last member number of that page), the table's header row and its
number; every line of the roster is there exactly once, whole on one page (its number and all its names on the
same page: never split); long names wrap inside their column; old and new names stand side by side during a
change (R13) and the new location after a relocation (R14)."""

import datetime as dt
import html
import io
import re
import subprocess
from dataclasses import dataclass

import pytest
from django.utils import timezone

from members import services as members
from roster import exports, listpdf
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 11, 2)
COLUMNS = ["会員番号", "法人番号", "法人名", "事業所名", "所在地", "産業分類", "掲載開始日"]
LONG_JA = "株式会社" + "超精密光学機械部品総合製造販売" * 12 + "ホールディングス"  # 200 characters, no break
LONG_LATIN = "International Precision Manufacturing Holdings Corporation of Greater Nagoya " * 2
LONG_WORD = "X" * 120  # a single word wider than its column: must break, not overflow
NEW_LONG = "株式会社" + "新しい名称の合併後精密機械工業" * 6


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))  # 12:00 in Tokyo


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float  # from the top of the page
    x1: float
    y1: float
    text: str


def pages_of(raw: bytes) -> list[list[Word]]:
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=raw, capture_output=True, check=True)
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", out.stdout.decode(), flags=re.S):
        pages.append(
            [
                Word(float(a), float(b), float(c), float(d), html.unescape(t))
                for a, b, c, d, t in re.findall(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                    page,
                )
            ]
        )
    return pages


def column_of(word: Word) -> int:
    middle = (word.x0 + word.x1) / 2
    for i, (left, width) in enumerate(zip(listpdf.COLUMN_X, listpdf.COLUMN_WIDTHS, strict=True)):
        if left <= middle < left + width:
            return i
    raise AssertionError(f"outside the table: {word}")


def render(**kwargs) -> bytes:
    out = io.BytesIO()
    exports.write_pdf(TODAY, out, made_at=timezone.now(), **kwargs)
    return out.getvalue()


@pytest.fixture
def roster():
    """64 ordinary lines, the longest names the fields allow (Japanese without a break, Latin with spaces, one
    Latin word), a renamed company with a long new name and a relocated site."""
    names = [f"株式会社テスト{i:03d}" for i in range(64)]
    entries = [listed(org_name=name, on=D(2026, 4, 1)) for name in names[:20]]
    entries.append(listed(org_name=LONG_JA, est_name="第二" * 40 + "工場", on=D(2026, 4, 1)))
    entries += [listed(org_name=name, on=D(2026, 4, 1)) for name in names[20:40]]
    entries.append(listed(org_name=LONG_LATIN.strip(), on=D(2026, 4, 1)))
    entries.append(listed(org_name=LONG_WORD, on=D(2026, 4, 1)))
    renamed = listed(org_name="株式会社まえの名前", est_name="旧本社工場", on=D(2026, 4, 1))
    entries.append(renamed)
    members.record_identity_change(
        renamed.establishment,
        kind="NAME_CHANGE",
        new_organisation_name=NEW_LONG,
        new_establishment_name="新本社工場",
        accepted_on=D(2026, 10, 15),
    )
    moved = listed(org_name="株式会社おひっこし", prefecture="13", city="千代田区", on=D(2026, 4, 1))
    entries.append(moved)
    members.record_identity_change(
        moved.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="",
        new_prefecture="27",
        new_city="大阪市北区",
        accepted_on=D(2026, 10, 15),
    )
    entries += [listed(org_name=name, on=D(2026, 4, 1)) for name in names[40:]]
    return entries


@pytest.fixture
def changes():
    """Two ordinary lines, a renamed company and a relocated site."""
    entries = [listed(org_name="株式会社いちばん", on=D(2026, 4, 1))]
    renamed = listed(org_name="株式会社まえの名前", est_name="旧本社工場", on=D(2026, 4, 1))
    members.record_identity_change(
        renamed.establishment,
        kind="NAME_CHANGE",
        new_organisation_name=NEW_LONG,
        new_establishment_name="新本社工場",
        accepted_on=D(2026, 10, 15),
    )
    moved = listed(org_name="株式会社おひっこし", prefecture="13", city="千代田区", on=D(2026, 4, 1))
    members.record_identity_change(
        moved.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="",
        new_prefecture="27",
        new_city="大阪市北区",
        accepted_on=D(2026, 10, 15),
    )
    entries += [renamed, moved, listed(org_name="株式会社さいご", on=D(2026, 4, 1))]
    return entries


def expected_cells(m) -> dict[int, str]:
    """What the PDF shows in the name and location columns of a line (the WeasyPrint template's texts)."""
    line = m.roster_entry.lines.get(valid_until__isnull=True)
    org, est = line.organisation_name, line.establishment_name
    if line.change_kind and line.new_organisation_name != org:
        org += "（新）" + line.new_organisation_name
    if line.change_kind and line.new_establishment_name != est:
        est += "（新）" + line.new_establishment_name
    location = line.location + (f"（移転後）{line.new_location}" if line.new_location else "")
    return {2: org, 3: est, 4: location}


def test_every_page_has_its_header_and_every_line_is_there_once_whole_and_wrapped_inside_its_column(roster):
    raw = render()
    pages = pages_of(raw)
    numbers = [m.member_number for m in roster]
    assert len(numbers) == 69
    # plausible: a line of one text line is ~14.7 pt high, a page has ~500 pt for the table
    assert 3 <= len(pages) <= 6

    seen: dict[str, int] = {}
    text_lines: dict[tuple[str, int], int] = {}  # (member number, column) → text lines the cell took
    top, bottom = listpdf.MARGIN_Y, listpdf.PAGE_HEIGHT - listpdf.MARGIN_Y
    for n, words in enumerate(pages, start=1):
        header = [w.text for w in sorted(words, key=lambda w: w.x0) if w.y1 < top]
        footer = [w.text for w in words if w.y0 > bottom]
        head_row_y = min(w.y0 for w in words if w.text == "会員番号")
        above = [w.text for w in words if top <= w.y0 < head_row_y - 0.5]
        assert above == (
            ["JAIM", "賛助会員名簿（2026年11月2日時点・69件）"] if n == 1 else []
        )  # the title once
        body = [w for w in words if head_row_y - 0.5 <= w.y0 and w.y1 <= bottom]
        assert footer == [str(n)]  # the page number, bottom centre
        assert [w.text for w in sorted(body, key=lambda w: w.x0) if w.y0 == head_row_y] == COLUMNS
        rows = sorted(
            (w for w in body if column_of(w) == 0 and re.fullmatch(r"J\d{7}", w.text)), key=lambda w: w.y0
        )
        on_page = [w.text for w in rows]
        assert on_page == sorted(on_page)
        assert (
            " ".join(header)
            == f"JAIM 賛助会員名簿 2026年11月2日時点 {on_page[0]} – {on_page[-1]} 作成 2026-11-02 12:00"
        )
        for number in on_page:
            seen[number] = seen.get(number, 0) + 1
        # each line whole on this page: its names, wrapped over as many text lines as needed, are all here
        for i, number_word in enumerate(rows):
            m = next(m for m in roster if m.member_number == number_word.text)
            end = rows[i + 1].y0 if i + 1 < len(rows) else bottom
            cell_words = [w for w in body if number_word.y0 - 0.5 <= w.y0 < end - 0.5]
            for column, text in expected_cells(m).items():
                pieces = sorted((w for w in cell_words if column_of(w) == column), key=lambda w: (w.y0, w.x0))
                assert "".join(w.text for w in pieces) == text.replace(" ", ""), (number_word.text, column)
                text_lines[number_word.text, column] = len({round(w.y0, 1) for w in pieces})
        # nothing runs out of its column (a 13-digit 法人番号 may use the cell's padding)
        for w in body:
            column = column_of(w)
            left = listpdf.COLUMN_X[column]
            assert left <= w.x0 and w.x1 <= left + listpdf.COLUMN_WIDTHS[column] + 0.5, w
    assert seen == dict.fromkeys(numbers, 1)  # every line exactly once

    lines_of = {m.establishment.organisation.name: text_lines[m.member_number, 2] for m in roster}
    assert lines_of[LONG_JA] >= 8 and lines_of[LONG_LATIN.strip()] >= 3 and lines_of[LONG_WORD] >= 3
    assert lines_of["株式会社テスト000"] == 1


def test_old_and_new_names_and_the_new_location_stand_side_by_side(changes):
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=render(), capture_output=True, check=True
    ).stdout.decode()
    flat = text.replace("\n", "").replace(" ", "")
    assert "株式会社まえの名前（新）" + NEW_LONG[:10] in flat
    assert "旧本社工場（新）新本社工場" in flat
    assert "東京都千代田区（移転後）大阪府大阪市北区" in flat


def test_an_empty_roster_is_one_page_saying_so():
    pages = pages_of(render())
    assert len(pages) == 1
    text = "".join(w.text for w in pages[0])
    assert "掲載されている事業所はありません。" in text and "0件" in text and "会員番号" not in text


def test_document_title_language_page_size_and_the_font_embedded_once(changes):
    import pikepdf

    raw = render()
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "JAIM 賛助会員名簿（2026年11月2日時点）"
        with pdf.open_metadata() as meta:
            assert meta["dc:title"] == "JAIM 賛助会員名簿（2026年11月2日時点）"
        assert str(pdf.Root.Lang) == "ja"
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert box[2] > box[3] and round(box[2]) == 842 and round(box[3]) == 595  # A4 landscape
        fonts = {}
        for page in pdf.pages:
            for _name, font in page.Resources.Font.items():
                fonts[font.objgen] = font
    ipaex = [f for f in fonts.values() if "IPAexGothic" in str(f.BaseFont)]
    # the font's glyphs embedded once for the whole file (ReportLab's subsets of ≤ 256 glyphs, each once),
    # not once per page or chunk
    assert ipaex and all("/FontFile2" in f.FontDescriptor for f in ipaex)
    assert len({str(f.BaseFont) for f in ipaex}) == len(ipaex)
    assert len(ipaex) <= 3


def test_lines_are_read_from_the_database_in_chunks_with_a_fixed_number_of_queries(
    changes, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(exports, "PDF_CHUNK", 2)
    out = io.BytesIO()
    with django_assert_max_num_queries(2):  # the count for the title, the lines through one cursor
        assert exports.write_pdf(TODAY, out, made_at=timezone.now()) == 4


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("株式会社サンプル精工", 200, ["株式会社サンプル精工"]),
        # a closing bracket or 、never starts a line; an opening bracket never ends one
        # a closing bracket never starts a line, nor does 、; an opening bracket never ends one
        ("製造業（車両用、船舶用を含む）", 7.5 * 14, ["製造業（車両用、船舶用を含", "む）"]),
        ("株式会社製造、販売", 7.5 * 6, ["株式会社製", "造、販売"]),
        ("製造業製造業（車両用", 7.5 * 7, ["製造業製造業", "（車両用"]),
        # Latin words break at spaces
        ("Precision Works Holdings", 50, ["Precision", "Works", "Holdings"]),
    ],
)
def test_wrap_breaks_japanese_between_characters_with_the_line_breaking_rules(text, width, expected):
    from roster import pdf

    listpdf._register_font(str(pdf.font_path()))
    lines = listpdf.wrap(text, width)
    assert lines == expected
    assert all(listpdf.text_width(line) <= width + 1e-6 for line in lines)


def test_wrap_keeps_a_13_digit_corporate_number_whole_and_breaks_a_word_wider_than_the_cell():
    from roster import pdf

    listpdf._register_font(str(pdf.font_path()))
    width = listpdf.TEXT_WIDTHS[1]
    assert listpdf.text_width("7600099615275") > width  # a little wider than the column's text box
    assert listpdf.wrap("7600099615275", width) == ["7600099615275"]
    lines = listpdf.wrap(LONG_WORD, 100)
    assert "".join(lines) == LONG_WORD and len(lines) > 1
    assert all(listpdf.text_width(line) <= 100 + listpdf.PAD_X for line in lines)
