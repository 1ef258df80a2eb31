"""Staff see an entry's listing history in the admin (read-only: the roster follows the memberships)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from members import services as members
from tests.factories import UserFactory, lapse, reinstate
from tests.roster.factories import listed
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def reviewer_client(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="reviewer"))
    verified_login(client, user)
    return client


def test_staff_see_listing_periods_and_names_over_time(reviewer_client):
    m = listed(org_name="株式会社履歴工業", est_name="旧工場", on=D(2026, 4, 1))
    lapse(m, on=D(2027, 6, 1))
    reinstate(m, on=D(2027, 7, 1))
    members.record_identity_change(
        m.establishment,
        kind="NAME_CHANGE",
        new_organisation_name="株式会社履歴ホールディングス",
        new_establishment_name="新工場",
        accepted_on=D(2027, 8, 1),
    )
    entry = m.roster_entry
    listing = reviewer_client.get(
        reverse("admin:roster_rosterentry_changelist"), {"q": "履歴"}
    ).content.decode()
    assert m.member_number in listing
    page = reviewer_client.get(reverse("admin:roster_rosterentry_change", args=[entry.pk])).content.decode()
    for expected in [
        "2026年4月1日",
        "2027年6月1日",
        "2027年7月1日",
        "会費未納による失効",
        "失効からの復活",
        "株式会社履歴ホールディングス",
        "2027年8月1日",
        f"/roster/e/{entry.token}/",
    ]:
        assert expected in page, expected


def test_the_roster_admin_is_read_only(reviewer_client):
    m = listed()
    entry = m.roster_entry
    page = reviewer_client.get(reverse("admin:roster_rosterentry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in page
    assert reviewer_client.get(reverse("admin:roster_rosterentry_add")).status_code == 403
    assert (
        reviewer_client.post(
            reverse("admin:roster_rosterentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
