"""The reviewer's workspace: one screen per application with each requirement beside its evidence (PDF pages and
images shown inline), the JSIC codes and their add-on rules, the applicant's history, the fee the approval will
bill (F3, F4, F6; the fee-notice date is the day review ends, FAQ 2-5-1) and the decisions."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import selectors, services
from applications.models import Application
from jaim.dates import today
from jaim.formats import yen
from tests.applications.factories import add_doc, applicant, complete, draft, reviewer, submitted
from tests.factories import AssociationFactory
from tests.fees.factories import FeeScheduleFactory
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


def change_url(app, action=None):
    if action:
        return reverse(f"admin:applications_application_{action}", args=[app.pk])
    return reverse("admin:applications_application_change", args=[app.pk])


@pytest.fixture
def schedule():
    return FeeScheduleFactory(fiscal_year=today().year if today().month >= 4 else today().year - 1)


def test_the_workspace_shows_every_requirement_with_its_evidence_the_codes_the_fee_and_the_decisions(
    client, schedule
):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    verified_login(client, staff)
    page = client.get(change_url(app))
    assert page.status_code == 200
    html = page.content.decode()
    ws = page.context["workspace"]
    for need in ws["needs"]:
        assert need.label in html
    for doc in app.documents.all():  # each document previewed inline, beside its requirement
        assert f"{reverse('applications:document', args=[doc.pk])}?preview=1" in html
    assert "2592" in html  # the JSIC code requested
    quote, problem = selectors.fee_estimate(app)
    assert problem == "" and yen(quote.total_yen) in html and "承認したときの請求（見込み）" in html
    # decisions on the same screen: return with message and deadline, reject with reason, approve
    assert 'name="ret-message"' in html and 'name="ret-deadline"' in html and 'name="rej-reason"' in html
    assert change_url(app, "approve") in html
    assert f"{app} の審査" in html
    assert "ようこそ" not in html and "さん" in html  # the header greets as an office would


def test_the_page_makes_the_same_number_of_queries_whatever_the_number_of_documents(client, schedule):
    staff = reviewer()
    verified_login(client, staff)
    small = submitted()
    large = submitted()
    user = large.created_by
    services.start_review(large, reviewer=staff)
    services.return_application(
        large, reviewer=staff, message="画像を追加してください", deadline=today() + dt.timedelta(7)
    )
    large = Application.objects.get(pk=large.pk)
    for _ in range(4):
        add_doc(large, user, "factory_image")
    services.submit_application(large, by=user)
    assert large.documents.count() >= small.documents.count() + 4

    def count(app):
        client.get(change_url(app))  # warm caches shared by both (content types, sessions)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(change_url(app)).status_code == 200
        return len(ctx.captured_queries)

    assert count(large) <= count(small) + 2  # the return message of the larger one, at most, not one per file


def test_the_history_lists_returns_and_other_applications_of_the_site(client, schedule):
    user, est = applicant()
    first = submitted(est, user)
    staff = reviewer()
    services.start_review(first, reviewer=staff)
    services.return_application(
        first, reviewer=staff, message="様式18の押印がありません", deadline=today() + dt.timedelta(10)
    )
    verified_login(client, staff)
    html = client.get(change_url(first)).content.decode()
    assert "様式18の押印がありません" in html and "差戻し" in html


def test_the_estimate_takes_the_declared_sme_and_association_claims_and_equals_the_invoice_approval_issues(
    client, schedule
):
    user, est = applicant()
    est.organisation.sme_verified_on = None  # nothing recorded yet: only the application's claims can count
    est.organisation.save()
    app = draft(est, user)
    association = AssociationFactory(is_regular_member=True)
    app.sme_claimed = True
    app.capital_yen = 50_000_000
    app.regular_employees = 40
    app.association = association
    app.association_complete_on = today() - dt.timedelta(days=30)
    app.save()
    app = complete(app, user)
    quote, _problem = selectors.fee_estimate(app)
    kinds = [line.kind for line in quote.lines]
    assert "SME_DISCOUNT" in kinds and "GROUP_DISCOUNT" in kinds  # F3, F4 as declared

    app.sme_claimed = False
    app.association = None
    assert [line.kind for line in selectors.fee_estimate(app)[0].lines if "DISCOUNT" in line.kind] == []


def test_other_kinds_bill_nothing(schedule):
    for kind in (
        Application.Kind.RELOCATION,
        Application.Kind.NAME_CHANGE,
        Application.Kind.ADD_CLASSIFICATION,
    ):
        assert selectors.fee_estimate(Application(kind=kind)) == (None, "")


def test_without_a_fee_schedule_the_reviewer_is_told_why_there_is_no_estimate(client):
    app = submitted()
    quote, problem = selectors.fee_estimate(app)
    assert quote is None and "会費表" in problem


def test_a_reviewer_sees_a_pdf_page_as_an_image_and_the_applicant_still_downloads_the_file(client, schedule):
    app = submitted()
    doc = app.documents.filter(content_type="application/pdf").first()
    url = reverse("applications:document", args=[doc.pk])
    staff = reviewer()
    verified_login(client, staff)
    shown = client.get(url, {"preview": "1"})
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "sandbox" in shown["Content-Security-Policy"]
    assert client.get(url, {"preview": "1", "page": "7"}).status_code == 404  # a one-page PDF has no page 7

    client.logout()
    client.force_login(app.created_by)
    own = client.get(url, {"preview": "1"})
    assert own.status_code == 200 and "attachment" in own["Content-Disposition"]
    assert b"".join(own.streaming_content).startswith(b"%PDF")


def test_the_evidence_template_is_named_never_shown_as_its_code(client):
    """「様式other」 read as a code: the checklist, the codes table and the evidence show 「その他の分類用」."""
    from applications import selectors
    from tests.applications.factories import reviewer, submitted
    from tests.security.helpers import verified_login

    app = submitted(codes=("2592",))
    verified_login(client, reviewer())
    html = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "出荷実績の証明書類（様式：その他の分類用）" in html  # the checklist item on the workspace
    assert "様式other" not in html and "様式：other" not in html
    labels = [n.label for n in selectors.checklist(app)]
    assert "出荷実績の証明書類（様式：その他の分類用）" in labels
