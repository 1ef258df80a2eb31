"""The fee before deciding, for the applicant: the wizard's confirmation step and My Page show the first-year fee
the application would be billed (lines, discounts, the first-year fraction of the notice month, 不課税), marked
見込み, from the same estimate the reviewer sees (F3, F4, F6, F9; the fee-notice date is the day review ends,
FAQ 2-5-1)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import selectors, services
from applications.models import Application
from jaim.dates import fiscal_year_of, today
from jaim.formats import yen
from tests.applications.factories import applicant, complete, draft, reviewer, submitted
from tests.factories import AssociationFactory, AssociationMembershipFactory, EstablishmentFactory
from tests.fees.factories import FeeScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedule():
    return FeeScheduleFactory(fiscal_year=fiscal_year_of(today()))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _quote_block(html: str, app) -> str:
    start = html.index(f'id="fee-quote-{app.pk}"')
    return html[start : html.index("</div>", start)]


def test_the_confirmation_step_shows_the_total_of_the_fee_estimate_marked_as_an_estimate(client, schedule):
    user, est = applicant()
    app = complete(draft(est, user), user)
    client.force_login(user)
    html = client.get(reverse("applications:review", args=[app.pk])).content.decode()
    quote, problem = selectors.fee_estimate(Application.objects.get(pk=app.pk))
    assert problem == ""
    block = _text(_quote_block(html, app))
    assert f"合計（見込み・不課税） {yen(quote.total_yen)}" in block
    assert "見込み" in block and "不課税" in block
    # F6: the first-year share of the notice month
    first_year = next(line for line in quote.lines if line.kind == "FIRST_YEAR")
    assert f"{today().month}月入会" in first_year.description and first_year.description in block
    for line in quote.lines:
        assert line.description in block and yen(line.amount_yen) in block


def test_a_later_notice_month_shows_that_months_first_year_fee(client, schedule):
    user, est = applicant()
    app = complete(draft(est, user), user)
    client.force_login(user)
    later = (today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    FeeScheduleFactory(fiscal_year=fiscal_year_of(later))
    url = reverse("applications:review", args=[app.pk])
    html = client.get(url, {"notice": later.strftime("%Y-%m")}).content.decode()
    quote, _ = selectors.fee_estimate(Application.objects.get(pk=app.pk), on=later)
    block = _text(_quote_block(html, app))
    assert f"合計（見込み・不課税） {yen(quote.total_yen)}" in block
    assert f"{later.year}年{later.month}月に審査が終わり" in block
    # a month outside the offered ones falls back to this month, never to an arbitrary date
    html = client.get(url, {"notice": "1999-01"}).content.decode()
    this_month, _ = selectors.fee_estimate(Application.objects.get(pk=app.pk))
    assert f"合計（見込み・不課税） {yen(this_month.total_yen)}" in _text(_quote_block(html, app))


def test_without_a_schedule_for_that_year_the_applicant_is_told_so_in_their_words(client):
    user, est = applicant()
    app = complete(draft(est, user), user)
    client.force_login(user)
    html = client.get(reverse("applications:review", args=[app.pk])).content.decode()
    block = _text(_quote_block(html, app))
    assert "会費表がまだ登録されていない" in block and "経理担当" not in block and "¥" not in block


def test_my_page_shows_the_estimate_of_a_submitted_application_not_yet_invoiced(client, schedule):
    app = submitted()
    user = app.created_by
    client.force_login(user)
    html = client.get(reverse("members:mypage")).content.decode()
    quote, _ = selectors.fee_estimate(Application.objects.get(pk=app.pk))
    block = _text(_quote_block(html, app))
    assert f"合計（見込み・不課税） {yen(quote.total_yen)}" in block and "見込み" in block

    # once approved, it is invoiced: the estimate goes (the invoice is on the establishment's page)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(Application.objects.get(pk=app.pk), reviewer=staff)
    html = client.get(reverse("members:mypage")).content.decode()
    assert f'id="fee-quote-{app.pk}"' not in html


def test_the_group_discount_line_appears_when_the_association_claim_applies_f4(client, schedule):
    user, est = applicant()
    app = draft(est, user)
    app.association = AssociationFactory(is_regular_member=True)
    app.association_complete_on = today() - dt.timedelta(days=30)  # complete before applying: first year (F4)
    app.save()
    app = complete(app, user)
    client.force_login(user)
    block = _text(
        _quote_block(client.get(reverse("applications:review", args=[app.pk])).content.decode(), app)
    )
    assert f"正会員団体割引 {yen(-schedule.group_discount_yen)}" in block
    assert "割引は、申請の内容のとおり審査で認められた場合の金額です。" in block

    other_user, other = applicant()  # a pending association membership never counts (F4)
    pending = draft(other, other_user)
    pending.association = AssociationFactory(is_regular_member=True)
    pending.association_complete_on = None
    pending.save()
    pending = complete(pending, other_user)
    client.force_login(other_user)
    html = client.get(reverse("applications:review", args=[pending.pk])).content.decode()
    assert "正会員団体割引" not in _text(_quote_block(html, pending))


def test_my_page_queries_do_not_grow_with_the_number_of_establishments(
    client, schedule, django_assert_max_num_queries
):
    user, first = applicant()
    org = first.organisation
    AssociationMembershipFactory(organisation=org, complete_on=today() - dt.timedelta(days=400))
    submitted(first, user)
    client.force_login(user)
    client.get(reverse("members:mypage"))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("members:mypage")).content.decode()
    small = len(ctx.captured_queries)
    assert html.count('class="fee-quote"') == 1
    for n in range(4):
        submitted(EstablishmentFactory(organisation=org, name=f"第{n}工場"), user)
    with django_assert_max_num_queries(small):
        html = client.get(reverse("members:mypage")).content.decode()
    assert html.count('class="fee-quote"') == 5  # one estimate per waiting application, same query count
