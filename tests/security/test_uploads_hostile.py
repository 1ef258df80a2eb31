"""Upload attacks (security) through the portal's upload form and the wage-report evidence: HTML, SVG and
polyglot files named .pdf/.png, a decompression bomb, zero-byte files, hostile names (`../`, control characters,
200 Japanese characters). Refused (nothing stored) or stored under a generated name, and served back only as an
attachment with nosniff."""

import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Document, DocumentType
from jaim.errors import DomainError
from lifecycle.models import WageEvidence
from tests.applications.factories import PDF, image_bytes
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def bomb_png(side=60_000) -> bytes:
    """A valid-looking PNG header claiming side×side pixels (3.6 G) in a file of under 100 bytes."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


HOSTILE_FILES = {
    "html named .pdf": ("invoice.pdf", b"<html><body><script>alert(1)</script></body></html>"),
    "html named .png": ("photo.png", b"<!DOCTYPE html><script>alert(1)</script>"),
    "svg named .png": ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
    "svg named .pdf": ("doc.pdf", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'),
    "png + html polyglot": ("photo.png", image_bytes() + b"<script>alert(1)</script>"),
    "png with trailing data": ("photo.png", image_bytes() + b"PK\x03\x04zipzipzip"),
    "pdf + html polyglot": ("doc.pdf", PDF.replace(b"%%EOF", b"%<html><script>alert(1)</script>\n%%EOF")),
    "pdf with javascript": (
        "doc.pdf",
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /JS (x) >>"),
    ),
    "decompression bomb": ("bomb.png", bomb_png()),
    "zero bytes pdf": ("empty.pdf", b""),
    "zero bytes png": ("empty.png", b""),
    "truncated pdf": ("cut.pdf", PDF[:40]),
}

HOSTILE_NAMES = [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "a\x00b.pdf",
    "line\r\nX-Injected: yes.pdf",
    "\x1b[31mred\x07.pdf",
    "日" * 200 + ".pdf",
    ".htaccess",
    "%2e%2e%2fsecret.pdf",
]
GENERATED = re.compile(r"^applications/\d{4}/[0-9a-f]{32}\.(pdf|png|jpg)$")
GENERATED_WAGE = re.compile(r"^lifecycle/wage/\d{4}/[0-9a-f]{32}\.(pdf|png|jpg)$")


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with at(WORLD_DAY):
        yield build_world()


def _post_upload(client, world, name, content):
    return client.post(
        reverse("applications:upload", args=[world.application.pk]),
        {
            "step": "images",
            "document_type": DocumentType.objects.get(code="product_image").pk,
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )


def test_hostile_files_are_refused_and_nothing_is_stored(client, world, tmp_path):
    client.force_login(world.owner)
    good = Document.objects.get(pk=world.document.pk)
    files_before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    with at(WORLD_DAY):
        for label, (name, content) in HOSTILE_FILES.items():
            count = Document.objects.count()
            response = _post_upload(client, world, name, content)
            assert response.status_code < 500, label
            assert Document.objects.count() == count, f"{label} was stored"
    # the good file it would have replaced (single-file type) is still there, and no file was left behind
    assert Document.objects.filter(pk=good.pk, file=good.file.name).exists()
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files_before


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_is_stored_under_a_generated_name_and_served_as_an_attachment(client, world, name):
    client.force_login(world.owner)
    with at(WORLD_DAY):
        response = _post_upload(client, world, name, image_bytes())
    assert response.status_code < 500
    doc = Document.objects.filter(application=world.application).latest("pk")
    assert doc.pk != world.document.pk, "a valid image with an odd name should be accepted"
    assert GENERATED.match(doc.file.name), doc.file.name
    for part in re.split(r"[\\/\x00\r\n.]+", name):
        if len(part) > 2:
            assert part not in doc.file.name

    response = client.get(reverse("applications:document", args=[doc.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"  # detected from the content, never the browser's claim
    for header, value in response.items():
        assert "\r" not in value and "\n" not in value, header
    assert "X-Injected" not in dict(response.items())


def _wage_files(name, content):
    return [SimpleUploadedFile(name, content, content_type="image/png")]


def test_hostile_wage_evidence_is_refused(world):
    from lifecycle import services

    count = WageEvidence.objects.count()
    with at(WORLD_DAY):
        for label, (name, content) in HOSTILE_FILES.items():
            with pytest.raises(DomainError):
                services.submit_wage_report(
                    world.membership,
                    period=world.wage_report.period,
                    by=world.owner,
                    workers=25,
                    wage_before_yen=300_000,
                    wage_after_yen=301_000,
                    files=_wage_files(name, content),
                )
            assert WageEvidence.objects.count() == count, label


def test_wage_evidence_with_a_hostile_name_is_stored_under_a_generated_name(client, world):
    from lifecycle import services

    name = "../../" + "賃" * 200 + "\r\n.png"
    with at(WORLD_DAY):
        report = services.submit_wage_report(
            world.membership,
            period=world.wage_report.period,
            by=world.owner,
            workers=25,
            wage_before_yen=300_000,
            wage_after_yen=301_000,
            files=_wage_files(name, image_bytes()),
        )
    ev = report.evidence.latest("pk")
    assert GENERATED_WAGE.match(ev.file.name), ev.file.name
    client.force_login(world.owner)
    response = client.get(reverse("lifecycle:wage_evidence", args=[ev.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    for header, value in response.items():
        assert "\r" not in value and "\n" not in value, header


def test_the_download_name_comes_from_the_document_type_and_establishment_never_the_uploaders_name(
    client, world
):
    """An .exe name on a PDF: stored, shown as the uploader's name (display text), downloaded as
    「<document type>_<establishment>_<day>.pdf」 — the extension of the checked content."""
    from urllib.parse import unquote

    client.force_login(world.owner)
    with at(WORLD_DAY):
        response = _post_upload(client, world, "請求書.pdf.exe", PDF)
    assert response.status_code == 302
    doc = Document.objects.filter(application=world.application).latest("pk")
    assert doc.original_name == "請求書.pdf.exe" and doc.content_type == "application/pdf"
    got = client.get(reverse("applications:document", args=[doc.pk]))
    disposition = unquote(got["Content-Disposition"])
    assert disposition.startswith("attachment;")
    type_name = DocumentType.objects.get(code="product_image").name  # 完成品（最終製品）の画像
    assert f"{type_name}_{world.org.name}_{world.est.name}_20270120.pdf" in disposition
    assert ".exe" not in disposition and "請求書" not in disposition


def test_wage_evidence_downloads_under_a_name_of_our_own(client, world):
    from urllib.parse import unquote

    from lifecycle import services

    with at(WORLD_DAY):
        report = services.submit_wage_report(
            world.membership,
            period=world.wage_report.period,
            by=world.owner,
            workers=25,
            wage_before_yen=300_000,
            wage_after_yen=301_000,
            files=_wage_files("payload.exe", image_bytes()),
        )
    ev = report.evidence.latest("pk")
    client.force_login(world.owner)
    disposition = unquote(client.get(reverse("lifecycle:wage_evidence", args=[ev.pk]))["Content-Disposition"])
    fy = world.wage_report.period.fiscal_year
    assert f"賃上げ報告の証明書類_{fy}年度_{world.org.name}_{world.est.name}_20270120.png" in disposition
    assert "payload" not in disposition and ".exe" not in disposition
