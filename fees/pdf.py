"""PDF rendering with WeasyPrint (design.md §6).

- The Japanese font is pinned: the CSS names exactly one family, declared by @font-face from the TrueType
  IPAex Gothic file (settings.JAIM_PDF_FONT). No generic fallback family, so fontconfig never substitutes a
  CJK OpenType collection (8–16 s a page instead of well under a second).
- The renderer fetches nothing but the project's own static files and that font: `SafeFetcher` refuses every
  other URL (http, https, file, data…). Templates auto-escape company names and any user text.
"""

import logging
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)
logging.getLogger("weasyprint.progress").setLevel(
    logging.WARNING
)  # one INFO line per rendering step otherwise

STATIC_SCHEME = "jaim-static:"
FONT_SCHEME = "jaim-font:"
ASSET_SCHEME = "jaim-asset:"
# Invoices, credit notes, receipts and notices are kept as electronic records (電子帳簿保存法): archival PDF/A-3b,
# tagged so that screen readers can read them, with title, author and subject from the template's <head>.
ARCHIVAL_VARIANT = "pdf/a-3b"
DEFAULT_FONT = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"


def font_path() -> Path:
    return Path(getattr(settings, "JAIM_PDF_FONT", DEFAULT_FONT))


class SafeFetcher(URLFetcher):
    """Serves `jaim-static:<path>` from the project's static files, `jaim-font:gothic` from the pinned font and
    `jaim-asset:<name>` from the bytes the caller handed over (e.g. the issuer's seal, already re-encoded when it
    was uploaded); refuses everything else. `refused` lists what a document asked for and did not get."""

    def __init__(self, assets: dict[str, tuple[bytes, str]] | None = None):
        super().__init__(allowed_protocols=[], allow_redirects=False)
        self.refused: list[str] = []
        self.served: list[str] = []
        self.assets = assets or {}

    def fetch(self, url, headers=None):
        if url.startswith(ASSET_SCHEME) and url[len(ASSET_SCHEME) :] in self.assets:
            body, mime = self.assets[url[len(ASSET_SCHEME) :]]
            self.served.append(url)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})
        if url.startswith(FONT_SCHEME) and url[len(FONT_SCHEME) :] == "gothic":
            path = font_path()
            mime = "font/ttf"
        elif url.startswith(STATIC_SCHEME):
            path = self._static(url[len(STATIC_SCHEME) :])
            mime = mimetypes.guess_type(str(path))[0] if path else None
        else:
            path = None
            mime = None
        if path is None or not path.is_file():
            self.refused.append(url)
            log.warning("PDF renderer refused %s", url[:200])
            raise ValueError(f"refused: {url[:200]}")
        self.served.append(url)
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime or "text/css"})

    @staticmethod
    def _static(relative: str) -> Path | None:
        if ".." in relative.split("/") or relative.startswith("/"):
            return None
        found = finders.find(relative)
        if not found:
            return None
        path = Path(found).resolve()
        base = Path(settings.BASE_DIR).resolve()
        venv = base / ".venv"
        # Only the project's own static files (not an installed package's).
        if base not in path.parents or venv in path.parents:
            return None
        return path


def render_pdf(
    template: str,
    context: dict,
    *,
    fetcher: SafeFetcher | None = None,
    assets: dict[str, tuple[bytes, str]] | None = None,
    archival: bool = False,
) -> bytes:
    """Render a template (auto-escaped) to PDF bytes with the pinned font and the safe fetcher. `archival`: a tagged
    PDF/A-3b for the documents kept as records; `assets` are served to the template as `jaim-asset:<name>`."""
    fetcher = fetcher or SafeFetcher(assets)
    with translation.override("ja"):
        html = render_to_string(
            template, {"static_scheme": STATIC_SCHEME, "asset_scheme": ASSET_SCHEME, **context}
        )
    options = {"pdf_variant": ARCHIVAL_VARIANT, "pdf_tags": True} if archival else {}
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).write_pdf(**options)
