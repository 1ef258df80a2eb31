"""The roster follows memberships (R9, R11, R16): listed from the first payment, delisted on the withdrawal or
lapse day (that day itself is not listed), a reinstatement opens a new period and the gap shows."""

import datetime as dt

import pytest

from lifecycle import services as lifecycle
from members import services as members
from roster import selectors
from roster.models import ListingPeriod, RosterEntry
from tests.factories import (
    EstablishmentFactory,
    UserFactory,
    lapse,
    membership_for,
    reinstate,
    request_withdrawal,
    withdraw,
)
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date


def listed_on(membership, day) -> bool:
    return selectors.lines_on(day).filter(entry__membership=membership).exists()


def test_awaiting_payment_is_not_on_the_roster_R9():
    membership = membership_for(EstablishmentFactory())
    assert not RosterEntry.objects.filter(membership=membership).exists()
    assert not listed_on(membership, D(2026, 12, 31))


def test_listed_from_the_first_payment_day_not_the_day_before_R9():
    membership = listed(on=D(2026, 4, 10))
    assert not listed_on(membership, D(2026, 4, 9))
    assert listed_on(membership, D(2026, 4, 10))
    assert listed_on(membership, D(2027, 1, 1))


def test_withdrawal_day_is_the_first_day_not_listed_R11():
    membership = listed(on=D(2026, 4, 10))
    withdraw(membership, on=D(2026, 9, 30))
    assert listed_on(membership, D(2026, 4, 10))  # listing day
    assert listed_on(membership, D(2026, 9, 29))  # the day before withdrawal
    assert not listed_on(membership, D(2026, 9, 30))  # the withdrawal day
    assert not listed_on(membership, D(2026, 10, 1))  # the day after
    period = ListingPeriod.objects.get(entry__membership=membership)
    assert (period.listed_from, period.delisted_on, period.delisted_reason) == (
        D(2026, 4, 10),
        D(2026, 9, 30),
        "WITHDRAWN",
    )


def test_withdrawal_requested_stays_listed_until_the_withdrawal_day(time_machine):
    time_machine.move_to(dt.datetime(2026, 8, 1, 10, tzinfo=dt.UTC))
    membership = listed(on=D(2026, 4, 10))
    request = request_withdrawal(membership, effective_on=D(2026, 9, 30))
    lifecycle.confirm_withdrawal(request, by=UserFactory(is_staff=True))
    assert listed_on(membership, D(2026, 8, 1))
    lifecycle.complete_withdrawals(on=D(2026, 9, 30))  # the withdrawals job on the day
    assert listed_on(membership, D(2026, 9, 29)) and not listed_on(membership, D(2026, 9, 30))


def test_lapse_delists_and_reinstatement_opens_a_new_period_leaving_the_gap():
    membership = listed(on=D(2026, 4, 1))
    lapse(membership, on=D(2027, 6, 1))
    reinstate(membership, on=D(2027, 7, 15))
    assert listed_on(membership, D(2027, 5, 31))
    assert not listed_on(membership, D(2027, 6, 1))
    assert not listed_on(membership, D(2027, 7, 14))
    assert listed_on(membership, D(2027, 7, 15))
    periods = list(ListingPeriod.objects.filter(entry__membership=membership).order_by("listed_from"))
    assert [(p.listed_from, p.delisted_on, p.listed_reason) for p in periods] == [
        (D(2026, 4, 1), D(2027, 6, 1), "ACTIVATED"),
        (D(2027, 7, 15), None, "REINSTATED"),
    ]


def test_a_withdrawn_establishment_rejoining_gets_a_new_entry_and_the_old_one_stays_delisted_R12():
    first = listed(on=D(2026, 4, 1))
    withdraw(first, on=D(2026, 10, 1))
    second = membership_for(first.establishment, fee_notice_date=D(2027, 1, 10), active_on=D(2027, 2, 1))
    assert RosterEntry.objects.get(membership=first).token != RosterEntry.objects.get(membership=second).token
    assert listed_on(first, D(2026, 9, 30)) and not listed_on(first, D(2027, 3, 1))
    assert listed_on(second, D(2027, 3, 1)) and not listed_on(second, D(2026, 9, 30))


def test_siblings_stay_listed_when_one_site_withdraws_FAQ_3_1_5():
    a = listed(on=D(2026, 4, 1))
    b = listed(organisation=a.establishment.organisation, est_name="第二工場", on=D(2026, 4, 1))
    withdraw(a, on=D(2026, 10, 1))
    assert not listed_on(a, D(2026, 10, 1)) and listed_on(b, D(2026, 10, 1))


def test_failed_members_transaction_leaves_the_roster_untouched():
    """The receivers run inside the members service's transaction: no half-written roster."""
    membership = membership_for(EstablishmentFactory())
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        members.activate_membership(membership, on=D(2026, 4, 1))
        raise RuntimeError("payment booking failed")
    assert not RosterEntry.objects.filter(membership=membership).exists()


def test_entry_token_is_random_and_not_derived_from_ids():
    a, b = listed(), listed(org_name="株式会社べつの会社")
    ta, tb = (RosterEntry.objects.get(membership=m).token for m in (a, b))
    assert ta != tb and len(ta) >= 16
    # Not the member number, nor a function of it: neighbouring members' tokens share nothing. (A random token may
    # well contain the digit of a one-digit pk by chance — 6% for its first four characters — so that says nothing.)
    assert a.member_number not in ta
    assert ta[:8] != tb[:8]
