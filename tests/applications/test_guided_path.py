"""The guided path on My Page: a new user sees the next step first; each establishment shows its place on
法人 → 事業所 → 申請 → 審査 → 入金 → 名簿掲載 with what is missing and the next action (R1, R7, R9: listed on the
roster after the first fee is paid)."""

import datetime as dt

import pytest
from django.urls import reverse

from applications import services
from applications.guide import guide_for
from applications.models import Application
from jaim.dates import today
from members import services as member_services
from members.models import Membership
from tests.applications.factories import applicant, complete, draft, reviewer, submitted
from tests.factories import UserFactory, head_office

pytestmark = pytest.mark.django_db


def _steps(place):
    return [(s.label, s.done, s.current) for s in place.steps]


def _current(place):
    return next((s.key for s in place.steps if s.current), None)


def test_a_new_user_sees_registering_the_organisation_first(client):
    user = UserFactory()
    g = guide_for(user)
    assert g.is_new_user and _current(g.next) == "organisation"
    assert g.next.action.url == reverse("members:organisation_create")
    client.force_login(user)
    html = client.get(reverse("members:mypage")).content.decode()
    main = html[html.index("<main") :]
    # the next step is the first panel of the page, before the information mail and 2FA cards
    assert main.index('id="guide"') < main.index("<section", main.index("<section") + 1)
    assert main.index("法人を登録する") < main.index("2段階認証")
    assert 'aria-current="step">法人</li>' in main


def test_with_an_organisation_and_no_establishment_the_next_step_is_the_establishment():
    user, org = head_office()
    g = guide_for(user)
    assert _current(g.next) == "establishment"
    assert g.next.action.url == reverse("members:establishment_create", args=[org.pk])
    assert [done for _label, done, _cur in _steps(g.next)] == [True, False, False, False, False, False]


def test_an_establishment_without_an_application_is_asked_to_apply():
    user, est = applicant()
    g = guide_for(user)
    (place,) = g.places
    assert _current(place) == "application" and place.waits_for_us
    assert place.action.url == reverse("applications:start") + f"?establishment={est.pk}&kind=NEW"
    assert g.next is place


def test_a_draft_continues_where_the_applicant_left_off():
    user, est = applicant()
    app = draft(est, user)
    (place,) = guide_for(user).places
    assert _current(place) == "application" and "下書き" in place.missing
    assert place.action.url == reverse("applications:step", args=[app.pk, "addon"])  # after the codes step


def test_a_submitted_application_waits_for_the_secretariat_and_a_returned_one_for_the_applicant():
    app = submitted()
    user = app.created_by
    (place,) = guide_for(user).places
    assert _current(place) == "review" and not place.waits_for_us and guide_for(user).next is None
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.return_application(
        Application.objects.get(pk=app.pk),
        reviewer=staff,
        message="画像を追加してください",
        deadline=today() + dt.timedelta(days=14),
    )
    (place,) = guide_for(user).places
    assert _current(place) == "review" and place.waits_for_us and "修正" in place.missing
    assert place.action.url == reverse("applications:detail", args=[app.pk])


def test_after_approval_the_step_is_payment_and_after_payment_the_site_is_listed_r9(client):
    app = submitted()
    user = app.created_by
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(Application.objects.get(pk=app.pk), reviewer=staff)
    (place,) = guide_for(user).places
    assert _current(place) == "payment" and place.waits_for_us and "#fees" in place.action.url
    # the first payment activates the membership and lists it (R9; fees.services.record_payment calls this)
    member_services.activate_membership(Membership.objects.get(establishment=app.establishment), on=today())
    (place,) = guide_for(user).places
    assert place.is_complete and _current(place) is None and all(s.done for s in place.steps)
    assert place.action is None and "会員名簿に掲載されています" in place.missing
    client.force_login(user)
    html = client.get(reverse("members:mypage")).content.decode()
    assert "事業所ごとの手続きの状況" in html and 'aria-current="step"' not in html


def test_each_establishment_has_its_own_place_and_the_first_that_needs_the_user_comes_next():
    user, first = applicant()
    from tests.factories import EstablishmentFactory

    second = EstablishmentFactory(organisation=first.organisation, name="第二工場")
    services.submit_application(complete(draft(first, user), user), by=user)
    places = {p.establishment.pk: p for p in guide_for(user).places}
    assert _current(places[first.pk]) == "review" and _current(places[second.pk]) == "application"
    assert guide_for(user).next.establishment.pk == second.pk


def test_a_withdrawn_site_rejoins_by_a_new_application_r12_and_a_lapsed_one_pays_to_be_reinstated():
    from tests.factories import lapse, membership_for, withdraw

    user, est = applicant()
    withdraw(membership_for(est, active_on=dt.date(2026, 6, 20)), on=today())
    (place,) = guide_for(user).places
    assert _current(place) == "application" and "再入会" in place.missing
    assert place.action.url.endswith(f"?establishment={est.pk}&kind=NEW")

    other_user, other = applicant()
    lapse(membership_for(other, active_on=dt.date(2026, 4, 10)), on=dt.date(2027, 4, 1))
    (place,) = guide_for(other_user).places
    assert _current(place) == "payment" and "失効" in place.missing and "#fees" in place.action.url


def test_the_establishment_page_shows_where_the_site_stands_and_its_next_action(client):
    """The path is on the site's own page too, at the top: without an application the step 申請 is current and the
    page offers to start one; once submitted, 審査 is current and nothing is asked of the applicant."""
    user, est = applicant()
    client.force_login(user)
    url = reverse("members:establishment_detail", args=[est.pk])
    html = client.get(url).content.decode()
    guide = html[html.index('id="guide"') : html.index("</section>", html.index('id="guide"'))]
    assert "入会の手続きの状況" in guide and 'aria-current="step">申請' in guide
    assert reverse("applications:start") in guide
    submitted(est, user)
    guide = client.get(url).content.decode()
    guide = guide[guide.index('id="guide"') : guide.index("</section>", guide.index('id="guide"'))]
    assert 'aria-current="step">審査' in guide and reverse("applications:start") not in guide
