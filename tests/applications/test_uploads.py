"""Uploads: PDF, JPEG and PNG recognised by content; size limits; random names in the configured storage; a refused
file never replaces an accepted one."""

import struct
import zlib

import pytest
from django.core.files.storage import default_storage

from applications import services
from applications.models import Document
from jaim.errors import DomainError
from jaim.uploads import inspect_upload
from tests.applications.factories import PDF, add_doc, applicant, draft, dtype, image_bytes, upload

pytestmark = pytest.mark.django_db


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_with_text(text: bytes) -> bytes:
    """A valid PNG whose tEXt chunk carries `text` (Pillow opens and verifies it happily)."""
    png = image_bytes("PNG")
    iend = png.rindex(b"IEND") - 4
    return png[:iend] + png_chunk(b"tEXt", b"Comment\x00" + text) + png[iend:]


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("a.pdf", PDF, "application/pdf"),
        ("photo.jpeg", image_bytes("JPEG"), "image/jpeg"),
        ("photo.png", image_bytes("PNG"), "image/png"),
        ("scan.bin", image_bytes("PNG"), "image/png"),  # the name does not matter, the content does
    ],
)
def test_pdf_jpeg_and_png_are_recognised_by_their_content(name, content, expected):
    assert inspect_upload(upload(name, content, "application/octet-stream")).content_type == expected


@pytest.mark.parametrize(
    "label,content",
    [
        ("html renamed .pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("html with a pdf-ish first line", b"<html>%PDF-1.4</html>"),
        ("gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"),
        ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("zip/docx", b"PK\x03\x04" + b"\x00" * 40),
        ("plain text", "出荷実績".encode()),
    ],
)
def test_anything_but_pdf_jpeg_png_is_refused_whatever_its_name(label, content):
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("evidence.pdf", content))
    assert exc.value.code == "unsupported_type"


def test_png_with_a_script_payload_is_refused():
    payload = png_with_text(b"<script>fetch('/mypage/').then(r=>r.text())</script>")
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("photo.png", payload, "image/png"))
    assert exc.value.code == "active_content"


def test_png_with_html_appended_after_its_end_is_refused():
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("photo.png", image_bytes("PNG") + b"garbage-after-iend", "image/png"))
    assert exc.value.code == "trailing_data"


def test_jpeg_header_with_garbage_is_refused_as_a_broken_image():
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("photo.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10, "image/jpeg"))
    assert exc.value.code == "bad_image"


def test_pdf_with_javascript_is_refused():
    evil = PDF.replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
    )
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("a.pdf", evil))
    assert exc.value.code == "pdf_active_content"


def test_truncated_pdf_is_refused():
    with pytest.raises(DomainError) as exc:
        inspect_upload(upload("a.pdf", PDF[:-8]))
    assert exc.value.code == "bad_pdf"


def test_file_over_the_per_file_limit_is_refused(settings):
    settings.JAIM_UPLOAD_MAX_BYTES = len(PDF) - 1
    with pytest.raises(DomainError, match="大きすぎます"):
        inspect_upload(upload("a.pdf", PDF))


def test_empty_file_is_refused():
    with pytest.raises(DomainError, match="空のファイル"):
        inspect_upload(upload("a.pdf", b""))


def test_files_over_the_per_application_limit_are_refused(settings):
    user, est = applicant()
    app = draft(est, user)
    settings.JAIM_APPLICATION_MAX_BYTES = len(PDF) * 2
    add_doc(app, user, "shipment_evidence", evidence_template="other")
    add_doc(app, user, "shipment_evidence", evidence_template="other")
    with pytest.raises(DomainError, match="合計"):
        add_doc(app, user, "shipment_evidence", evidence_template="other")
    assert Document.objects.filter(application=app).count() == 2


def test_stored_under_a_random_name_in_the_default_storage_not_the_uploaders_name():
    user, est = applicant()
    app = draft(est, user)
    doc = add_doc(app, user, "product_image", name="../../etc/社外秘.png")
    assert doc.original_name.endswith("社外秘.png")
    assert "社外秘" not in doc.file.name and ".." not in doc.file.name
    assert doc.file.name.startswith("applications/") and doc.file.name.endswith(".png")
    assert default_storage.exists(doc.file.name)
    assert doc.content_type == "image/png" and len(doc.sha256) == 64


def test_a_refused_upload_never_replaces_the_accepted_one():
    user, est = applicant()
    app = draft(est, user)
    sme = dtype("sme_proof")
    sme.multiple = False
    sme.save()
    good = add_doc(app, user, "sme_proof")
    with pytest.raises(DomainError):
        services.upload_document(
            app, by=user, document_type=sme, uploaded=upload("sme.pdf", b"<html>not a pdf</html>")
        )
    assert list(Document.objects.filter(application=app)) == [good]
    assert default_storage.exists(good.file.name)


def test_an_accepted_upload_of_a_single_file_type_replaces_the_old_file_after_commit(
    django_capture_on_commit_callbacks,
):
    user, est = applicant()
    app = draft(est, user)
    sme = dtype("sme_proof")
    sme.multiple = False
    sme.save()
    old = add_doc(app, user, "sme_proof")
    with django_capture_on_commit_callbacks(execute=True):
        new = add_doc(app, user, "sme_proof")
    assert list(Document.objects.filter(application=app)) == [new]
    assert not default_storage.exists(old.file.name) and default_storage.exists(new.file.name)


def test_removing_a_document_deletes_its_file_after_commit(django_capture_on_commit_callbacks):
    user, est = applicant()
    app = draft(est, user)
    doc = add_doc(app, user, "product_image")
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_document(doc, by=user)
    assert not Document.objects.filter(pk=doc.pk).exists()
    assert not default_storage.exists(doc.file.name)


def test_shipment_evidence_must_say_which_template_it_follows():
    user, est = applicant()
    app = draft(est, user, codes=("2592",))
    with pytest.raises(DomainError, match="様式"):
        add_doc(app, user, "shipment_evidence")
    with pytest.raises(DomainError, match="様式"):
        add_doc(
            app, user, "shipment_evidence", evidence_template="15"
        )  # not a template this application uses
