"""Uploads and PDFs in a private S3-compatible bucket (AWS_STORAGE_BUCKET_NAME), against a real S3 server on
loopback (moto's standalone server, tests/deploy/s3.py): the storage is the one the production settings build; an
application document uploaded through the portal is an object in the bucket, written with the private ACL; it is
served only through the access-checked download view, which streams the bytes (never a redirect to the bucket); an
unsigned GET of the object's URL is refused; invoice PDFs are rendered into the bucket and re-served from it; a
removed document leaves no object behind."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from applications.models import Document
from fees import services as fees
from fees.models import Invoice
from tests.applications.factories import PDF, applicant, draft, dtype, upload
from tests.deploy.procs import BASE_DIR
from tests.deploy.s3 import CREDENTIALS, REGION, S3Server
from tests.factories import UserFactory, membership_for
from tests.fees.factories import FeeScheduleFactory

pytestmark = pytest.mark.django_db


def production_storage(bucket: str, endpoint_url: str) -> dict:
    """STORAGES["default"] as DJANGO_ENV=production builds it from the environment, in a process of its own that
    also loads the backend (django-storages with boto3 must import)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_", "EMAIL_"))},
        "DJANGO_SETTINGS_MODULE": "jaim.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "members.jaim.example.jp",
        "JAIM_SITE_URL": "https://members.jaim.example.jp",
        "EMAIL_URL": "smtp://127.0.0.1:25",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_S3_REGION_NAME": REGION,
        **CREDENTIALS,
    }
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import default_storage\n"
        "default_storage._setup()\n"
        "print(json.dumps({'config': settings.STORAGES['default'], 'class': type(default_storage._wrapped).__name__}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["class"] == "S3Storage"
    return out["config"]


@pytest.fixture(scope="module")
def s3_server():
    with S3Server() as server:
        yield server


@pytest.fixture(scope="module")
def production_bucket(s3_server):
    """A private bucket and the default storage production builds for it (one subprocess for the module)."""
    name = s3_server.create_private_bucket()
    config = production_storage(name, s3_server.endpoint_url)
    assert config["OPTIONS"]["default_acl"] == "private" and config["OPTIONS"]["querystring_auth"] is True
    return name, config


@pytest.fixture
def bucket(production_bucket, settings, monkeypatch):
    """The default storage of this test: the production configuration, pointed at the private bucket."""
    name, config = production_bucket
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)  # boto3's credential chain, as in production
    settings.STORAGES = {**settings.STORAGES, "default": config}  # resets default_storage (setting_changed)
    return name


def _png_with_comment(text: str) -> bytes:
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("Comment", text)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def _download(client, doc):
    return client.get(reverse("applications:document", args=[doc.pk]))


def test_uploaded_document_is_a_private_object_in_the_bucket_served_only_through_the_checked_view(
    client, bucket, s3_server
):
    owner, est = applicant()
    app = draft(est, owner)
    client.force_login(owner)
    before = s3_server.keys(bucket)
    response = client.post(
        reverse("applications:upload", args=[app.pk]),
        {
            "step": "shipment",
            "document_type": dtype("shipment_evidence").pk,
            "evidence_template": "other",
            "file": upload("出荷実績.pdf", PDF),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    doc = Document.objects.get(application=app)

    # In the bucket: one new object under a random name, the bytes as uploaded (a PDF is stored as it came).
    [key] = sorted(set(s3_server.keys(bucket)) - set(before))
    assert key == doc.file.name and key.startswith("applications/") and key.endswith(".pdf")
    assert "出荷実績" not in key  # never the uploader's file name
    assert s3_server.body(bucket, key) == PDF
    assert s3_server.public_grants(bucket, key) == []
    assert s3_server.public_grants(bucket) == []

    # Anyone who learnt the object's URL: an unsigned GET is refused by the bucket.
    assert s3_server.anonymous_get(bucket, key) == 403

    # Should anything ask the storage for a URL (the admin's file widget does), it is presigned and short-lived.
    from urllib.parse import parse_qs, urlparse

    from django.core.files.storage import default_storage

    query = parse_qs(urlparse(default_storage.url(key)).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]

    # The owner: the view streams the bytes from the bucket (no redirect to a bucket URL, presigned or not).
    response = _download(client, doc)
    assert response.status_code == 200 and response.streaming
    assert "Location" not in response
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}

    # Another member: 404 (the project answers 404 rather than 403 for what is not yours); anonymous: the login page.
    client.force_login(UserFactory())
    assert _download(client, doc).status_code == 404
    client.logout()
    response = _download(client, doc)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_re_encoded_image_is_what_the_bucket_holds_and_a_removed_document_leaves_no_object(
    client, bucket, s3_server, django_capture_on_commit_callbacks
):
    owner, est = applicant()
    app = draft(est, owner)
    client.force_login(owner)
    original = _png_with_comment("撮影者 山田太郎")
    response = client.post(
        reverse("applications:upload", args=[app.pk]),
        {
            "step": "images",
            "document_type": dtype("product_image").pk,
            "file": upload("p.png", original, "image/png"),
        },
    )
    assert response.status_code == 302
    doc = Document.objects.get(application=app)
    stored = s3_server.body(bucket, doc.file.name)
    # Re-encoded by Pillow before it was stored: the text chunk (metadata) is gone.
    assert stored.startswith(b"\x89PNG") and stored != original
    assert "山田".encode() not in stored and b"tEXt" not in stored and b"iTXt" not in stored
    assert b"".join(_download(client, doc).streaming_content) == stored

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:document_delete", args=[doc.pk]), {"step": "images"})
    assert response.status_code == 302
    assert doc.file.name not in s3_server.keys(bucket)


def test_invoice_pdfs_are_rendered_into_the_bucket_and_re_served_from_it(
    client, bucket, s3_server, django_capture_on_commit_callbacks
):
    FeeScheduleFactory(fiscal_year=2026)
    owner, est = applicant()
    import datetime as dt

    membership = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    with django_capture_on_commit_callbacks(execute=True):  # the render task runs (eagerly in unit tests)
        invoice = fees.bill_new_membership(
            membership, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
        )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.pdf.name and invoice.notice_pdf.name
    keys = s3_server.keys(bucket)
    assert invoice.pdf.name in keys and invoice.notice_pdf.name in keys
    stored = s3_server.body(bucket, invoice.pdf.name)
    assert stored.startswith(b"%PDF")
    assert s3_server.public_grants(bucket, invoice.pdf.name) == []
    assert s3_server.anonymous_get(bucket, invoice.pdf.name) == 403

    # Re-served from the bucket, not rendered again: the same bytes, no new object.
    client.force_login(owner)
    response = client.get(reverse("fees:invoice_document", args=[invoice.pk, "invoice"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored
    assert s3_server.keys(bucket) == keys
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == invoice.pdf.name

    # Another member cannot have it.
    client.force_login(UserFactory())
    assert client.get(reverse("fees:invoice_document", args=[invoice.pk, "invoice"])).status_code == 404
