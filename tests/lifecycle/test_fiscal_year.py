"""A whole fiscal year with time frozen day by day (F7, F8, R11, R16, design §4–5): renewal notice, answers,
year end, lapse and reinstatement, each job as the scheduler would run it."""

import datetime as dt

import pytest

from fees import services as fee_services
from fees.models import Invoice
from jaim.errors import DomainError
from jaim.models import JobRun, OutboxMessage
from lifecycle import services
from lifecycle.models import Lapse, RenewalNotice, WithdrawalRequest
from members.models import Membership, MembershipTerm
from roster.models import ListingPeriod
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import (
    ANSWER_DEADLINE,
    DEBIT_ON,
    NOTICE_ON,
    YEAR_END_WITHDRAWAL,
    fee_schedules,
    member,
    season,
)

pytestmark = pytest.mark.django_db


def _daily(day):
    """What beat runs on one day, in its order."""
    with at(day):
        for job in services.JOBS.values():
            job()


def _listed(m, day) -> bool:
    return (
        ListingPeriod.objects.filter(entry__membership=m, listed_from__lte=day)
        .exclude(delisted_on__lte=day)
        .exists()
    )


def unpaid_reminders() -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(kind="lifecycle_reminder_renewal_unpaid").values_list("to", flat=True)
    )


def test_a_fiscal_year_renewal_answers_year_end_lapse_and_reinstatement():
    fee_schedules()
    season()
    staff = UserFactory(is_staff=True)
    owner, stays = member()
    _u, leaves = member(stays.establishment.organisation)  # a sibling site of the same company (FAQ 3-1-5)
    _u2, unpaid = member()
    late_owner, joins_late = member(
        active_on=None, notice=dt.date(2027, 1, 15)
    )  # first year FY2026, unpaid yet
    with at(dt.date(2027, 1, 15)):
        fee_services.bill_new_membership(
            joins_late, notice_date=dt.date(2027, 1, 15), application_date=dt.date(2026, 11, 1)
        )

    # Before the notice day nothing happens, however often the jobs run.
    for day in (dt.date(2026, 12, 1), dt.date(2027, 1, 31)):
        _daily(day)
    assert not Invoice.objects.filter(fiscal_year=2027).exists()

    # 1 February: next year's invoices (direct debit, F7) and the renewal confirmations go out.
    _daily(NOTICE_ON)
    renewed = {stays.pk, leaves.pk, unpaid.pk}
    invoices = Invoice.objects.filter(fiscal_year=2027)
    assert set(invoices.values_list("membership_id", flat=True)) == renewed
    assert set(invoices.values_list("method", flat=True)) == {Invoice.Method.DEBIT}
    assert set(invoices.values_list("due_date", flat=True)) == {DEBIT_ON}
    assert OutboxMessage.objects.filter(kind="lifecycle_renewal_notice").count() == 3
    assert OutboxMessage.objects.filter(kind="fees_invoice_issued", subject__contains="2027年度").count() == 3
    assert (
        set(MembershipTerm.objects.filter(fiscal_year=2026).values_list("membership_id", flat=True))
        == renewed
    )

    # Members answer on My Page by the deadline: one continues, one leaves at the end of the year (F8).
    with at(dt.date(2027, 2, 5)):
        services.continue_membership(stays, by=owner)
        request = services.request_withdrawal(
            leaves,
            by=owner,
            effective_on=None,
            reason="特定技能の雇用を本社工場に集約するため",
            contact_name="総務 花子",
            contact_phone="052-123-4567",
            no_ssw_confirmed=True,
            no_refund_acknowledged=True,
            source=WithdrawalRequest.Source.RENEWAL,
        )
    leaves.refresh_from_db()
    assert leaves.status == Membership.Status.WITHDRAWAL_REQUESTED
    assert request.effective_on == YEAR_END_WITHDRAWAL
    # Declared by the deadline: next year's invoice is cancelled by a credit note — no fee for FY2027.
    assert Invoice.objects.get(membership=leaves, fiscal_year=2027).status == Invoice.Status.CREDITED
    assert MembershipTerm.objects.get(membership=leaves, fiscal_year=2026).renewal_answer == "WITHDRAW"
    assert MembershipTerm.objects.get(membership=stays, fiscal_year=2026).renewal_answer == "CONTINUE"
    with at(dt.date(2027, 2, 8)):
        services.confirm_withdrawal(request, by=staff)
    leaves.refresh_from_db()
    assert leaves.status == Membership.Status.WITHDRAWAL_REQUESTED  # until its day

    # The one that did not answer is reminded a week before the deadline (and only once).
    for day in (dt.date(2027, 2, 11), dt.date(2027, 2, 12), dt.date(2027, 2, 13)):
        _daily(day)
    answer_reminders = OutboxMessage.objects.filter(kind="lifecycle_reminder_renewal_answer")
    assert answer_reminders.count() == 1 and answer_reminders.get().to == _u2.email
    # After the deadline the answer is closed: silence means "continue" (F8, R16).
    with at(ANSWER_DEADLINE + dt.timedelta(days=1)), pytest.raises(DomainError):
        services.continue_membership(unpaid, by=_u2)

    # 26 February: the debit collects from the one that stays; `unpaid`'s fails (reminded until it lapses).
    inv = Invoice.objects.get(membership=stays, fiscal_year=2027)
    with at(DEBIT_ON):
        fee_services.record_payment([inv], amount_yen=inv.total_yen, received_on=DEBIT_ON, method="DEBIT")

    _daily(dt.date(2027, 3, 5))  # a week after the debit date: `unpaid` is reminded
    assert unpaid_reminders() == [_u2.email]

    # The late joiner pays its first-year fee in March: the renewal job catches it up the next day; its grace
    # period and reminders run from that late invoice's issue, not from the debit date already past.
    first = Invoice.objects.get(membership=joins_late, fiscal_year=2026)
    with at(dt.date(2027, 3, 10)):
        fee_services.record_payment([first], amount_yen=first.total_yen, received_on=dt.date(2027, 3, 10))
    _daily(dt.date(2027, 3, 11))
    late_invoice = Invoice.objects.get(membership=joins_late, fiscal_year=2027)
    assert RenewalNotice.objects.filter(membership=joins_late, fiscal_year=2027).exists()
    _daily(dt.date(2027, 3, 19))  # `unpaid` again (every 14 days), the late joiner a week after its invoice
    assert unpaid_reminders() == sorted([_u2.email, _u2.email, late_owner.email])
    with at(dt.date(2027, 3, 25)):
        fee_services.record_payment(
            [late_invoice],
            amount_yen=late_invoice.total_yen,
            received_on=dt.date(2027, 3, 25),
            method="DEBIT",
        )

    # Year end. 31 March: still members. 1 April: the year-end withdrawal takes effect and the grace period of the
    # unpaid one is over (26 Feb + 30 days, never before the fee year) — it lapses.
    _daily(dt.date(2027, 3, 31))
    assert Membership.objects.get(pk=leaves.pk).status == Membership.Status.WITHDRAWAL_REQUESTED
    assert Membership.objects.get(pk=unpaid.pk).status == Membership.Status.ACTIVE
    _daily(YEAR_END_WITHDRAWAL)
    leaves.refresh_from_db()
    unpaid.refresh_from_db()
    stays.refresh_from_db()
    assert leaves.status == Membership.Status.WITHDRAWN and leaves.withdrawn_on == YEAR_END_WITHDRAWAL
    assert unpaid.status == Membership.Status.LAPSED and unpaid.lapsed_on == YEAR_END_WITHDRAWAL
    assert stays.status == Membership.Status.ACTIVE  # the sibling is untouched (FAQ 3-1-5)
    assert _listed(leaves, dt.date(2027, 3, 31)) and not _listed(leaves, YEAR_END_WITHDRAWAL)
    assert not _listed(unpaid, YEAR_END_WITHDRAWAL) and _listed(stays, YEAR_END_WITHDRAWAL)
    assert WithdrawalRequest.objects.get(pk=request.pk).status == WithdrawalRequest.Status.COMPLETED

    # Finance records the late payment and reinstates it: listed again from that day, the gap stays visible.
    inv = Invoice.objects.get(membership=unpaid, fiscal_year=2027)
    reinstated_on = dt.date(2027, 5, 10)
    with at(reinstated_on):
        fee_services.record_payment([inv], amount_yen=inv.total_yen, received_on=reinstated_on)
        services.reinstate_membership(Lapse.objects.get(membership=unpaid), by=staff)
    unpaid.refresh_from_db()
    assert unpaid.status == Membership.Status.ACTIVE
    assert _listed(unpaid, dt.date(2027, 3, 31))
    assert not _listed(unpaid, dt.date(2027, 4, 20))
    assert _listed(unpaid, reinstated_on)

    # Every day's run was recorded and none failed.
    assert not JobRun.objects.filter(job__startswith="lifecycle.").exclude(error="").exists()
    assert not JobRun.objects.filter(job__startswith="lifecycle.", finished_at__isnull=True).exists()
