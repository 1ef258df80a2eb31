"""The membership confirmation PDF: requested by the member on My Page, access-checked, with the issue date,
member number, names, JSIC and a QR code pointing to the permanent entry URL."""

import datetime as dt
import subprocess

import pytest
from django.urls import reverse

from jaim.models import AuditEvent
from members import services as members
from roster import pdf
from tests.factories import AccessFactory, EstablishmentFactory, UserFactory, membership_for
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


def member_of(membership):
    user = UserFactory()
    AccessFactory(user=user, organisation=membership.establishment.organisation)
    return user


def pdf_text(raw: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()


def test_member_downloads_the_confirmation_pdf_with_date_number_names_jsic_and_qr(client, monkeypatch):
    m = listed(org_name="株式会社サンプル精工", est_name="本社工場", codes=("2592",), on=D(2026, 4, 1))
    encoded = []
    real_qr = pdf.qr_svg
    monkeypatch.setattr(pdf, "qr_svg", lambda url: encoded.append(url) or real_qr(url))
    client.force_login(member_of(m))
    r = client.post(reverse("roster:confirmation", args=[m.establishment.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert f'filename="jaim-confirmation-{m.member_number}-20261102.pdf"' in r["Content-Disposition"]
    text = pdf_text(r.content)
    for expected in [
        "発行日：2026年11月2日",
        m.member_number,
        "株式会社サンプル精工",
        "本社工場",
        "2592",
        "2026年4月1日",
    ]:
        assert expected in text, expected
    token = m.roster_entry.token
    assert encoded == [f"http://127.0.0.1:8000/roster/e/{token}/"]  # the QR code points to the entry URL
    assert f"/roster/e/{token}/" in text
    assert AuditEvent.objects.filter(action="confirmation_issued", object_id=str(m.roster_entry.pk)).exists()


def test_confirmation_during_a_relocation_shows_old_and_new_names(client):
    m = listed(org_name="株式会社サンプル精工", est_name="岐阜工場", prefecture="21", city="岐阜市")
    members.record_identity_change(
        m.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="各務原新工場",
        accepted_on=D(2026, 10, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line="1-1",
    )
    client.force_login(member_of(m))
    text = pdf_text(client.post(reverse("roster:confirmation", args=[m.establishment.pk])).content)
    assert "岐阜工場" in text and "各務原新工場" in text and "移転の手続中" in text


def test_another_company_cannot_get_the_confirmation(client):
    m = listed()
    client.force_login(UserFactory())
    assert client.post(reverse("roster:confirmation", args=[m.establishment.pk])).status_code == 404


def test_anonymous_is_sent_to_login_and_get_is_not_allowed(client):
    m = listed()
    r = client.post(reverse("roster:confirmation", args=[m.establishment.pk]))
    assert r.status_code == 302 and reverse("login") in r.url
    client.force_login(member_of(m))
    assert client.get(reverse("roster:confirmation", args=[m.establishment.pk])).status_code == 405


def test_not_listed_establishment_gets_a_message_instead(client):
    m = membership_for(EstablishmentFactory())  # awaiting payment
    client.force_login(member_of(m))
    r = client.post(reverse("roster:confirmation", args=[m.establishment.pk]), follow=True)
    assert "会員名簿に掲載されていないため" in r.content.decode()


def test_my_page_panel_offers_the_button_and_the_public_url(client):
    m = listed(on=D(2026, 4, 1))
    client.force_login(member_of(m))
    page = client.get(reverse("members:establishment_detail", args=[m.establishment.pk])).content.decode()
    assert "会員確認書（PDF）を発行する" in page
    assert reverse("roster:confirmation", args=[m.establishment.pk]) in page
    assert f"/roster/e/{m.roster_entry.token}/" in page
    pending = membership_for(EstablishmentFactory(organisation=m.establishment.organisation))
    page = client.get(
        reverse("members:establishment_detail", args=[pending.establishment.pk])
    ).content.decode()
    assert "会員確認書（PDF）を発行する" not in page and "現在、会員名簿に掲載されていません" in page


def test_pdf_renderer_fetches_only_static_files_and_the_pinned_font(tmp_path):
    fetcher = pdf.StaticOnlyFetcher()
    assert fetcher.fetch(pdf.font_path().resolve().as_uri()).read(4) == b"\x00\x01\x00\x00"  # TrueType
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "site.css").resolve().as_uri()
    assert fetcher.fetch(css).read(10)
    for url in [
        "http://example.com/x.png",
        "file:///etc/passwd",
        "data:text/plain,hi",
        css + "/../../../../etc/passwd",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
