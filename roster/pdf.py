"""PDFs of the roster with WeasyPrint: the membership confirmation and the whole-roster export.

The Japanese font is pinned: IPAex Gothic, a TrueType font (settings.JAIM_PDF_FONT, default: IPAex Gothic), declared in @font-face
and used for everything, so fontconfig never picks a slow CFF collection. The URL fetcher only opens the
project's static files and that font file: a name typed by a member can never make the renderer fetch
anything else."""

import datetime as dt
from pathlib import Path
from urllib.parse import unquote, urlparse

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from jaim import signing
from jaim.dates import japanese_date

DEFAULT_FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"  # Debian fonts-ipaexfont-gothic


def font_path() -> Path:
    return Path(getattr(settings, "JAIM_PDF_FONT", DEFAULT_FONT))


def _static_roots() -> list[Path]:
    roots = [Path(p) for p in getattr(settings, "STATICFILES_DIRS", [])]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    roots += [Path(s.location) for f in finders.get_finders() for s in getattr(f, "storages", {}).values()]
    return [r.resolve() for r in roots if str(r)]


class StaticOnlyFetcher(URLFetcher):
    """Fetches file: URLs inside the project's static directories, and the pinned font file. Anything else
    (http, other files, data: URLs) is refused."""

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise ValueError(f"refused: {url}")
        path = Path(unquote(parsed.path)).resolve()
        allowed = path == font_path().resolve() or any(path.is_relative_to(root) for root in _static_roots())
        if not allowed or not path.is_file():
            raise ValueError(f"refused: {url}")
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={})


def font_face_css(selector: str = "html,body,*") -> str:
    """The pinned font for `selector` (the long roster list: "body", inherited — a rule matching every
    element costs style time on 100,000 rows)."""
    uri = font_path().resolve().as_uri()
    return (
        f"@font-face{{font-family:'JAIM IPAex Gothic';src:url('{uri}') format('truetype');}}"
        f"{selector}{{font-family:'JAIM IPAex Gothic';}}"
    )


# The page number after the chunks of the roster are joined: Helvetica (a standard font, nothing embedded;
# digits only), 8 pt, #444, centred in the bottom margin where the confirmation's footer sits.
_DIGIT_WIDTH = 0.556  # Helvetica's digits are 556/1000 em wide
_PAGE_NO_SIZE = 8.0


def number_pages(document) -> None:
    """Put 1, 2, 3 … at the bottom centre of every page of a pikepdf document."""
    import pikepdf

    font = document.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for number, page in enumerate(document.pages, start=1):
        x0, y0, x1, _y1 = (float(v) for v in page.mediabox)
        text = str(number)
        x = (x0 + x1) / 2 - len(text) * _DIGIT_WIDTH * _PAGE_NO_SIZE / 2
        y = y0 + 7 * 72 / 25.4 - _PAGE_NO_SIZE * 0.35  # the middle of the 14 mm bottom margin
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        resources = page.obj.Resources
        if "/Font" not in resources:
            resources.Font = pikepdf.Dictionary()
        resources.Font.JaimPageNo = font
        # the page's own drawing in q … Q, so its transformation and colour do not reach the number
        page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
        stream = (
            f"\nQ q BT 0.267 g /JaimPageNo {_PAGE_NO_SIZE:g} Tf {x:.2f} {y:.2f} Td ({text}) Tj ET Q".encode()
        )
        page.contents_add(pikepdf.Stream(document, stream), prepend=False)


def qr_svg(url: str) -> str:
    """The entry URL as a QR code (inline SVG: nothing to fetch). Error correction M survives a worn print."""
    return segno.make(url, error="m").svg_inline(scale=3, border=2)


def render_html(template: str, context: dict) -> bytes:
    with translation.override("ja"):
        html = render_to_string(template, {"font_face_css": font_face_css(), **context})
    base = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=StaticOnlyFetcher()).write_pdf()


def render_confirmation(line, *, issued_on: dt.date) -> bytes:
    """The confirmation, signed by JAIM (PAdES, jaim.signing) as an incremental update of the rendered file.
    Where no key may be used (production without one, refused by the deploy check) it is issued unsigned and
    says so on its face."""
    from roster.selectors import entry_url

    url = entry_url(line.token)
    signature = signing.signature_facts()
    content = render_html(
        "roster/pdf/confirmation.html",
        {
            "line": line,
            "url": url,
            "qr": qr_svg(url),
            "issued_on": japanese_date(issued_on),
            "listed_since": japanese_date(line.listed_since),
            "issued_at": timezone.localtime(),
            "signature": signature,
        },
    )
    if signature is None:
        return content
    return signing.sign_pdf(content, reason="JAIM 賛助会員 名簿掲載確認書") or content
