"""The virus scanner, with a real clamd (tests.clamd): an infected upload is refused with a Japanese message and
recorded for the administrators (and only them); a configured scanner that is down refuses uploads rather than
letting them through unscanned; a clean file passes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Document, DocumentType
from jaim.errors import DomainError
from jaim.models import VirusDetection
from jaim.uploads import inspect_upload
from tests import clamd
from tests.applications.factories import PDF
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.helpers import staff_user, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.clamav]

EICAR_PDF = PDF.replace(b"%%EOF", b"%" + clamd.EICAR + b"\n%%EOF")


@pytest.fixture
def world(settings, virus_scanner):
    with at(WORLD_DAY):
        yield build_world()


def _upload(client, world, name, content):
    return client.post(
        reverse("applications:upload", args=[world.application.pk]),
        {
            "step": "images",
            "document_type": DocumentType.objects.get(code="product_image").pk,
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )


def test_the_eicar_file_is_found_by_its_hash_signature(virus_scanner):
    """The .hdb entry sigtool made from the EICAR file: the file itself, whatever it is called."""
    from jaim import virus

    assert virus.scan(clamd.EICAR) in (clamd.FILE_SIGNATURE, clamd.STRING_SIGNATURE)
    assert virus.scan(PDF) is None


def test_a_pdf_carrying_eicar_is_refused_through_the_portal_and_recorded(client, world):
    client.force_login(world.owner)
    documents = Document.objects.count()
    with at(WORLD_DAY):
        response = _upload(client, world, "見積書.pdf", EICAR_PDF)
    assert response.status_code == 400
    assert "ウイルスが検出された" in response.context["upload_form"].errors["file"][0]
    assert Document.objects.count() == documents
    detection = (
        VirusDetection.objects.get()
    )  # kept although the upload failed (checked before the transaction)
    assert detection.signature == clamd.STRING_SIGNATURE
    assert detection.uploaded_by == world.owner
    assert detection.file_name == "見積書.pdf" and detection.where == "申請書類"
    assert detection.size_bytes == len(EICAR_PDF)


def test_infected_wage_evidence_is_recorded_with_where_it_came_from(world):
    from lifecycle import services

    with at(WORLD_DAY), pytest.raises(DomainError) as exc:
        services.submit_wage_report(
            world.membership,
            period=world.wage_report.period,
            by=world.owner,
            workers=25,
            wage_before_yen=300_000,
            wage_after_yen=301_000,
            files=[SimpleUploadedFile("賃金台帳.pdf", EICAR_PDF)],
        )
    assert exc.value.code == "infected"
    assert VirusDetection.objects.get().where == "賃上げ報告の証明書類"


def test_a_clean_file_passes_the_real_scanner(virus_scanner):
    assert inspect_upload(SimpleUploadedFile("a.pdf", PDF)).content == PDF
    assert not VirusDetection.objects.exists()


def test_a_configured_scanner_that_is_down_refuses_uploads_instead_of_skipping_the_scan(
    client, settings, tmp_path
):
    """A clamd of its own, stopped: the socket is still configured, nobody answers → refused, nothing stored."""
    with at(WORLD_DAY):
        world = build_world()
        client.force_login(world.owner)
        image = world.document.file.open("rb").read()
        with clamd.running_clamd(tmp_path / "clamd") as sock:
            settings.JAIM_CLAMD_SOCKET = sock
            before = Document.objects.count()
            accepted = _upload(client, world, "a.png", image)  # up: scanned and accepted
            assert accepted.status_code == 302 and "/accounts/login/" not in accepted["Location"]
            assert Document.objects.count() == before + 1
        documents = list(Document.objects.values_list("pk", "sha256"))
        response = _upload(client, world, "a.png", image)
    assert response.status_code == 400
    assert "ウイルス検査を実施できない" in response.context["upload_form"].errors["file"][0]
    assert list(Document.objects.values_list("pk", "sha256")) == documents
    with pytest.raises(DomainError) as exc:
        inspect_upload(SimpleUploadedFile("a.pdf", PDF))
    assert exc.value.code == "scanner_unavailable"


def test_a_scanner_on_a_tcp_port_nobody_listens_on_refuses_too(settings):
    import socket

    with socket.socket() as s:  # a free port, closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.JAIM_CLAMD_SOCKET, settings.JAIM_CLAMD_HOST, settings.JAIM_CLAMD_PORT = "", "127.0.0.1", port
    with pytest.raises(DomainError) as exc:
        inspect_upload(SimpleUploadedFile("a.pdf", PDF))
    assert exc.value.code == "scanner_unavailable"


@pytest.mark.parametrize("group,allowed", [("administrator", True), ("reviewer", False), ("finance", False)])
def test_only_administrators_see_the_virus_detections_in_the_admin(client, group, allowed):
    """Role matrix for the new admin page: list and detail for administrators; 403 for the other staff groups;
    nobody may add, change or delete a detection."""
    detection = VirusDetection.objects.create(
        signature=clamd.STRING_SIGNATURE,
        where="申請書類",
        file_name="見積書.pdf",
        size_bytes=1,
        sha256="0" * 64,
    )
    user = staff_user(group=group)
    verified_login(client, user)
    changelist = client.get(reverse("admin:jaim_virusdetection_changelist"))
    detail = client.get(reverse("admin:jaim_virusdetection_change", args=[detection.pk]))
    if allowed:
        assert changelist.status_code == 200 and clamd.STRING_SIGNATURE in changelist.content.decode()
        assert detail.status_code == 200
    else:
        assert changelist.status_code == 403 and detail.status_code == 403
    assert client.get(reverse("admin:jaim_virusdetection_add")).status_code == 403
    delete = reverse("admin:jaim_virusdetection_delete", args=[detection.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert VirusDetection.objects.filter(pk=detection.pk).exists()
