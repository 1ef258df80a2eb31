"""seed_bench (scale): N establishments in bulk whose data is what the services would have produced — valid
法人番号, readings in katakana, every prefecture, eligible JSIC codes, members in every status with their history
(R9 listing after payment, R11 withdrawal, R12 re-joining, R13/R14 renames and relocations, lapse and
reinstatement), invoices and payments that add up (F1, F6, F7, F13), applications in every state, a company with
50 establishments, and the roster rebuilt through roster's own path.

The data set is seeded once for the module (300 establishments, then topped up to 420 as the harness does) with
every foreign key checked row by row (trusted=False, constraints IMMEDIATE on PostgreSQL), and rolled back."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Sum

from applications.models import Application
from bench.seeding import MY_PAGE_EMAIL, MY_PAGE_SITES, seed
from fees.models import Invoice, InvoiceLine, Payment, PaymentAllocation
from jaim.dates import today
from jaim.models import Sequence
from jaim.validators import PREFECTURES, is_valid_corporate_number, validate_kana
from members import selectors as member_selectors
from members.models import Establishment, IdentityChange, Membership, MembershipTerm, Organisation, User
from roster.models import ListingPeriod, RosterEntry
from roster.selectors import lines_on

FIRST, TOPPED_UP = 300, 420


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every foreign key checked as rows arrive
        options = dict(log=lambda _m: None, analyze=False, trusted=False, parallel=False)
        first = seed(FIRST, **options)
        numbers_after_first = set(Membership.objects.values_list("member_number", flat=True))
        second = seed(TOPPED_UP, **options)
        yield {"first": first, "second": second, "first_numbers": numbers_after_first}
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_seed_tops_up_to_n_establishments(seeded):
    assert seeded["first"]["added"] == FIRST
    assert seeded["second"]["added"] == TOPPED_UP - FIRST
    assert Establishment.objects.count() == TOPPED_UP
    again = seed(TOPPED_UP, log=lambda _m: None, analyze=False, rebuild=False)
    assert again["added"] == 0 and Establishment.objects.count() == TOPPED_UP


def test_corporate_numbers_are_valid_and_unique_and_sole_proprietors_have_none(seeded):
    corporations = Organisation.objects.filter(kind=Organisation.Kind.CORPORATION)
    numbers = list(corporations.values_list("corporate_number", flat=True))
    assert numbers and all(is_valid_corporate_number(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert Organisation.objects.filter(kind=Organisation.Kind.SOLE_PROPRIETOR).exists()
    assert not Organisation.objects.filter(kind="SOLE_PROPRIETOR", corporate_number__isnull=False).exists()


def test_names_are_japanese_with_katakana_readings(seeded):
    for name, kana in Organisation.objects.values_list("name", "name_kana"):
        validate_kana(kana)
        assert name and not name.isascii()
    for kana in Establishment.objects.values_list("name_kana", flat=True):
        validate_kana(kana)
    legal = Organisation.objects.filter(name__contains="株式会社").count()
    assert legal > Organisation.objects.count() / 2  # mostly 株式会社, in front or behind
    assert Organisation.objects.filter(name__startswith="株式会社").exists()
    assert Organisation.objects.filter(name__endswith="株式会社").exists()


def test_every_prefecture_has_establishments(seeded):
    present = set(Establishment.objects.values_list("prefecture", flat=True))
    assert present == {code for code, _name in PREFECTURES}


def test_membership_jsic_codes_are_all_eligible(seeded):
    through = Membership.jsic_codes.through
    codes = set(through.objects.values_list("jsiccode_id", flat=True))
    decided = member_selectors.eligibility_map(codes)
    assert codes and all(decided[c] is not None and decided[c].eligible for c in codes)
    assert not Membership.objects.annotate(n=Count("jsic_codes")).filter(n=0).exists()


def test_memberships_exist_in_every_status_with_their_dates(seeded):
    statuses = Counter(Membership.objects.values_list("status", flat=True))
    assert set(statuses) == set(Membership.Status.values)
    assert statuses["ACTIVE"] > sum(statuses.values()) * 0.6
    active = Membership.objects.filter(status__in=["ACTIVE", "WITHDRAWAL_REQUESTED"])
    assert not active.filter(activated_on__isnull=True).exists()
    assert not Membership.objects.filter(status="AWAITING_PAYMENT", activated_on__isnull=False).exists()
    assert not Membership.objects.filter(status="WITHDRAWN", withdrawn_on__isnull=True).exists()
    assert not Membership.objects.filter(status="LAPSED", lapsed_on__isnull=True).exists()
    assert not Membership.objects.filter(activated_on__lt=F("fee_notice_date")).exists()
    requested = Membership.objects.filter(status="WITHDRAWAL_REQUESTED")
    assert not requested.filter(withdrawal_effective_on__isnull=True).exists()


def test_re_joining_after_withdrawal_is_a_new_membership(seeded):
    """R12: some establishments have a WITHDRAWN membership and a newer one (new member number)."""
    twice = Establishment.objects.annotate(n=Count("memberships")).filter(n__gt=1)
    assert twice.exists()
    for est in twice[:5]:
        old, new = sorted(est.memberships.all(), key=lambda m: m.fee_notice_date)
        assert old.status == "WITHDRAWN" and old.withdrawn_on < new.fee_notice_date
        assert old.member_number != new.member_number


def test_history_records_lapse_and_reinstatement(seeded):
    """A reinstated member: history ACTIVE → LAPSED → ACTIVE, and two listing periods with the gap (roster)."""
    lapsed_once = set(Membership.history.filter(status="LAPSED").values_list("id", flat=True))
    reinstated = Membership.objects.filter(pk__in=lapsed_once, status="ACTIVE")
    assert reinstated.exists()
    m = reinstated.first()
    steps = list(Membership.history.filter(id=m.pk).order_by("history_date").values_list("status", flat=True))
    assert steps == ["AWAITING_PAYMENT", "ACTIVE", "LAPSED", "ACTIVE"]
    periods = list(ListingPeriod.objects.filter(entry__membership=m).order_by("listed_from"))
    assert len(periods) == 2 and periods[0].delisted_on <= periods[1].listed_from


def test_renames_and_relocations_accepted_and_effective(seeded):
    kinds = Counter(
        (kind, eff is None) for kind, eff in IdentityChange.objects.values_list("kind", "effective_on")
    )
    assert kinds[("RELOCATION", False)] and kinds[("NAME_CHANGE", False)]
    assert kinds[("RELOCATION", True)] + kinds[("NAME_CHANGE", True)] > 0  # pending: old and new side by side
    moved = IdentityChange.objects.filter(kind="RELOCATION", effective_on__isnull=False).first()
    est = moved.establishment
    assert est.name == moved.new_establishment_name and est.postal_code == moved.new_postal_code
    before = est.history.order_by("history_date").first()
    assert before.name == moved.old_establishment_name
    renamed = IdentityChange.objects.filter(kind="NAME_CHANGE", effective_on__isnull=False).first()
    assert renamed.establishment.organisation.name == renamed.new_organisation_name
    assert renamed.establishment.organisation.history.order_by("history_date").first().name == (
        renamed.old_organisation_name
    )


def test_invoices_add_up_and_payments_settle_them(seeded):
    for inv in Invoice.objects.annotate(lines_total=Sum("lines__amount_yen"))[:500]:
        assert inv.total_yen == inv.lines_total
    paid = Invoice.objects.filter(status="PAID")
    assert paid.exists() and not paid.filter(paid_on__isnull=True).exists()
    settled = dict(
        PaymentAllocation.objects.values("invoice").annotate(s=Sum("amount_yen")).values_list("invoice", "s")
    )
    for inv in paid:
        assert settled[inv.pk] == inv.total_yen
    assert not PaymentAllocation.objects.exclude(invoice__status="PAID").exists()
    assert (
        Payment.objects.filter(method="DEBIT").exists() and Payment.objects.filter(method="TRANSFER").exists()
    )
    assert not Invoice.objects.filter(kind="FIRST_YEAR").exclude(method="TRANSFER").exists()  # F7
    assert not Invoice.objects.filter(kind="ANNUAL").exclude(method="DEBIT").exists()
    assert Invoice.objects.filter(status="DEBIT_FAILED").exists()  # the lapsed members' renewal fee


def test_first_payment_lists_awaiting_members_only_after_paying(seeded):
    """R9: an ACTIVE member's first-year invoice is paid; an AWAITING_PAYMENT one has it issued and unpaid."""
    for m in Membership.objects.filter(status="AWAITING_PAYMENT"):
        first = m.invoices.get(kind="FIRST_YEAR")
        assert first.status == "ISSUED" and first.notice_date == m.fee_notice_date
    for m in Membership.objects.filter(status="ACTIVE")[:200]:
        first = m.invoices.get(kind="FIRST_YEAR")
        assert first.status == "PAID" and first.paid_on == m.activated_on


def test_numbers_are_gapless_and_match_the_counters(seeded):
    numbers = sorted(int(n[1:]) for n in Membership.objects.values_list("member_number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert Sequence.objects.get(prefix="member").last_value == numbers[-1]
    assert seeded["first_numbers"] < set(Membership.objects.values_list("member_number", flat=True))
    for fy in Invoice.objects.values_list("fiscal_year", flat=True).distinct():
        values = sorted(
            int(n.split("-")[1])
            for n in Invoice.objects.filter(fiscal_year=fy).values_list("number", flat=True)
        )
        assert values == list(range(1, len(values) + 1))
        assert Sequence.objects.get(prefix=f"invoice-{fy}").last_value == len(values)


def test_applications_in_every_state_and_a_review_queue(seeded):
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == set(Application.Status.values)
    kinds = set(Application.objects.values_list("kind", flat=True))
    assert kinds == set(Application.Kind.values)
    queue = Application.objects.filter(status__in=["SUBMITTED", "IN_REVIEW"])
    assert queue.exists() and not queue.filter(receipt_number__isnull=True).exists()
    returned = Application.objects.filter(status="RETURNED")
    assert not returned.filter(review_messages__isnull=True).exists()
    for app in Application.objects.filter(kind="NEW", status="APPROVED")[:100]:
        m = app.establishment.memberships.get(fee_notice_date=app.decided_on)
        assert app.review_messages.filter(kind="APPROVE", message=m.member_number).exists()


def test_the_my_page_company_has_fifty_establishments(seeded):
    user = User.objects.get(email=MY_PAGE_EMAIL)
    assert member_selectors.mypage_establishments(user).count() == MY_PAGE_SITES
    statuses = set(
        Membership.objects.filter(establishment__organisation__accesses__user=user).values_list(
            "status", flat=True
        )
    )
    assert {"ACTIVE", "AWAITING_PAYMENT", "WITHDRAWN", "LAPSED"} <= statuses


def test_roster_lists_exactly_the_paid_not_withdrawn_memberships(seeded):
    on = today()
    listed = set(lines_on(on).values_list("entry__membership_id", flat=True))
    expected = set(
        Membership.objects.filter(status__in=["ACTIVE", "WITHDRAWAL_REQUESTED"]).values_list("pk", flat=True)
    )
    assert listed == expected
    assert RosterEntry.objects.count() == Membership.objects.filter(activated_on__isnull=False).count()
    pending = IdentityChange.objects.filter(effective_on__isnull=True).select_related("establishment").first()
    line = lines_on(on).get(
        entry__membership__establishment=pending.establishment, entry__membership__status="ACTIVE"
    )
    assert line.change_kind == pending.kind and line.new_establishment_name == pending.new_establishment_name


def test_roster_answers_as_of_a_day_before_a_withdrawal(seeded):
    m = Membership.objects.filter(status="WITHDRAWN").exclude(withdrawn_on=None).first()
    day_before = m.withdrawn_on - dt.timedelta(days=1)
    assert lines_on(day_before).filter(entry__membership=m).exists()
    assert not lines_on(m.withdrawn_on).filter(entry__membership=m).exists()


@pytest.mark.parametrize(
    "model",
    [
        Organisation,
        Establishment,
        Membership,
        MembershipTerm,
        Invoice,
        InvoiceLine,
        Application,
        IdentityChange,
        User,
    ],
)
def test_seeded_rows_pass_model_validation(seeded, model):
    for obj in model.objects.order_by("pk")[:150]:
        obj.full_clean()


def test_seed_bench_refuses_a_database_not_named_bench(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "jaim_live")
    with pytest.raises(CommandError, match="bench"):
        call_command("seed_bench", "--n", "10")
