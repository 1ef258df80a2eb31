"""The whole-roster PDF, drawn directly with ReportLab's canvas: a fixed-column table, A4 landscape.

WeasyPrint lays out about 230 lines of this table per second and core (CSS cascade and table layout of some
50,000 elements per 1,000 lines); the list's layout is fixed, so it is computed here instead: the column
widths are the template's old percentages, each cell's text is wrapped by measuring the glyph widths of the
pinned font (IPAex Gothic, settings.JAIM_PDF_FONT via roster.pdf.font_path), every line's height is known
before it is placed, and a line that does not fit on the page starts the next one — a line is never split.
Each page has the header (title, as-of date, first – last member number of the page, made at), the table's
header row and its page number. The font is embedded once for the whole file, as a subset of the glyphs used
(ReportLab writes it as subsets of at most 256 glyphs each; every glyph is embedded once).

Nothing in a name is interpreted: the texts are drawn as strings (no markup, no URL fetched)."""

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape  # nosec B406 - escapes text for ReportLab's markup; nothing is parsed

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MM = 72 / 25.4
PAGE_MARGIN_X = 10 * MM
MARGIN_Y = 14 * MM  # top and bottom; the page header and the page number sit in the middle of these
BODY_MARGIN = 6.0  # the HTML body's 8 px the WeasyPrint layout had: left and right, and above the title
MARGIN_X = PAGE_MARGIN_X + BODY_MARGIN
TABLE_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
COLUMN_SHARES = (
    7,
    9,
    20,
    15,
    14,
    27,
    8,
)  # 会員番号, 法人番号, 法人名, 事業所名, 所在地, 産業分類, 掲載開始日 (%)
COLUMN_WIDTHS = tuple(TABLE_WIDTH * share / 100 for share in COLUMN_SHARES)
COLUMN_X = tuple(MARGIN_X + sum(COLUMN_WIDTHS[:i]) for i in range(len(COLUMN_WIDTHS)))
PAD_X, PAD_Y = 1.5 * MM, 1.2 * MM
TEXT_WIDTHS = tuple(w - 2 * PAD_X for w in COLUMN_WIDTHS)
FONT_SIZE = 7.5
LEADING = 7.5  # IPAex Gothic's ascent + descent is exactly 1 em: CSS line-height "normal"
ASCENT = 1802 / 2048  # of the em, from the font's hhea table
BORDER = 0.4
HEADER_SIZE = 8.0
TITLE_SIZE = 13.0
TITLE_GAP = 3 * MM

TEXT = (0x11 / 255, 0x11 / 255, 0x11 / 255)
GREY = (0x44 / 255, 0x44 / 255, 0x44 / 255)
NEW = (0x0B / 255, 0x4A / 255, 0x8C / 255)
RULE = (0xAA / 255, 0xAA / 255, 0xBB / 255)
HEAD_FILL = (0xEE / 255, 0xF2 / 255, 0xF8 / 255)

FONT_NAME = "JAIM-IPAexGothic"

# Japanese line-breaking rules (禁則), the common subset: these never start a line …
NO_LINE_START = frozenset(
    "、。，．・：；？！ー—‐〜ゝゞヽヾ々）］｝〕〉》」』】’”ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.)]}:;!?%"
)
# … and these never end one.
NO_LINE_END = frozenset("（［｛〔〈《「『【‘“([{")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_&'")

_font_lock = threading.Lock()
_font_path: str | None = None
_widths: dict[str, float] = {}
_default_width = 1000.0


def _register_font(path: str) -> None:
    """Parse the TrueType file once per process (about a second for IPAex Gothic) and keep its advance widths
    per character, in 1/1000 em."""
    global _font_path, _default_width
    with _font_lock:
        if _font_path == path:
            return
        font = TTFont(FONT_NAME, path)
        pdfmetrics.registerFont(font)
        face = font.face
        _widths.clear()
        _widths.update({chr(code): float(width) for code, width in face.charWidths.items()})
        _default_width = float(face.defaultWidth)
        _font_path = path


def text_width(text: str, size: float = FONT_SIZE) -> float:
    get = _widths.get
    return sum(get(ch, _default_width) for ch in text) * size / 1000


def wrap(text: str, width: float, size: float = FONT_SIZE, overhang: float = PAD_X) -> list[str]:
    """The text in lines no wider than `width` points: Japanese breaks between any two characters except
    before closing punctuation and small kana and after opening brackets; a Latin word or a number breaks at
    a space when it can, runs up to `overhang` points into the cell's padding when that keeps it whole (a
    13-digit 法人番号 in its column), and else breaks where it must. A single character wider than the cell
    still gets a line of its own."""
    if not text:
        return [""]
    get = _widths.get
    scale = size / 1000
    limit = width / scale
    if sum(get(ch, _default_width) for ch in text) <= limit:
        return [text]
    if not any(ch not in _WORD for ch in text):  # one word
        if sum(get(ch, _default_width) for ch in text) <= limit + overhang / scale:
            return [text]
    lines: list[str] = []
    start, used, n = 0, 0.0, len(text)
    i = 0
    while i < n:
        w = get(text[i], _default_width)
        if used + w <= limit or i == start:
            used += w
            i += 1
            continue
        cut = i
        while cut > start + 1 and (text[cut] in NO_LINE_START or text[cut - 1] in NO_LINE_END):
            cut -= 1
        if text[cut] in _WORD and text[cut - 1] in _WORD:
            space = text.rfind(" ", start + 1, cut)
            end = cut
            while end < n and text[end] in _WORD:
                end += 1
            if space > start:
                cut = space + 1
            elif sum(get(ch, _default_width) for ch in text[start:end]) <= limit + overhang / scale:
                cut = end  # a number or word a little wider than the cell keeps whole, into the padding
        lines.append(text[start:cut].rstrip(" "))
        while cut < n and text[cut] == " ":
            cut += 1
        start = i = cut
        used = 0.0
    if start < n:
        lines.append(text[start:])
    return lines


@dataclass(frozen=True)
class Row:
    """One line of the roster as printed: per column its paragraphs, each (text, colour)."""

    member_number: str
    cells: tuple[tuple[tuple[str, tuple[float, float, float]], ...], ...]


def row_of(line: dict, prefectures: dict[str, str]) -> Row:
    """The cells the WeasyPrint template showed: the old and the new names side by side during a change
    (R13, R14), the location after a relocation, one JSIC classification a paragraph."""
    new_mark, moved_mark = _("（新）"), _("（移転後）")
    org = [(line["organisation_name"], TEXT)]
    est = [(line["establishment_name"], TEXT)]
    if line["change_kind"]:
        if line["new_organisation_name"] != line["organisation_name"]:
            org.append((new_mark + line["new_organisation_name"], NEW))
        if line["new_establishment_name"] != line["establishment_name"]:
            est.append((new_mark + line["new_establishment_name"], NEW))
    location = [(prefectures.get(line["prefecture"], line["prefecture"]) + line["city"], TEXT)]
    if line["new_prefecture"]:
        new_location = prefectures.get(line["new_prefecture"], line["new_prefecture"]) + line["new_city"]
        location.append((moved_mark + new_location, NEW))
    jsic = [(f"{code} {name}", TEXT) for code, name in line["jsic"] or ()] or [("", TEXT)]
    listed = line["listed_since"]
    return Row(
        line["member_number"],
        (
            ((line["member_number"], TEXT),),
            ((line["corporate_number"], TEXT),),
            tuple(org),
            tuple(est),
            tuple(location),
            tuple(jsic),
            ((listed.strftime("%Y-%m-%d") if listed else "", TEXT),),
        ),
    )


@dataclass(frozen=True)
class Header:
    title: str  # the page header's left part and the document title
    as_of: str  # 2026年11月2日
    made_at: dt.datetime  # local time
    count: int


def _xmp(title: str) -> str:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        "</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )


class _Writer:
    """Pages of the table on one canvas; a page is finished (header, number) when the next line no longer fits."""

    def __init__(self, out, header: Header, *, doc_title: str):
        self.canvas = canvas = Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
        canvas.setTitle(doc_title)
        canvas.setAuthor("")
        canvas.setSubject("")
        canvas.setCreator("")
        canvas.setCatalogEntry("Lang", "ja")
        # the same XMP dc:title as the document information's Title (as the WeasyPrint export had)
        canvas.setCatalogEntry("Metadata", XMP(creator=lambda _doc: _xmp(doc_title).encode()))
        self.header = header
        self.columns = [
            _("会員番号"),
            _("法人番号"),
            _("法人名"),
            _("事業所名"),
            _("所在地"),
            _("産業分類"),
            _("掲載開始日"),
        ]
        self.left = "{} {}".format(_("JAIM 賛助会員名簿"), _("%(as_of)s時点") % {"as_of": header.as_of})
        self.head_cells = tuple(((label, TEXT),) for label in self.columns)
        self.head_laid = self._layout(self.head_cells)
        self.right = _("作成 %(made)s") % {"made": header.made_at.strftime("%Y-%m-%d %H:%M")}
        self.page = 0
        self._start_page()

    # the parts of a page

    def _start_page(self) -> None:
        self.page += 1
        self.first: str | None = None
        self.last: str | None = None
        self.rules: list[float] = []
        self.text = self.canvas.beginText()
        self.y = PAGE_HEIGHT - MARGIN_Y
        if self.page == 1:
            self.y -= BODY_MARGIN
            title = _("JAIM 賛助会員名簿（%(as_of)s時点・%(count)s件）") % {
                "as_of": self.header.as_of,
                "count": formats.localize(self.header.count),
            }
            self._text(MARGIN_X, self.y - TITLE_SIZE * ASCENT, title, TEXT, TITLE_SIZE)
            self.y -= TITLE_SIZE + TITLE_GAP
        self.head_top: float | None = None

    def _head(self) -> None:
        """The table's header row, on top of every page that has lines."""
        self.head_top = self.y
        self.y -= self._put(self.head_cells, *self.head_laid)

    def _text(self, x: float, y: float, text: str, colour, size: float = FONT_SIZE) -> None:
        t = self.text
        if colour is not self._colour:
            t.setFillColorRGB(*colour)
            self._colour = colour
        if size != self._size:
            t.setFont(FONT_NAME, size)
            self._size = size
        t.setTextOrigin(x, y)
        t.textOut(text)

    _colour = None
    _size = 0.0

    def _layout(self, cells) -> tuple[list[list[tuple[str, tuple]]], float]:
        laid = []
        most = 1
        for width, paragraphs in zip(TEXT_WIDTHS, cells, strict=True):
            lines = [(piece, colour) for text, colour in paragraphs for piece in wrap(text, width)]
            laid.append(lines)
            most = max(most, len(lines))
        return laid, most * LEADING + 2 * PAD_Y + BORDER

    def _put(self, cells, laid=None, height=None) -> float:
        if laid is None or height is None:
            laid, height = self._layout(cells)
        top = self.y
        baseline = top - PAD_Y - FONT_SIZE * ASCENT
        for x, lines in zip(COLUMN_X, laid, strict=True):
            y = baseline
            for piece, colour in lines:
                if piece:
                    self._text(x + PAD_X, y, piece, colour)
                y -= LEADING
        self.rules.append(top - height + BORDER / 2)
        return height

    def _finish_page(self) -> None:
        c = self.canvas
        # the header row's background first (under the text), then the rules, then all the text
        if self.head_top is not None:
            c.setFillColorRGB(*HEAD_FILL)
            head_height = self.head_laid[1]
            c.rect(MARGIN_X, self.head_top - head_height, TABLE_WIDTH, head_height - BORDER, stroke=0, fill=1)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(BORDER)
        path = c.beginPath()
        for y in self.rules:
            path.moveTo(MARGIN_X, y)
            path.lineTo(MARGIN_X + TABLE_WIDTH, y)
        c.drawPath(path, stroke=1, fill=0)
        middle = PAGE_HEIGHT - MARGIN_Y / 2 - HEADER_SIZE * (ASCENT - 0.5)
        self._text(PAGE_MARGIN_X, middle, self.left, GREY, HEADER_SIZE)
        right = PAGE_WIDTH - PAGE_MARGIN_X - text_width(self.right, HEADER_SIZE)
        self._text(right, middle, self.right, GREY, HEADER_SIZE)
        if self.first is not None:
            span = f"{self.first} – {self.last}"
            self._text((PAGE_WIDTH - text_width(span, HEADER_SIZE)) / 2, middle, span, GREY, HEADER_SIZE)
        c.drawText(self.text)
        self._colour, self._size = None, 0.0
        # the page number: Helvetica digits (a standard font, nothing embedded), bottom centre
        c.setFillColorRGB(*GREY)
        c.setFont("Helvetica", HEADER_SIZE)
        c.drawCentredString(PAGE_WIDTH / 2, MARGIN_Y / 2 - HEADER_SIZE * 0.35, str(self.page))
        c.showPage()

    # the document

    def add(self, row: Row) -> None:
        laid, height = self._layout(row.cells)
        if self.first is not None and self.y - height < MARGIN_Y:
            self._finish_page()
            self._start_page()
        if self.first is None:
            self._head()
        self.y -= self._put(row.cells, laid, height)
        if self.first is None:
            self.first = row.member_number
        self.last = row.member_number

    def empty(self) -> None:
        self._text(MARGIN_X, self.y - FONT_SIZE * ASCENT, _("掲載されている事業所はありません。"), TEXT)

    def close(self) -> int:
        self._finish_page()
        self.canvas.save()
        return self.page


def write(out, lines: Iterable[dict], header: Header, *, font_path: str, doc_title: str,
          prefectures: dict[str, str]) -> tuple[int, int]:  # fmt: skip
    """Draw `lines` (dicts of the RosterLine fields, in member-number order, read lazily) into `out`. Returns
    (lines, pages)."""
    _register_font(font_path)
    writer = _Writer(out, header, doc_title=doc_title)
    count = 0
    for line in lines:
        writer.add(row_of(line, prefectures))
        count += 1
    if not count:
        writer.empty()
    return count, writer.close()
