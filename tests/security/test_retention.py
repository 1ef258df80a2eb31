"""Security: past the retention period (data) after withdrawal, staff anonymise an establishment's personal data
in one admin action; invoices, the roster history and member numbers stay."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from jaim.errors import DomainError
from jaim.mail import queue_mail
from jaim.models import AuditEvent, OutboxMessage, RetentionPolicy
from members import services
from members.models import Access, Establishment, Membership, Organisation
from tests.factories import EstablishmentFactory, UserFactory, head_office, membership_for, withdraw
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


def _withdrawn_site(*, withdrawn_on=dt.date(2026, 9, 30), org=None):
    est = EstablishmentFactory(organisation=org) if org else EstablishmentFactory()
    m = membership_for(est, active_on=dt.date(2026, 7, 1))
    withdraw(m, on=withdrawn_on)
    Membership.objects.filter(pk=m.pk).update(withdrawal_reason="担当の山田が退職したため")
    return est, Membership.objects.get(pk=m.pk)


def test_the_retention_period_is_data_that_staff_edit_and_its_history_is_kept():
    policy = RetentionPolicy.current()
    assert policy.withdrawn_years == 5
    assert policy.cutoff(dt.date(2032, 6, 1)) == dt.date(2027, 6, 1)
    assert policy.cutoff(dt.date(2028, 2, 29)) == dt.date(2023, 2, 28)
    policy.withdrawn_years = 7
    policy.save()
    assert RetentionPolicy.current().history.count() == 2


@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_anonymising_removes_peoples_data_and_keeps_names_numbers_and_history():
    owner, org = head_office(UserFactory(email="owner.person@example.jp", full_name="山田 太郎"))
    est, membership = _withdrawn_site(org=org)
    site_only = UserFactory(email="site.person@example.jp", full_name="佐藤 花子")
    Access.objects.create(user=site_only, establishment=est)
    elsewhere = UserFactory(email="still.member@example.jp", full_name="鈴木 一郎")
    Access.objects.create(user=elsewhere, establishment=est)
    # … who also acts for a live site of another company: kept.
    Access.objects.create(user=elsewhere, establishment=EstablishmentFactory())
    queue_mail(to=site_only.email, template="verify_email", context={"user": site_only, "url": "x"}, kind="t")
    staff = staff_user()

    result = services.anonymise_establishment(est, by=staff)

    est.refresh_from_db()
    org.refresh_from_db()
    site_only.refresh_from_db()
    owner.refresh_from_db()
    elsewhere.refresh_from_db()
    assert result == {"users": 2, "organisation": True}
    # People: names and addresses gone, accounts closed.
    for person, old in [(site_only, "site.person@example.jp"), (owner, "owner.person@example.jp")]:
        assert person.email == services.anonymised_email(person) and person.full_name == ""
        assert not person.is_active and not person.has_usable_password()
        assert not person.history.filter(email=old).exists()
        assert not person.history.exclude(full_name="").exists()
    assert elsewhere.email == "still.member@example.jp" and elsewhere.full_name == "鈴木 一郎"
    assert not OutboxMessage.objects.filter(to="site.person@example.jp").exists()
    assert not AuditEvent.objects.filter(note__contains="site.person@example.jp").exists()
    # The site's and the organisation's personal fields, including in their history.
    assert est.phone == services.ANONYMISED_PHONE and org.representative_name == services.ANONYMISED
    assert not Organisation.history.filter(id=org.pk, representative_name="代表 太郎").exists()
    assert not Establishment.history.filter(id=est.pk, phone="0581234567").exists()
    assert Membership.objects.get(pk=membership.pk).withdrawal_reason == ""
    assert not Membership.history.filter(id=membership.pk).exclude(withdrawal_reason="").exists()
    # What stays: names of the company and site, the member number and the status history.
    assert org.name.startswith("株式会社テスト製作所") and est.name
    m = Membership.objects.get(pk=membership.pk)
    assert m.member_number == membership.member_number and m.withdrawn_on == dt.date(2026, 9, 30)
    assert AuditEvent.objects.filter(object_id=str(m.pk), action="status:WITHDRAWN").exists()
    assert AuditEvent.objects.filter(object_id=str(est.pk), action="anonymised", actor=staff).exists()


@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_the_organisation_is_kept_while_another_of_its_sites_is_still_a_member():
    owner, org = head_office()
    est, _m = _withdrawn_site(org=org)
    other = EstablishmentFactory(organisation=org)
    membership_for(other, active_on=dt.date(2027, 4, 1))
    result = services.anonymise_establishment(est, by=None)
    org.refresh_from_db()
    owner.refresh_from_db()
    assert result == {"users": 0, "organisation": False}
    assert org.representative_name == "代表 太郎" and owner.is_active


@pytest.mark.parametrize(
    "withdrawn_on, years, allowed",
    [
        (dt.date(2027, 5, 31), 5, True),
        (dt.date(2027, 6, 1), 5, False),  # exactly five years: not yet *longer* than the period
        (dt.date(2027, 5, 31), 6, False),
    ],
)
@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_only_establishments_withdrawn_longer_than_the_retention_period_can_be_anonymised(
    withdrawn_on, years, allowed
):
    RetentionPolicy.objects.update_or_create(pk=1, defaults={"withdrawn_years": years})
    est, _m = _withdrawn_site(withdrawn_on=withdrawn_on)
    if allowed:
        services.anonymise_establishment(est, by=None)
    else:
        with pytest.raises(DomainError):
            services.anonymise_establishment(est, by=None)
        assert Establishment.objects.get(pk=est.pk).phone == "0581234567"


@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_an_active_member_or_a_site_that_never_joined_is_never_anonymised():
    active = EstablishmentFactory()
    membership_for(active, active_on=dt.date(2026, 7, 1))
    never = EstablishmentFactory()
    for est in (active, never):
        with pytest.raises(DomainError):
            services.anonymise_establishment(est, by=None)


@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_staff_anonymise_from_the_admin_after_a_confirmation_page(client):
    est, _m = _withdrawn_site()
    keep = EstablishmentFactory()
    membership_for(keep, active_on=dt.date(2026, 7, 1))
    admin = staff_user()  # administrator group: may delete establishments
    verified_login(client, admin)
    url = reverse("admin:members_establishment_changelist")
    data = {"action": "anonymise_past_retention", "_selected_action": [est.pk, keep.pk]}
    confirm = client.post(url, data)
    assert confirm.status_code == 200 and "元に戻すことはできません" in confirm.content.decode()
    assert Establishment.objects.get(pk=est.pk).phone == "0581234567"  # nothing changed yet

    done = client.post(url, {**data, "confirm": "yes"}, follow=True)
    html = done.content.decode()
    assert "1件の事業所の個人情報を匿名化しました" in html and "保存期間が過ぎていないため" in html
    assert Establishment.objects.get(pk=est.pk).phone == services.ANONYMISED_PHONE
    assert Establishment.objects.get(pk=keep.pk).phone == "0581234567"


def test_reviewers_cannot_anonymise(client):
    est, _m = _withdrawn_site()
    verified_login(client, staff_user(group="reviewer"))
    response = client.post(
        reverse("admin:members_establishment_changelist"),
        {"action": "anonymise_past_retention", "_selected_action": [est.pk], "confirm": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert Establishment.objects.get(pk=est.pk).phone == "0581234567"


@time_machine.travel(dt.datetime(2032, 6, 1, 12, tzinfo=dt.UTC))
def test_anonymising_scrubs_the_staff_notes_of_the_site_but_keeps_that_they_were_written():
    """Staff notes may name the site's people (「山田様より電話」): past retention their text, strike reason, history
    and attachments go; the notes stay (never deleted), so the timeline still shows a call took place."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from backoffice.models import StaffNote
    from backoffice.services.notes import ANONYMISED_NOTE

    est, _membership = _withdrawn_site()
    other, _ = _withdrawn_site()
    staff = staff_user()
    name = default_storage.save("backoffice/notes/test-attachment.pdf", ContentFile(b"%PDF-1.4 memo"))
    note = StaffNote.objects.create(
        establishment=est, kind="PHONE", text="担当の山田様（090-1234-5678）より退会の相談", author=staff,
        attachment=name, attachment_name="山田様メモ.pdf", attachment_type="application/pdf", attachment_size=13,
    )  # fmt: skip
    StaffNote.objects.filter(pk=note.pk).update(strike_reason="山田様の依頼で訂正")
    kept = StaffNote.objects.create(establishment=other, kind="MEMO", text="別の事業所のメモ", author=staff)

    services.anonymise_establishment(est, by=staff)

    note.refresh_from_db()
    assert note.text == ANONYMISED_NOTE and note.strike_reason == "" and not note.attachment
    assert note.attachment_name == "" and note.kind == "PHONE" and note.author == staff  # the fact remains
    assert not StaffNote.history.filter(id=note.pk, text__contains="山田").exists()
    assert StaffNote.objects.get(pk=kept.pk).text == "別の事業所のメモ"  # another site's notes untouched
