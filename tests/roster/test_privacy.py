"""No personal data in any public response: canary values in the representative's name, phones, e-mails and
street addresses must never appear on the page, entry page, API, exports or the confirmation PDF."""

import datetime as dt
import json
import subprocess

import pytest
from django.core.files.storage import default_storage

from members import services as members
from roster import services
from roster.models import RosterExport
from tests.factories import AccessFactory, UserFactory
from tests.roster.factories import (
    CANARY_ADDRESS_LINE,
    CANARY_EMAIL,
    CANARY_PHONE,
    CANARY_REPRESENTATIVE,
    listed,
)

pytestmark = pytest.mark.django_db

D = dt.date
CANARY_USER = "担当者カナリア花子"
CANARIES = [CANARY_REPRESENTATIVE, CANARY_PHONE, CANARY_EMAIL, CANARY_ADDRESS_LINE, CANARY_USER, "canary-"]


@pytest.fixture
def canary_membership(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))
    m = listed(org_name="株式会社カナリア精工", est_name="本社工場", on=D(2026, 4, 1))
    user = UserFactory(email=CANARY_EMAIL, full_name=CANARY_USER)
    AccessFactory(user=user, organisation=m.establishment.organisation)
    # A pending relocation carries a street address too: it must not leak either.
    members.record_identity_change(
        m.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="カナリア新工場",
        accepted_on=D(2026, 10, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line=CANARY_ADDRESS_LINE,
    )
    return m, user


def assert_clean(text: str, where: str):
    assert "カナリア精工" in text or "カナリア新工場" in text, f"{where}: the entry itself is missing"
    for canary in CANARIES:
        assert canary not in text, f"{canary!r} leaked in {where}"
    assert "0399998888" not in text.replace("-", "")


def test_no_personal_field_in_any_public_response(client, canary_membership):
    m, user = canary_membership
    token = m.roster_entry.token
    responses = {
        "page": client.get("/roster/", {"q": "カナリア"}),
        "page by number": client.get("/roster/", {"q": m.member_number}),
        "entry": client.get(f"/roster/e/{token}/"),
        "entry as of": client.get(f"/roster/e/{token}/", {"as_of": "2026-05-01"}),
        "api search": client.get("/roster/api/v1/entries", {"q": "カナリア"}),
        "api entry": client.get(f"/roster/api/v1/entries/{token}"),
    }
    for where, r in responses.items():
        assert r.status_code == 200, where
        text = json.dumps(r.json(), ensure_ascii=False) if where.startswith("api") else r.content.decode()
        assert_clean(text, where)
    for key in ("phone", "email", "representative", "address_line", "postal_code"):
        assert key not in responses["api search"].content.decode()


def test_no_personal_field_in_exports(canary_membership):
    services.build_exports()
    for export in RosterExport.objects.all():
        with default_storage.open(export.file_name, "rb") as f:
            raw = f.read()
        if export.format == "csv":
            text = raw.decode("utf-8-sig")
        elif export.format == "pdf":
            text = subprocess.run(
                ["pdftotext", "-", "-"], input=raw, capture_output=True, check=True
            ).stdout.decode()
        else:
            import io

            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(raw))
            text = "\n".join(
                str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None
            )
        assert_clean(text, export.format)


def test_no_personal_field_in_the_confirmation_pdf(client, canary_membership):
    m, user = canary_membership
    client.force_login(user)
    raw = client.post(f"/roster/confirmation/{m.establishment.pk}/").content
    text = subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()
    assert_clean(text, "confirmation pdf")
