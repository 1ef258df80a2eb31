"""Withdrawal (R10, R11, R12, F8, F13, FAQ 3-1-3 … 3-1-5): 退会する on My Page with the required details →
WITHDRAWAL_REQUESTED → the secretariat confirms → WITHDRAWN on the chosen day, delisted that day; no refund;
sibling establishments unaffected; re-joining is a new application."""

import datetime as dt

import pytest
from django.urls import reverse

from applications import services as application_services
from fees import services as fee_services
from fees.models import CreditNote, Invoice
from jaim.errors import DomainError
from jaim.models import OutboxMessage
from lifecycle import services
from lifecycle.models import WithdrawalRequest
from members.models import Membership, MembershipTerm
from roster.models import ListingPeriod
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import ANSWER_DEADLINE, NOTICE_ON, fee_schedules, member, season

pytestmark = pytest.mark.django_db

DETAILS = {
    "reason": "特定技能外国人の雇用を本社工場に集約するため",
    "contact_name": "総務 花子",
    "contact_phone": "052-123-4567",
    "no_ssw_confirmed": "on",
    "no_refund_acknowledged": "on",
    "rejoin_acknowledged": "on",
}


def _request(m, user, **kw):
    data = dict(
        by=user,
        effective_on=dt.date(2026, 12, 1),
        reason="雇用を集約するため",
        contact_name="総務 花子",
        contact_phone="0521234567",
        no_ssw_confirmed=True,
        no_refund_acknowledged=True,
    )
    data.update(kw)
    return services.request_withdrawal(m, **data)


def _listed(m, day):
    return (
        ListingPeriod.objects.filter(entry__membership=m, listed_from__lte=day)
        .exclude(delisted_on__lte=day)
        .exists()
    )


@pytest.fixture
def paid_member():
    fee_schedules()
    user, m = member()
    inv = fee_services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )
    fee_services.record_payment([inv], amount_yen=inv.total_yen, received_on=dt.date(2026, 6, 20))
    return user, Membership.objects.get(pk=m.pk), inv


def test_member_withdraws_on_my_page_staff_confirm_and_it_takes_effect_on_the_chosen_day(client, paid_member):
    user, m, first_invoice = paid_member
    _sibling_user, sibling = member(m.establishment.organisation)
    staff = UserFactory(is_staff=True)
    client.force_login(user)
    with at(dt.date(2026, 11, 27)):
        page = client.get(reverse("members:establishment_detail", args=[m.establishment_id]))
        assert reverse("lifecycle:withdraw", args=[m.establishment_id]) in page.content.decode()
        form = client.get(reverse("lifecycle:withdraw", args=[m.establishment_id]))
        assert (
            "返金されません" in form.content.decode() and sibling.establishment.name in form.content.decode()
        )
        r = client.post(
            reverse("lifecycle:withdraw", args=[m.establishment_id]),
            {**DETAILS, "effective_on": "2026-12-15"},
        )
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == Membership.Status.WITHDRAWAL_REQUESTED and m.withdrawal_effective_on == dt.date(
        2026, 12, 15
    )
    req = WithdrawalRequest.objects.get(membership=m)
    assert (req.status, req.contact_phone, req.source) == ("PENDING", "0521234567", "MY_PAGE")
    assert OutboxMessage.objects.filter(kind="lifecycle_withdrawal_requested", to=user.email).exists()

    with at(dt.date(2026, 12, 1)):
        services.confirm_withdrawal(req, by=staff)
        services.complete_withdrawals()
    m.refresh_from_db()
    assert m.status == Membership.Status.WITHDRAWAL_REQUESTED  # listed until its day
    assert OutboxMessage.objects.filter(kind="lifecycle_withdrawal_confirmed", to=user.email).exists()

    with at(dt.date(2026, 12, 15)):
        services.complete_withdrawals()
    m.refresh_from_db()
    assert m.status == Membership.Status.WITHDRAWN and m.withdrawn_on == dt.date(2026, 12, 15)
    assert _listed(m, dt.date(2026, 12, 14)) and not _listed(m, dt.date(2026, 12, 15))
    # No refund (R11, F13): the paid invoice stays paid, nothing is credited. The sibling stays (FAQ 3-1-5).
    assert Invoice.objects.get(pk=first_invoice.pk).status == Invoice.Status.PAID
    assert not CreditNote.objects.exists()
    sibling.refresh_from_db()
    assert sibling.status == Membership.Status.ACTIVE and _listed(sibling, dt.date(2026, 12, 15))


def test_confirming_a_request_whose_day_has_come_withdraws_at_once(paid_member):
    user, m, _ = paid_member
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user, effective_on=dt.date(2026, 11, 27))
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
    m.refresh_from_db()
    assert m.status == Membership.Status.WITHDRAWN and m.withdrawn_on == dt.date(2026, 11, 27)
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.COMPLETED


def test_the_form_explains_what_is_missing_next_to_each_field_and_keeps_what_was_typed(client, paid_member):
    user, m, _ = paid_member
    client.force_login(user)
    with at(dt.date(2026, 11, 27)):
        r = client.post(
            reverse("lifecycle:withdraw", args=[m.establishment_id]),
            {"reason": "", "contact_name": "総務 花子", "contact_phone": "12", "effective_on": "2026-12-01"},
        )
    html = r.content.decode()
    assert r.status_code == 400
    assert "退会の理由を入力してください。" in html and "確認のうえチェックしてください。" in html
    assert "電話番号は0から始まる10桁または11桁の数字で入力してください。" in html
    assert 'value="総務 花子"' in html
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE
    assert not WithdrawalRequest.objects.exists()


@pytest.mark.parametrize(
    "day, message",
    [
        (dt.date(2026, 11, 26), "今日以降"),
        (dt.date(2027, 4, 2), "休会・一時的な退会の制度はありません"),  # R10: no suspension, no later date
    ],
)
def test_the_withdrawal_day_is_today_or_later_and_at_the_latest_the_end_of_this_year(
    paid_member, day, message
):
    user, m, _ = paid_member
    with at(dt.date(2026, 11, 27)), pytest.raises(DomainError, match=message):
        _request(m, user, effective_on=day)
    with at(dt.date(2026, 11, 27)):
        assert _request(m, user, effective_on=dt.date(2027, 4, 1)).is_year_end  # leave at the end of March


def test_a_member_takes_back_a_request_until_the_secretariat_confirms_it(client, paid_member):
    user, m, _ = paid_member
    client.force_login(user)
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user)
        r = client.post(reverse("lifecycle:withdraw_cancel", args=[m.establishment_id]))
    assert r.status_code == 302
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.CANCELLED
    with at(dt.date(2026, 11, 28)):
        req = _request(m, user)
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
        client.post(reverse("lifecycle:withdraw_cancel", args=[m.establishment_id]))
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.CONFIRMED
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.WITHDRAWAL_REQUESTED


def test_rejoining_after_withdrawal_is_a_new_application_and_a_new_membership(paid_member):
    user, m, _ = paid_member
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user, effective_on=dt.date(2026, 11, 27))
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
        app = application_services.create_application(m.establishment, kind="NEW", by=user)
    assert app.status == "DRAFT"  # R12: the full application and review again
    with pytest.raises(DomainError):  # a withdrawn membership never comes back
        services.request_withdrawal(
            Membership.objects.get(pk=m.pk),
            by=user,
            effective_on=dt.date(2026, 12, 1),
            reason="x",
            contact_name="x",
            contact_phone="0521234567",
            no_ssw_confirmed=True,
            no_refund_acknowledged=True,
        )


def test_another_company_cannot_open_or_send_the_withdrawal_of_a_site_it_does_not_act_for(
    client, paid_member
):
    _user, m, _ = paid_member
    client.force_login(UserFactory())
    url = reverse("lifecycle:withdraw", args=[m.establishment_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {**DETAILS, "effective_on": "2026-12-15"}).status_code == 404
    assert client.post(reverse("lifecycle:withdraw_cancel", args=[m.establishment_id])).status_code == 404
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE


# --- F8: the renewal confirmation --------------------------------------------------------------------------


@pytest.fixture
def renewed(paid_member):
    user, m, _ = paid_member
    season()
    services.run_renewal(on=NOTICE_ON)
    return user, Membership.objects.get(pk=m.pk)


def test_the_renewal_question_is_on_the_establishment_page_and_answered_there(
    client, renewed, django_assert_max_num_queries
):
    user, m = renewed
    url = reverse("members:establishment_detail", args=[m.establishment_id])
    with at(dt.date(2027, 2, 3)):
        client.force_login(user)
        with django_assert_max_num_queries(40):
            html = client.get(url).content.decode()
        assert "2027年度の会員継続の確認" in html and "2027年2月19日" in html
        assert "今年度末（3月31日）で退会する" in html
        client.post(reverse("lifecycle:renewal_continue", args=[m.establishment_id]))
    assert MembershipTerm.objects.get(membership=m, fiscal_year=2026).renewal_answer == "CONTINUE"
    assert OutboxMessage.objects.filter(kind="lifecycle_renewal_continued").exists()


def test_leaving_at_year_end_from_the_renewal_question_cancels_next_years_fee(client, renewed):
    user, m = renewed
    invoice = Invoice.objects.get(membership=m, fiscal_year=2027)
    with at(dt.date(2027, 2, 3)):
        client.force_login(user)
        page = client.get(reverse("lifecycle:withdraw", args=[m.establishment_id]) + "?year_end=1")
        assert "2027年3月31日をもって退会します" in page.content.decode()
        r = client.post(
            reverse("lifecycle:withdraw", args=[m.establishment_id]), {**DETAILS, "year_end": "1"}
        )
    assert r.status_code == 302
    req = WithdrawalRequest.objects.get(membership=m)
    assert req.effective_on == dt.date(2027, 4, 1) and req.source == "RENEWAL"
    assert req.credited_invoice_id == invoice.pk
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.CREDITED  # F8: nothing for FY2027
    note = CreditNote.objects.get(invoice=invoice)
    assert note.amount_yen == invoice.total_yen
    assert MembershipTerm.objects.get(membership=m, fiscal_year=2026).renewal_answer == "WITHDRAW"
    # the accounting department that received the invoice is told it was cancelled (not only the requester)
    told = OutboxMessage.objects.get(kind="fees_credit_note_issued")
    invoiced = OutboxMessage.objects.get(kind="fees_invoice_issued", body__contains=invoice.number)
    assert told.to == invoiced.to  # the same accounting address that received the invoice
    assert told.subject == f"【JAIM】請求書 {invoice.number} の取消しのお知らせ（{note.number}）"
    assert "この請求書へのお支払いは不要です（口座振替も行いません）" in told.body
    assert f"取り消した金額：{note.amount_yen:,}円" in told.body


def test_answering_continue_before_the_deadline_takes_the_year_end_withdrawal_back_and_bills_again(renewed):
    user, m = renewed
    with at(dt.date(2027, 2, 3)):
        _request(m, user, effective_on=None, source=WithdrawalRequest.Source.RENEWAL)
    with at(dt.date(2027, 2, 10)):
        services.continue_membership(m, by=user)
    m.refresh_from_db()
    assert m.status == Membership.Status.ACTIVE
    live = Invoice.objects.filter(membership=m, fiscal_year=2027).exclude(status="CREDITED")
    assert live.count() == 1 and live.get().status == Invoice.Status.ISSUED
    assert MembershipTerm.objects.get(membership=m, fiscal_year=2026).renewal_answer == "CONTINUE"
    # The renewal job does not bill it a third time.
    services.run_renewal(on=dt.date(2027, 2, 11))
    assert Invoice.objects.filter(membership=m, fiscal_year=2027).count() == 2  # credited + live


def test_a_withdrawal_declared_after_the_answer_deadline_still_owes_next_years_fee(renewed):
    user, m = renewed
    with at(ANSWER_DEADLINE + dt.timedelta(days=1)):
        req = _request(m, user, effective_on=dt.date(2027, 4, 1))
    assert req.credited_invoice is None
    assert Invoice.objects.get(membership=m, fiscal_year=2027).status == Invoice.Status.ISSUED
    with at(ANSWER_DEADLINE + dt.timedelta(days=1)), pytest.raises(DomainError):
        services.continue_membership(m, by=user)  # the question itself is closed


def test_a_member_leaving_at_year_end_gets_no_renewal_notice_or_invoice(paid_member):
    user, m, _ = paid_member
    season()
    with at(dt.date(2027, 1, 20)):
        _request(m, user, effective_on=dt.date(2027, 4, 1))
    services.run_renewal(on=NOTICE_ON)
    assert not Invoice.objects.filter(membership=m, fiscal_year=2027).exists()
    assert not OutboxMessage.objects.filter(kind="lifecycle_renewal_notice").exists()


def test_until_the_deadline_the_member_may_switch_a_confirmed_year_end_withdrawal_back_to_continue(
    client, renewed
):
    user, m = renewed
    with at(dt.date(2027, 2, 3)):
        req = _request(m, user, effective_on=None, source=WithdrawalRequest.Source.RENEWAL)
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
    with at(dt.date(2027, 2, 10)):
        client.force_login(user)
        page = client.get(reverse("members:establishment_detail", args=[m.establishment_id])).content.decode()
        assert "やはり継続する" in page
        client.post(reverse("lifecycle:renewal_continue", args=[m.establishment_id]))
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.CANCELLED
    assert Invoice.objects.filter(membership=m, fiscal_year=2027, status="ISSUED").count() == 1
