"""PDFs of the roster with WeasyPrint: the membership confirmation. (The whole-roster export is drawn with
ReportLab in roster.listpdf, with the same font file.)

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
    """The pinned font for `selector`."""
    uri = font_path().resolve().as_uri()
    return (
        f"@font-face{{font-family:'JAIM IPAex Gothic';src:url('{uri}') format('truetype');}}"
        f"{selector}{{font-family:'JAIM IPAex Gothic';}}"
    )


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
