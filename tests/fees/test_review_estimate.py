"""The fee shown before approval is the fee approval bills (F3, F4, F6; FAQ 2-5-1): the estimate on the reviewer's
approval page against the real invoice the real fees service issues."""

import pytest
from django.urls import reverse

from applications import selectors, services
from applications.models import Application
from fees.models import Invoice
from jaim.dates import today
from jaim.formats import yen
from tests.applications.factories import reviewer, submitted
from tests.fees.factories import FeeScheduleFactory
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


def change_url(app, action):
    return reverse(f"admin:applications_application_{action}", args=[app.pk])


@pytest.fixture
def schedule():
    return FeeScheduleFactory(fiscal_year=today().year if today().month >= 4 else today().year - 1)


def test_approving_bills_exactly_the_estimate_shown_on_the_approval_page(client, schedule):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    verified_login(client, staff)
    page = client.get(change_url(app, "approve")).content.decode()
    quote, _ = selectors.fee_estimate(Application.objects.get(pk=app.pk))
    assert "承認すると発行される請求書（見込み）" in page and yen(quote.total_yen) in page
    assert client.post(change_url(app, "approve")).status_code == 302
    invoice = Invoice.objects.get(membership__establishment=app.establishment)
    assert invoice.total_yen == quote.total_yen
    assert [(line.description, line.amount_yen) for line in invoice.lines.order_by("pk")] == [
        (line.description, line.amount_yen) for line in quote.lines
    ]
