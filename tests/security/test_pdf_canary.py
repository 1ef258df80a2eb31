"""PDF rendering with hostile names (security): a company and establishment named with `<img src=…>`,
`<link href=file:///etc/passwd>` and CSS `@import` pointing at a canary HTTP server on loopback. The receipt, the
credit note, the roster confirmation and the roster export PDF are rendered: the canary receives zero requests,
nothing from /etc/passwd is printed and the PDF embeds no more images than with a plain name. (Invoice and fee
notice: tests/fees/test_pdf.py.)"""

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from fees import services as fees
from tests.canary import counting_server
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def canary():
    with counting_server("text/css", b"body{background:url(/leak)}") as server:
        yield server


def _images(pdf: bytes) -> int:
    from pypdf import PdfReader

    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _render_all(client, world) -> dict[str, bytes]:
    from roster import exports

    with at(WORLD_DAY):
        client.force_login(world.owner)
        confirmation = client.post(reverse("roster:confirmation", args=[world.est.pk]))
        assert confirmation.status_code == 200 and confirmation["Content-Type"] == "application/pdf"
        out = io.BytesIO()
        exports.write_pdf(WORLD_DAY, out, made_at=timezone.now())
    return {
        "receipt": fees.render_document_bytes("receipt", world.receipt.pk),
        "credit note": fees.render_document_bytes("credit_note", world.credit_note.pk),
        "roster confirmation": confirmation.content,
        "roster export": out.getvalue(),
    }


def test_hostile_names_in_pdfs_fetch_nothing_and_embed_nothing(client, canary, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    url, hits = canary
    with at(WORLD_DAY):
        world = build_world(
            org_name=f"<img src={url}/img><style>@import url({url}/import);</style>株式会社カナリア",
            est_name=f'<link rel=stylesheet href="{url}/css"><link href=file:///etc/passwd>カナリア工場',
        )
    assert url in world.org.name and url in world.invoice.buyer_name
    pdfs = _render_all(client, world)

    assert hits == [], f"the PDF renderer fetched {hits}"
    for kind, pdf in pdfs.items():
        assert pdf.startswith(b"%PDF"), kind
        assert _images(pdf) == 0, f"{kind}: an image was embedded"
        text = _text(pdf)
        assert "root:" not in text, f"{kind}: /etc/passwd printed"
    # the names are printed as text, markup and all
    for kind in ("receipt", "roster confirmation"):
        text = _text(pdfs[kind]).replace(" ", "").replace("\n", "")
        assert "カナリア" in text, kind


def test_the_canary_records_a_fetch(canary):
    """The zero-request assertions above mean something only if the canary sees a request when one is made."""
    import urllib.request

    url, hits = canary
    with urllib.request.urlopen(url + "/leak") as response:  # noqa: S310 - loopback test server
        assert response.read() == b"body{background:url(/leak)}"
    assert hits == ["/leak"]
