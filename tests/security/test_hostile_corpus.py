"""The hostile-file corpus (tests.security.hostile_corpus) against every upload field, with the real clamd: each file
is refused for its own reason with a Japanese message next to the field, the good file uploaded before stays
byte-identical, and nothing is written to storage. The good files of the corpus are accepted."""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Document, DocumentType
from jaim.errors import DomainError
from jaim.uploads import inspect_upload
from lifecycle.models import WageEvidence
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.hostile_corpus import SMALL_LIMIT, good_files, hostile_files

pytestmark = [pytest.mark.django_db, pytest.mark.clamav]

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
HOSTILE = hostile_files()


def stored_files() -> dict[str, bytes]:
    """Every file in the default storage, through the storage API (the same for the file system and S3)."""
    found = {}

    def walk(path):
        dirs, files = default_storage.listdir(path)
        for name in files:
            full = f"{path}/{name}" if path else name
            with default_storage.open(full, "rb") as fh:
                found[full] = fh.read()
        for d in dirs:
            walk(f"{path}/{d}" if path else d)

    if default_storage.exists(""):
        walk("")
    return found


@pytest.fixture
def small_limit(settings):
    settings.JAIM_UPLOAD_MAX_BYTES = SMALL_LIMIT


@pytest.fixture
def world(settings, small_limit, virus_scanner):
    with at(WORLD_DAY):
        yield build_world()


def expected_code(hostile) -> str:
    """With the scanner on: what clamd finds is refused as infected before any other check."""
    return "infected" if hostile.heuristic else hostile.code


def test_the_corpus_has_at_least_forty_distinct_hostile_files():
    assert len({h.label for h in HOSTILE}) == len(HOSTILE)
    assert len({h.content for h in HOSTILE}) >= 40
    assert {h.code for h in HOSTILE} >= {
        "unsupported_type",
        "pdf_active_content",
        "pdf_encrypted",
        "trailing_data",
        "active_content",
        "too_many_pixels",
        "bad_pdf",
        "bad_image",
        "infected",
        "empty",
        "too_large",
    }


NOT_VIRUSES = [h for h in HOSTILE if h.code != "infected"]


@pytest.mark.parametrize("hostile", NOT_VIRUSES, ids=[h.label for h in NOT_VIRUSES])
def test_each_hostile_file_is_refused_for_its_own_reason_by_the_checks_alone(hostile, small_limit, settings):
    """No scanner: the parsing checks refuse every file that is not a virus, each for its own reason."""
    settings.JAIM_CLAMD_SOCKET = ""
    with pytest.raises(DomainError) as exc:
        inspect_upload(SimpleUploadedFile(hostile.name, hostile.content, content_type="application/pdf"))
    assert exc.value.code == hostile.code, exc.value.message
    assert JAPANESE.search(str(exc.value.message))


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.label for h in HOSTILE])
def test_each_hostile_file_is_refused_with_the_real_scanner_on(hostile, small_limit, virus_scanner):
    with pytest.raises(DomainError) as exc:
        inspect_upload(SimpleUploadedFile(hostile.name, hostile.content, content_type="application/pdf"))
    assert exc.value.code == expected_code(hostile), exc.value.message
    assert JAPANESE.search(str(exc.value.message))


GOOD = good_files()


@pytest.mark.parametrize("label", list(GOOD))
def test_the_good_files_of_the_corpus_are_accepted(label, small_limit, virus_scanner):
    name, content = GOOD[label]
    inspected = inspect_upload(SimpleUploadedFile(name, content))
    assert inspected.extension == name.rsplit(".", 1)[1]


def test_every_hostile_file_is_refused_by_the_portal_upload_keeping_the_good_file_and_storage(client, world):
    """Through the applicant's real upload form, one after the other: 400 with the Japanese reason next to the
    file field; the accepted file of that (single-file) type is byte-identical and storage unchanged."""
    client.force_login(world.owner)
    good = Document.objects.get(pk=world.document.pk)
    good_bytes = good.file.open("rb").read()
    good.file.close()
    before = stored_files()
    product_image = DocumentType.objects.get(code="product_image")
    product_image.multiple = False  # a single-file type: an accepted upload would replace the good file
    product_image.save(update_fields=["multiple"])
    url = reverse("applications:upload", args=[world.application.pk])
    with at(WORLD_DAY):
        for hostile in HOSTILE:
            count = Document.objects.count()
            response = client.post(
                url,
                {
                    "step": "images",
                    "document_type": product_image.pk,
                    "file": SimpleUploadedFile(hostile.name, hostile.content, content_type="image/png"),
                },
            )
            assert response.status_code == 400, hostile.label
            errors = response.context["upload_form"].errors["file"]
            assert errors and all(JAPANESE.search(e) for e in errors), (hostile.label, errors)
            assert errors[0] in response.content.decode(), hostile.label
            assert Document.objects.count() == count, f"{hostile.label} was stored"
            assert stored_files() == before, f"{hostile.label} left a file in storage"
    good.refresh_from_db()
    assert good.file.open("rb").read() == good_bytes
    assert Document.objects.filter(pk=good.pk, sha256=good.sha256).exists()


def test_every_hostile_file_is_refused_as_wage_evidence_writing_nothing(world):
    from lifecycle import services

    before = stored_files()
    count = WageEvidence.objects.count()
    with at(WORLD_DAY):
        for hostile in HOSTILE:
            with pytest.raises(DomainError) as exc:
                services.submit_wage_report(
                    world.membership,
                    period=world.wage_report.period,
                    by=world.owner,
                    workers=25,
                    wage_before_yen=300_000,
                    wage_after_yen=301_000,
                    files=[SimpleUploadedFile(hostile.name, hostile.content)],
                )
            assert exc.value.code == expected_code(hostile), hostile.label
            assert WageEvidence.objects.count() == count, hostile.label
    assert stored_files() == before


def test_every_hostile_file_is_refused_as_a_member_resource_keeping_the_old_file(world):
    from backoffice import services
    from backoffice.models import MemberResource
    from tests.security.helpers import staff_user

    admin = staff_user()
    resource = services.save_resource(
        MemberResource(title="試験対策資料", kind="FILE"),
        upload=SimpleUploadedFile("資料.pdf", GOOD["PDF written by qpdf"][1]),
        by=admin,
    )
    before = stored_files()
    for hostile in HOSTILE:
        with pytest.raises(DomainError) as exc:
            services.save_resource(
                MemberResource.objects.get(pk=resource.pk),
                upload=SimpleUploadedFile(hostile.name, hostile.content),
                by=admin,
            )
        assert exc.value.code == expected_code(hostile), hostile.label
    assert MemberResource.objects.get(pk=resource.pk).file.name == resource.file.name
    assert stored_files() == before
