"""quote_fee (F3–F6, R3): table-driven cases and a property test."""

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fees import services
from fees.models import FeeSchedule
from jaim.errors import DomainError
from tests.factories import (
    AssociationFactory,
    AssociationMembershipFactory,
    EstablishmentFactory,
    OrganisationFactory,
)
from tests.fees.factories import FeeScheduleFactory

pytestmark = pytest.mark.django_db

LARGE = dict(capital_yen=500_000_000, regular_employees=1000)
SME_BY_CAPITAL = dict(capital_yen=300_000_000, regular_employees=5000)
SME_BY_EMPLOYEES = dict(capital_yen=10_000_000_000, regular_employees=300)
JUST_TOO_BIG = dict(capital_yen=300_000_001, regular_employees=301)


@pytest.fixture
def schedules(db):
    FeeScheduleFactory(fiscal_year=2026)
    FeeScheduleFactory(fiscal_year=2027)


def _est(**org):
    return EstablishmentFactory(organisation=OrganisationFactory(**org))


def _quote(est, notice, applied=None, fy=None):
    from jaim.dates import fiscal_year_of

    return services.quote_fee(
        est, fiscal_year=fy or fiscal_year_of(notice), notice_date=notice, application_date=applied or notice
    )


# (case, organisation, notice date, expected total) — base 120,000, SME 30,000, group 20,000, rate = months left/12
FIRST_YEAR_CASES = [
    ("april_full_year", LARGE, dt.date(2026, 4, 1), 120_000),
    ("last_day_of_april_still_april", LARGE, dt.date(2026, 4, 30), 120_000),
    ("first_of_may_is_may", LARGE, dt.date(2026, 5, 1), 110_000),
    ("last_of_may", LARGE, dt.date(2026, 5, 31), 110_000),
    ("first_of_june", LARGE, dt.date(2026, 6, 1), 100_000),
    ("december", LARGE, dt.date(2026, 12, 31), 40_000),
    ("january_next_calendar_year_same_fy", LARGE, dt.date(2027, 1, 1), 30_000),
    ("31_march_last_month_of_fy", LARGE, dt.date(2027, 3, 31), 10_000),
    ("1_april_starts_new_fy_full_fee", LARGE, dt.date(2027, 4, 1), 120_000),
    ("leap_day_is_february", LARGE, dt.date(2028, 2, 29), 20_000),
    ("day_after_leap_day_is_march", LARGE, dt.date(2028, 3, 1), 10_000),
    ("sme_by_capital_exactly_300m", SME_BY_CAPITAL, dt.date(2026, 4, 1), 90_000),
    ("sme_by_employees_exactly_300", SME_BY_EMPLOYEES, dt.date(2026, 4, 1), 90_000),
    ("one_yen_and_one_employee_too_many_is_not_sme", JUST_TOO_BIG, dt.date(2026, 4, 1), 120_000),
    ("sme_proration_applies_to_discounted_fee", SME_BY_CAPITAL, dt.date(2026, 10, 15), 45_000),
]


@pytest.mark.parametrize(
    ("case", "org", "notice", "expected"), FIRST_YEAR_CASES, ids=[c[0] for c in FIRST_YEAR_CASES]
)
def test_first_year_fee_follows_the_month_of_the_notice_f6(schedules, case, org, notice, expected):
    if notice.year == 2028:
        FeeScheduleFactory(fiscal_year=2027)
    quote = _quote(_est(**org), notice)
    assert quote.total_yen == expected
    assert quote.total_yen == sum(line.amount_yen for line in quote.lines)
    assert quote.first_year_month == notice.month


def test_sole_proprietor_without_capital_is_sme_by_employees_f3(schedules):
    org = OrganisationFactory(
        kind="SOLE_PROPRIETOR", corporate_number=None, capital_yen=None, regular_employees=4
    )
    quote = _quote(EstablishmentFactory(organisation=org), dt.date(2026, 4, 1))
    assert quote.is_sme and quote.total_yen == 90_000


def test_unknown_size_gets_no_sme_discount_f3(schedules):
    quote = _quote(_est(capital_yen=None, regular_employees=None), dt.date(2026, 4, 1))
    assert not quote.is_sme and quote.total_yen == 120_000


@pytest.mark.parametrize(
    ("case", "complete_on", "applied", "regular", "ended_on", "first_year", "next_year"),
    [
        ("complete_before_application", dt.date(2026, 3, 1), dt.date(2026, 4, 10), True, None, True, True),
        ("complete_on_application_day", dt.date(2026, 4, 10), dt.date(2026, 4, 10), True, None, True, True),
        (
            "complete_day_after_application_next_year_only",
            dt.date(2026, 4, 11),
            dt.date(2026, 4, 10),
            True,
            None,
            False,
            True,
        ),
        (
            "complete_in_march_counts_from_april",
            dt.date(2027, 3, 31),
            dt.date(2026, 4, 10),
            True,
            None,
            False,
            True,
        ),
        ("pending_association_never_counts", None, dt.date(2026, 4, 10), True, None, False, False),
        (
            "not_a_regular_member_association",
            dt.date(2025, 1, 1),
            dt.date(2026, 4, 10),
            False,
            None,
            False,
            False,
        ),
        (
            "left_the_association_before_next_year",
            dt.date(2025, 1, 1),
            dt.date(2026, 4, 10),
            True,
            dt.date(2027, 1, 31),
            True,
            False,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_group_discount_depends_on_when_the_association_membership_was_complete_f4(
    schedules, case, complete_on, applied, regular, ended_on, first_year, next_year
):
    est = _est(**LARGE)
    AssociationMembershipFactory(
        organisation=est.organisation,
        association=AssociationFactory(is_regular_member=regular),
        applied_on=dt.date(2025, 12, 1),
        complete_on=complete_on,
        ended_on=ended_on,
    )
    first = services.quote_fee(
        est, fiscal_year=2026, notice_date=dt.date(2026, 4, 20), application_date=applied
    )
    renewal = services.quote_fee(est, fiscal_year=2027)
    assert first.group_discount is first_year
    assert first.total_yen == (100_000 if first_year else 120_000)
    assert renewal.group_discount is next_year
    assert renewal.total_yen == (100_000 if next_year else 120_000)


def test_both_discounts_apply_together_f5(schedules):
    est = _est(**SME_BY_EMPLOYEES)
    AssociationMembershipFactory(organisation=est.organisation, complete_on=dt.date(2025, 5, 1))
    quote = services.quote_fee(
        est, fiscal_year=2026, notice_date=dt.date(2026, 7, 1), application_date=dt.date(2026, 5, 1)
    )
    kinds = [line.kind for line in quote.lines]
    assert kinds == ["BASE", "SME_DISCOUNT", "GROUP_DISCOUNT", "FIRST_YEAR"]
    assert [line.amount_yen for line in quote.lines] == [120_000, -30_000, -20_000, -17_500]  # 70,000 × 9/12
    assert quote.total_yen == 52_500


def test_renewal_quote_has_no_first_year_adjustment(schedules):
    quote = services.quote_fee(_est(**LARGE), fiscal_year=2027)
    assert [line.kind for line in quote.lines] == ["BASE"]
    assert quote.first_year_month is None and quote.total_yen == 120_000


@pytest.mark.parametrize(
    "capital,employees,sme",
    [
        (300_000_000, 5000, True),
        (300_000_001, 300, True),
        (300_000_001, 301, False),
        (None, 300, True),
        (1_000_000_000, None, False),
        (None, None, False),
    ],
)
def test_sme_is_judged_by_the_manufacturing_thresholds_f3(capital, employees, sme):
    """F3: capital ≤ ¥300M or regular employees ≤ 300, whatever the main business (FAQ 2-4-5); the one rule
    behind the fee discount and the application's SME check."""
    assert services.meets_sme_thresholds(capital, employees) is sme


@pytest.mark.parametrize(
    "month,rate", [(4, (12, 12)), (5, (11, 12)), (10, (6, 12)), (12, (4, 12)), (1, (3, 12)), (3, (1, 12))]
)
def test_a_new_schedule_starts_from_the_months_left_in_the_fiscal_year_f6(month, rate):
    assert services.default_first_year_rate(month) == rate


def test_every_admission_month_has_a_default_rate_and_april_is_the_whole_year_f6():
    rates = {m: services.default_first_year_rate(m) for m in range(1, 13)}
    assert sorted(n for n, _d in rates.values()) == list(range(1, 13))  # each count of months left once
    assert {d for _n, d in rates.values()} == {12}


def test_first_year_amount_is_rounded_down_to_whole_yen():
    FeeScheduleFactory(
        fiscal_year=2026, base_fee_yen=100_001, sme_discount_yen=0, group_discount_yen=0, rates={10: (1, 3)}
    )
    quote = _quote(_est(**LARGE), dt.date(2026, 10, 1))
    assert quote.total_yen == 33_333  # 100,001 / 3 = 33,333.67 → 33,333
    assert services.first_year_amount(100, Fraction(2, 3)) == 66


def test_a_notice_date_outside_the_fiscal_year_is_refused(schedules):
    with pytest.raises(DomainError):
        services.quote_fee(
            _est(), fiscal_year=2026, notice_date=dt.date(2027, 4, 1), application_date=dt.date(2027, 3, 1)
        )


def test_missing_schedule_or_month_is_a_readable_error():
    FeeScheduleFactory(fiscal_year=2026, rates={4: (12, 12)})
    with pytest.raises(DomainError, match="2030年度の会費表"):
        services.quote_fee(_est(), fiscal_year=2030)
    with pytest.raises(DomainError, match="5月入会"):
        _quote(_est(), dt.date(2026, 5, 1))


def test_one_fee_per_establishment_whatever_the_number_of_jsic_codes_r3(schedules):
    from tests.factories import membership_for

    est = _est(**LARGE)
    membership = membership_for(est, codes=("2592", "2593", "2599"), fee_notice_date=dt.date(2026, 4, 15))
    invoice = services.bill_new_membership(
        membership, notice_date=dt.date(2026, 4, 15), application_date=dt.date(2026, 4, 1)
    )
    assert membership.jsic_codes.count() == 3
    assert [line.kind for line in invoice.lines.all()] == ["BASE"]
    assert invoice.total_yen == 120_000


# --- property ------------------------------------------------------------------------------------------------

yen = st.integers(min_value=0, max_value=20_000_000)


@st.composite
def fractions(draw):
    den = draw(st.integers(min_value=1, max_value=24))
    return draw(st.integers(min_value=0, max_value=den)), den


@settings(max_examples=300, deadline=None)
@given(
    base=yen,
    sme_discount=yen,
    group_discount=yen,
    sme=st.booleans(),
    group=st.booleans(),
    rate=fractions(),
    notice=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2040, 12, 31)) | st.none(),
)
def test_total_is_never_negative_and_equals_the_sum_of_its_lines(
    base, sme_discount, group_discount, sme, group, rate, notice
):
    schedule = FeeSchedule(
        fiscal_year=2026,
        label="x",
        base_fee_yen=base,
        sme_discount_yen=sme_discount,
        group_discount_yen=group_discount,
    )
    quote = services.compute_quote(
        schedule, {m: rate for m in range(1, 13)}, sme=sme, group=group, notice_date=notice
    )
    assert quote.total_yen >= 0
    assert quote.total_yen == sum(line.amount_yen for line in quote.lines)
    assert quote.total_yen <= base
    assert all(line.amount_yen <= 0 for line in quote.lines[1:])


def test_sme_discount_needs_the_proof_document_accepted_by_the_secretariat(schedules):
    """domain.md §4: only the listed SME proof documents count; figures typed at registration are not enough."""
    unverified = _est(capital_yen=10_000_000, regular_employees=10, sme_verified_on=None)
    verified = _est(capital_yen=10_000_000, regular_employees=10)
    assert _quote(unverified, dt.date(2026, 4, 1)).total_yen == 120_000
    assert _quote(verified, dt.date(2026, 4, 1)).total_yen == 90_000


def test_accepting_an_sme_declaration_stamps_the_verification(schedules):
    from members.services import record_sme_declaration

    est = _est(capital_yen=10_000_000, regular_employees=10, sme_verified_on=None)
    record_sme_declaration(est.organisation, capital_yen=10_000_000, regular_employees=10)
    est.organisation.refresh_from_db()
    assert est.organisation.sme_verified_on is not None
    assert _quote(est, dt.date(2026, 4, 1)).total_yen == 90_000
