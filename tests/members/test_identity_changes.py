"""Finishing a merger (R13, FAQ 3-2-2) or relocation (R14, FAQ 3-2-3) as staff: on the identity change admin
「新会社の事業開始を確認」/「新事業所の稼働を確認」 with the date. The service moves the names and the address, ends
the side-by-side display on that day in the roster's history, records who and when, and is safe to run twice.
The effective date cannot be typed into the admin."""

import datetime as dt

import pytest
from django.urls import reverse

from jaim.errors import DomainError
from jaim.models import AuditEvent
from members import services
from members.models import IdentityChange
from roster import selectors as roster_selectors
from roster.models import NameVersion
from tests.lifecycle.conftest import at
from tests.roster.factories import listed
from tests.security.helpers import staff_user, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

D = dt.date


def line_on(membership, day):
    return roster_selectors.lines_on(day).get(entry__membership=membership)


@pytest.fixture
def relocation():
    membership = listed(
        org_name="株式会社岐阜精機", est_name="岐阜工場", prefecture="21", city="岐阜市", on=D(2026, 4, 1)
    )
    with at(D(2026, 6, 1)):
        change = services.record_identity_change(
            membership.establishment,
            kind="RELOCATION",
            new_organisation_name="",
            new_establishment_name="各務原新工場",
            accepted_on=D(2026, 6, 1),
            new_postal_code="5040000",
            new_prefecture="21",
            new_city="各務原市",
            new_address_line="テクノプラザ1-1",
        )
    return membership, change


@pytest.fixture
def merger():
    a = listed(org_name="株式会社旧名工業", est_name="本社工場", on=D(2026, 4, 1))
    b = listed(organisation=a.establishment.organisation, est_name="第二工場", on=D(2026, 4, 1))
    with at(D(2026, 7, 1)):
        change = services.record_identity_change(
            a.establishment,
            kind="NAME_CHANGE",
            new_organisation_name="株式会社新名ホールディングス",
            new_establishment_name="",
            accepted_on=D(2026, 7, 1),
        )
    return a, b, change


def test_finishing_a_relocation_moves_name_and_address_and_the_roster_turns_on_that_day_R14(relocation):
    membership, change = relocation
    staff = staff_user(group="reviewer")
    with at(D(2026, 9, 3)):
        services.complete_identity_change(change, effective_on=D(2026, 9, 1), by=staff)
    est = membership.establishment
    est.refresh_from_db()
    assert (est.name, est.postal_code, est.city, est.address_line) == (
        "各務原新工場",
        "5040000",
        "各務原市",
        "テクノプラザ1-1",
    )
    before, after = line_on(membership, D(2026, 8, 31)), line_on(membership, D(2026, 9, 1))
    assert (before.establishment_name, before.new_establishment_name) == ("岐阜工場", "各務原新工場")
    assert (after.establishment_name, after.new_establishment_name, after.change_kind) == (
        "各務原新工場",
        "",
        "",
    )
    assert (before.city, after.city) == ("岐阜市", "各務原市")
    assert line_on(membership, D(2026, 5, 1)).establishment_name == "岐阜工場"  # before acceptance: old only
    change.refresh_from_db()
    assert change.completed_by == staff and change.completed_at is not None
    assert change.follow_up_due_on == D(2026, 10, 1)  # 30 days after the new site operates
    event = AuditEvent.objects.get(object_id=str(change.pk), action="effective")
    assert event.actor == staff and event.note.startswith("2026年9月1日から・追加書類の期限 ")


def test_finishing_a_merger_renames_the_company_on_every_site_from_that_day_R13(merger):
    a, b, change = merger
    with at(D(2026, 10, 2)):
        services.complete_identity_change(change, effective_on=D(2026, 10, 1))
    org = a.establishment.organisation
    org.refresh_from_db()
    assert org.name == "株式会社新名ホールディングス"
    for m in (a, b):
        assert line_on(m, D(2026, 10, 1)).organisation_name == "株式会社新名ホールディングス"
        assert line_on(m, D(2026, 9, 30)).organisation_name == "株式会社旧名工業"
    assert line_on(a, D(2026, 10, 1)).new_organisation_name == ""  # no longer side by side


def test_finishing_twice_with_the_same_date_changes_nothing_R14(relocation):
    membership, change = relocation
    with at(D(2026, 9, 3)):
        services.complete_identity_change(change, effective_on=D(2026, 9, 1))
        versions = list(
            NameVersion.objects.filter(entry__membership=membership).values_list("pk", "valid_from")
        )
        services.complete_identity_change(change, effective_on=D(2026, 9, 1))
    assert (
        list(NameVersion.objects.filter(entry__membership=membership).values_list("pk", "valid_from"))
        == versions
    )
    assert AuditEvent.objects.filter(object_id=str(change.pk), action="effective").count() == 1


def test_finishing_again_with_another_date_is_refused_and_keeps_the_first(relocation):
    _membership, change = relocation
    with at(D(2026, 9, 3)):
        services.complete_identity_change(change, effective_on=D(2026, 9, 1))
        with pytest.raises(DomainError, match="2026年9月1日付けで稼働を確認済み"):
            services.complete_identity_change(change, effective_on=D(2026, 9, 2))
    assert IdentityChange.objects.get(pk=change.pk).effective_on == D(2026, 9, 1)


@pytest.mark.parametrize(
    "effective_on, message",
    [(D(2026, 5, 31), "受理日"), (D(2026, 9, 4), "未来の日付")],
)
def test_a_date_before_acceptance_or_in_the_future_is_refused_and_nothing_moves(
    relocation, effective_on, message
):
    membership, change = relocation
    with at(D(2026, 9, 3)), pytest.raises(DomainError, match=message):
        services.complete_identity_change(change, effective_on=effective_on)
    change.refresh_from_db()
    assert change.effective_on is None
    membership.establishment.refresh_from_db()
    assert membership.establishment.name == "岐阜工場"


def test_a_member_report_waits_for_staff_and_never_finishes_the_change(relocation):
    membership, change = relocation
    with at(D(2026, 9, 2)):
        services.report_identity_change_effective(change, effective_on=D(2026, 9, 1), by=None)
    change.refresh_from_db()
    assert change.reported_effective_on == D(2026, 9, 1) and change.effective_on is None
    assert line_on(membership, D(2026, 9, 2)).new_establishment_name == "各務原新工場"  # still side by side


# --- the admin -------------------------------------------------------------------------------------------------


def test_the_effective_date_is_read_only_in_the_admin_and_a_posted_date_changes_nothing(client, relocation):
    _membership, change = relocation
    admin_user = staff_user(group="administrator")
    verified_login(client, admin_user)
    url = reverse("admin:members_identitychange_change", args=[change.pk])
    page = client.get(url).content.decode()
    assert 'name="effective_on"' not in page and "新事業所の稼働を確認" in page
    client.post(url, {"effective_on": "2026-09-01", "new_establishment_name": "乗っ取り工場"})
    change.refresh_from_db()
    assert change.effective_on is None and change.new_establishment_name == "各務原新工場"


def test_the_admin_offers_no_add_no_delete_and_no_delete_selected(client, relocation):
    _membership, change = relocation
    verified_login(client, staff_user(group="administrator"))
    changelist = client.get(reverse("admin:members_identitychange_changelist")).content.decode()
    assert "delete_selected" not in changelist and "confirm_effective_action" in changelist
    assert client.get(reverse("admin:members_identitychange_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:members_identitychange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert IdentityChange.objects.filter(pk=change.pk).exists()


def test_a_reviewer_finishes_a_relocation_on_its_admin_page_with_the_date_R14(client, relocation):
    membership, change = relocation
    staff = staff_user(group="reviewer")
    verified_login(client, staff)
    url = reverse("admin:members_identitychange_confirm", args=[change.pk])
    with at(D(2026, 9, 3)):
        assert "新事業所の稼働を確認" in client.get(url).content.decode()
        r = client.post(url, {"effective_on": "2026-09-01", "follow_up_due_on": "2026-09-30"})
        assert r.status_code == 302
        again = client.post(url, {"effective_on": "2026-09-01"})  # a second click: nothing more happens
        assert again.status_code == 302
    change.refresh_from_db()
    assert (change.effective_on, change.follow_up_due_on, change.completed_by) == (
        D(2026, 9, 1),
        D(2026, 9, 30),
        staff,
    )
    assert AuditEvent.objects.filter(object_id=str(change.pk), action="effective").count() == 1
    assert line_on(membership, D(2026, 9, 1)).establishment_name == "各務原新工場"


def test_the_changelist_action_asks_the_date_then_finishes_the_selected_changes_R13(client, merger):
    a, _b, change = merger
    verified_login(client, staff_user(group="administrator"))
    url = reverse("admin:members_identitychange_changelist")
    data = {"action": "confirm_effective_action", "_selected_action": [change.pk]}
    with at(D(2026, 10, 2)):
        page = client.post(url, data).content.decode()
        assert 'name="effective_on"' in page and "株式会社新名ホールディングス" in page
        change.refresh_from_db()
        assert change.effective_on is None  # only asked so far
        client.post(url, {**data, "confirm": "yes", "effective_on": "2026-10-01"})
    change.refresh_from_db()
    assert change.effective_on == D(2026, 10, 1)


def test_finance_staff_neither_see_the_action_nor_reach_the_confirmation(client, relocation):
    _membership, change = relocation
    verified_login(client, staff_user(group="finance"))
    changelist = client.get(reverse("admin:members_identitychange_changelist")).content.decode()
    assert "confirm_effective_action" not in changelist
    url = reverse("admin:members_identitychange_confirm", args=[change.pk])
    assert client.post(url, {"effective_on": "2026-09-01"}).status_code == 403
    change.refresh_from_db()
    assert change.effective_on is None


def test_the_staff_queue_filters_reported_and_overdue_changes(client, relocation, merger):
    _membership, change = relocation
    *_rest, other = merger
    with at(D(2026, 9, 2)):
        services.report_identity_change_effective(change, effective_on=D(2026, 9, 1), by=None)
    verified_login(client, staff_user(group="reviewer"))
    page = client.get(reverse("admin:members_identitychange_changelist") + "?state=reported").content.decode()
    assert "各務原新工場" in page and "株式会社新名ホールディングス" not in page
    assert "会員から稼働の報告あり" in page
