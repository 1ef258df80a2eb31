"""factory_boy factories shared by every app's tests. App-specific ones live in tests/<app>/factories.py."""

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model

from jaim.validators import corporate_number_check_digit
from members.models import (
    Access,
    Association,
    AssociationMembership,
    Establishment,
    LegalForm,
    Membership,
    Organisation,
    RepresentativeTitle,
)

_corp = itertools.count(100000000001)


def make_corporate_number() -> str:
    base = str(next(_corp)).zfill(12)
    return f"{corporate_number_check_digit(base)}{base}"


def legal_form(code: str) -> LegalForm:
    """A kind of organisation seeded by members/migrations/0006 (kabushiki, godo, ippan_shadan, sole …)."""
    return LegalForm.objects.get(code=code)


def representative_title(code: str, title: str) -> RepresentativeTitle:
    """A legal representative's title of a kind of organisation (R8), as the seed data holds it."""
    return RepresentativeTitle.objects.get(legal_form__code=code, title=title)


def _default_form(org) -> LegalForm:
    return legal_form("sole" if org.kind == Organisation.Kind.SOLE_PROPRIETOR else "kabushiki")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    full_name = factory.Sequence(lambda n: f"利用者 {n}")
    password = factory.django.Password("correct-horse-battery")
    is_active = True
    email_verified_at = factory.LazyFunction(lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.CORPORATION
    corporate_number = factory.LazyFunction(make_corporate_number)
    name = factory.Sequence(lambda n: f"株式会社テスト製作所{n}")
    name_kana = factory.Sequence(lambda n: f"テストセイサクショ{n}")
    legal_form = factory.LazyAttribute(_default_form)
    representative_title = factory.LazyAttribute(
        lambda o: o.legal_form.representative_titles.order_by("order").first()
    )
    representative_name = "代表 太郎"
    postal_code = "4500002"
    prefecture = "23"
    city = "名古屋市中村区"
    address_line = "名駅1-1-1"
    phone = "0521234567"
    capital_yen = 50_000_000
    regular_employees = 80
    sme_verified_on = dt.date(2025, 4, 1)  # proof accepted; tests of unverified figures set None


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"第{n}工場")
    name_kana = factory.Sequence(lambda n: f"ダイ{n}コウジョウ")
    postal_code = "5000001"
    prefecture = "21"
    city = "岐阜市"
    address_line = "東金宝町1-2"
    phone = "0581234567"


class AccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Access

    user = factory.SubFactory(UserFactory)
    can_manage = True


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    name = factory.Sequence(lambda n: f"一般社団法人テスト工業会{n}")
    proof_required = True


class AssociationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssociationMembership

    organisation = factory.SubFactory(OrganisationFactory)
    association = factory.SubFactory(AssociationFactory)
    applied_on = dt.date(2025, 4, 1)
    complete_on = dt.date(2025, 5, 1)


def membership_for(establishment, *, codes=("2592",), fee_notice_date=dt.date(2026, 6, 10), active_on=None):
    """A membership through the real services (numbering, audit, roster signals)."""
    from members import services

    m = services.create_membership(establishment, jsic_codes=codes, fee_notice_date=fee_notice_date)
    if active_on:
        m = services.activate_membership(m, on=active_on)
    return Membership.objects.get(pk=m.pk)


def head_office(user=None, **org_kwargs):
    """An organisation with a user who may act for it as head office (manager)."""
    user = user or UserFactory()
    org = OrganisationFactory(**org_kwargs)
    Access.objects.create(user=user, organisation=org, can_manage=True)
    return user, org


# --- moving a membership after admission: only through lifecycle's public API (its guards included) ---------


def on_day(day: dt.date):
    """Freeze time on `day` in Asia/Tokyo: lifecycle moves a membership from today on."""
    from zoneinfo import ZoneInfo

    import time_machine

    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False
    )


def request_withdrawal(membership, *, effective_on, by=None):
    """退会する (R11) as the member does it: WITHDRAWAL_REQUESTED, still listed. Returns the WithdrawalRequest."""
    from lifecycle import services

    return services.request_withdrawal(
        membership,
        by=by or UserFactory(),
        effective_on=effective_on,
        reason="特定技能外国人の雇用を終了したため",
        contact_name="総務 花子",
        contact_phone="0521234567",
        no_ssw_confirmed=True,
        no_refund_acknowledged=True,
    )


def withdraw(membership, *, on, by=None):
    """WITHDRAWN on `on` (delisted that day): the member asks on that day and the secretariat confirms."""
    from lifecycle import services

    with on_day(on):
        request = request_withdrawal(membership, effective_on=on, by=by)
        services.confirm_withdrawal(request, by=by or UserFactory(is_staff=True))
    return Membership.objects.get(pk=membership.pk)


def lapse(membership, *, on):
    """LAPSED from `on` (delisted that day): the renewal invoice of that fiscal year is left unpaid until its grace
    period ends on `on`, and the lapse job runs."""
    from fees import services as fee_services
    from jaim.dates import fiscal_year_of
    from lifecycle import services
    from lifecycle.models import RenewalSeason
    from tests.fees.factories import FeeScheduleFactory

    fy = fiscal_year_of(on)
    FeeScheduleFactory(fiscal_year=fy)
    season = RenewalSeason.objects.filter(fiscal_year=fy).first() or RenewalSeason.objects.create(
        fiscal_year=fy, notice_on=dt.date(fy, 2, 1), answer_deadline=dt.date(fy, 2, 19), grace_days=0
    )
    fee_services.issue_invoice(
        membership, fiscal_year=fy, issue_date=on - dt.timedelta(days=season.grace_days)
    )
    services.lapse_unpaid_memberships(on=on)
    return Membership.objects.get(pk=membership.pk)


def reinstate(membership, *, on, by=None):
    """ACTIVE again from `on` (listed again, the gap stays): the unpaid fee is paid that day and finance
    reinstates."""
    from fees import selectors as fee_selectors
    from fees import services as fee_services
    from fees.models import Invoice
    from lifecycle import services
    from lifecycle.models import Lapse

    for inv in Invoice.objects.filter(membership=membership, status__in=Invoice.OPEN_STATUSES):
        fee_services.record_payment([inv], amount_yen=fee_selectors.outstanding_yen(inv), received_on=on)
    services.reinstate_membership(
        Lapse.objects.get(membership=membership, reinstated_on=None),
        by=by or UserFactory(is_staff=True),
        on=on,
    )
    return Membership.objects.get(pk=membership.pk)
