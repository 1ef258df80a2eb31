"""The confirmation PDF is signed by JAIM (PAdES B-B, jaim.signing): a PDF reader shows it unaltered and signed
by JAIM; a change of any one signed byte is detected; the entry page shows the same certificate fingerprint; in
production nothing signs with a made-up key (deploy check jaim.W001, the PDF says it is unsigned)."""

import datetime as dt
import io
import os
import stat
import subprocess

import pikepdf
import pytest
from django.core.management import call_command
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.errors import PathValidationError

from jaim import signing
from tests.factories import AccessFactory, UserFactory
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(time_machine):
    # The demo pair is made once per session in a temporary private root (tests/conftest.py), as `make run`
    # makes it on first use.
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC), tick=True)


def confirmation_of(client, membership) -> bytes:
    user = UserFactory()
    AccessFactory(user=user, organisation=membership.establishment.organisation)
    client.force_login(user)
    r = client.post(reverse("roster:confirmation", args=[membership.establishment.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    return r.content


def pdf_text(raw: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()


def signed_ranges(content: bytes) -> list[tuple[int, int]]:
    sig = PdfFileReader(io.BytesIO(content)).embedded_signatures[0]
    a, b, c, d = (int(x) for x in sig.sig_object["/ByteRange"])
    return [(a, a + b), (c, c + d)]


def test_the_downloaded_confirmation_is_signed_by_jaim_and_validates_against_the_demo_certificate(client):
    content = confirmation_of(client, listed(org_name="株式会社サンプル精工"))
    reader = PdfFileReader(io.BytesIO(content))
    [embedded] = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert embedded.sig_object["/Name"] == "JAIM"
    status = signing.validate(content, trust_roots=[signing.certificate()])
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == "JAIM"
    assert "株式会社サンプル精工" in pdf_text(content)


def test_signing_is_an_incremental_update_of_the_rendered_file_even_an_archival_pdf_a():
    from weasyprint import HTML

    from fees.pdf import ARCHIVAL_VARIANT

    original = HTML(string="<p>領収書</p>").write_pdf(pdf_variant=ARCHIVAL_VARIANT)
    signed = signing.sign_pdf(original, reason="test")
    assert signed.startswith(original) and len(signed) > len(
        original
    )  # the PDF/A revision is kept byte for byte
    with pikepdf.open(io.BytesIO(signed)) as doc:  # the signed file still declares PDF/A-3b
        meta = doc.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
    assert signing.validate(signed).bottom_line


@pytest.mark.parametrize("where", ["content", "every_range"])
def test_changing_one_signed_byte_is_detected(client, where):
    content = confirmation_of(client, listed())
    assert signing.validate(content).intact
    if where == "content":
        # One byte inside the page's first compressed stream: the file still parses, the digest no longer matches.
        start = content.index(b"stream\n") + len(b"stream\n")
        positions = [start + 5]
    else:
        # Positions spread over both signed ranges (the header, objects, the signature dictionary, the trailer).
        positions = [lo + (hi - lo) * k // 7 for lo, hi in signed_ranges(content) for k in range(7)]
    for pos in positions:
        tampered = bytearray(content)
        tampered[pos] ^= 0x01
        try:
            status = signing.validate(bytes(tampered))
        except Exception:  # noqa: S112 - a file that no longer parses as signed is refused too
            continue
        assert not status.intact and not status.bottom_line, pos


def test_a_pdf_signed_with_another_key_is_not_trusted_as_jaims(client, tmp_path, settings):
    content = confirmation_of(client, listed())
    jaim_cert = signing.certificate()
    settings.PRIVATE_ROOT = tmp_path  # another demo pair: an impostor's self-signed "JAIM"
    signing._signer.cache_clear()
    unsigned = content[: content.index(b"%%EOF") + 6]  # the rendered revision, before the signature
    impostor = signing.sign_pdf(unsigned, reason="x")
    assert signing.validate(impostor, trust_roots=[signing.certificate()]).intact
    try:
        status = signing.validate(impostor, trust_roots=[jaim_cert])
        assert not status.trusted and not status.bottom_line
    except PathValidationError:
        pass


def test_the_demo_pair_is_made_once_privately_and_the_entry_page_shows_its_fingerprint(client):
    m = listed()
    content = confirmation_of(client, m)
    path = signing.demo_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = path.read_bytes()
    confirmation_of(client, m)
    assert path.read_bytes() == before
    fingerprint = signing.validate(content).signing_cert.sha256_fingerprint.replace(" ", ":")
    assert fingerprint in pdf_text(content).replace("\n", "")
    page = client.get(reverse("roster:entry", args=[m.roster_entry.token])).content.decode()
    assert fingerprint in page and "会員確認書の電子署名" in page
    assert "デモ環境の署名" in page


def test_a_configured_key_and_certificate_given_as_pem_text_sign_in_production(client, settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    pem = signing._make_demo_pair().decode()
    key = pem[: pem.index("-----BEGIN CERTIFICATE")]
    cert = pem[pem.index("-----BEGIN CERTIFICATE") :]
    settings.PRODUCTION = True
    # The key as one line of an env file (\n escapes), the certificate as PEM text.
    settings.JAIM_SIGNING_KEY, settings.JAIM_SIGNING_CERT = key.replace("\n", "\\n"), cert
    assert signing.check_signing_key() == []
    content = confirmation_of(client, listed())
    status = signing.validate(content)
    assert status.bottom_line and status.signing_cert.dump() == signing.certificate().dump()
    assert "デモ環境" not in pdf_text(content)
    assert not signing.demo_path().exists()  # no demo pair was made


def test_production_without_a_key_fails_the_deploy_check_and_issues_an_unsigned_confirmation_that_says_so(
    client, settings, tmp_path
):
    settings.PRIVATE_ROOT = tmp_path
    settings.PRODUCTION = True
    settings.JAIM_SIGNING_KEY = settings.JAIM_SIGNING_CERT = ""
    [warning] = signing.check_signing_key()
    assert warning.id == "jaim.W001"
    with pytest.raises(Exception, match="jaim.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    m = listed()
    content = confirmation_of(client, m)
    assert PdfFileReader(io.BytesIO(content)).embedded_signatures == []
    assert "電子署名が付されていません" in pdf_text(content)
    assert not signing.demo_path().exists()
    page = client.get(reverse("roster:entry", args=[m.roster_entry.token])).content.decode()
    assert "会員確認書の電子署名" not in page


def test_signing_works_where_an_event_loop_is_running():
    """An ASGI server or a browser test may call the view's code with an event loop running in the thread."""
    import asyncio

    from weasyprint import HTML

    original = HTML(string="<p>確認</p>").write_pdf()

    async def inside_a_loop():
        return signing.sign_pdf(original, reason="test")

    signed = asyncio.run(inside_a_loop())
    assert signing.validate(signed).bottom_line
