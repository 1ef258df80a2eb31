import datetime as dt

import pytest
from django.core import mail

from jaim.errors import DomainError
from jaim.models import AuditEvent, OutboxMessage
from lifecycle import services as lifecycle
from members import selectors, services
from members.models import Access, Membership, Organisation, User
from tests.factories import (
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    head_office,
    legal_form,
    make_corporate_number,
    membership_for,
    on_day,
    representative_title,
    request_withdrawal,
    withdraw,
)

pytestmark = pytest.mark.django_db


def org_data(form="kabushiki", title="代表取締役", **extra) -> dict:
    """What the organisation form sends: the representative's title is one of the kind's (R8)."""
    return {
        **ORG,
        "legal_form": legal_form(form),
        "representative_title": representative_title(form, title),
        **extra,
    }


ORG = dict(
    kind="CORPORATION",
    corporate_number="4011001098993",
    name="株式会社サンプル",
    name_kana="サンプル",
    representative_name="山田 太郎",
    postal_code="4500002",
    prefecture="23",
    city="名古屋市",
    address_line="名駅1-1",
    phone="0521234567",
    capital_yen=10_000_000,
    regular_employees=20,
)


def test_signup_creates_inactive_user_and_queues_verification_mail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.register_user(email="New@Example.jp", password="a-long-password-1", full_name="新人")
    assert user.email == "new@example.jp" and not user.is_active
    msg = OutboxMessage.objects.get(kind="verify_email")
    assert msg.to == "new@example.jp" and "/accounts/verify/" in msg.body
    assert msg.status == OutboxMessage.Status.SENT and len(mail.outbox) == 1


def test_verification_link_activates_the_account_once_and_rejects_tampering():
    user = services.register_user(email="a@example.jp", password="a-long-password-1")
    token = services.verification_token(user)
    with pytest.raises(DomainError):
        services.verify_email(token[:-2] + "xx")
    assert services.verify_email(token).is_active
    first = User.objects.get(pk=user.pk).email_verified_at
    services.verify_email(token)
    assert User.objects.get(pk=user.pk).email_verified_at == first


def test_signup_with_a_registered_address_sends_a_notice_and_creates_nothing(
    mailoutbox, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="dup@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.register_user(email="DUP@example.jp", password="a-long-password-1") is None
        assert services.register_user(email="dup@example.jp", password="another-long-pw-2") is None
    assert User.objects.filter(email__iexact="dup@example.jp").count() == 1
    existing.refresh_from_db()
    assert existing.check_password("correct-horse-battery")  # untouched
    # one notice a day, to the owner, with the login and reset links, never a verification link
    assert [m.to for m in mailoutbox] == [["dup@example.jp"]]
    assert "/accounts/password/reset/" in mailoutbox[0].body and "/accounts/verify/" not in mailoutbox[0].body


def test_creating_an_organisation_makes_the_creator_its_manager():
    user = UserFactory()
    org = services.create_organisation(by=user, data=org_data())
    assert Access.objects.get(user=user, organisation=org).can_manage
    assert AuditEvent.objects.filter(object_id=str(org.pk), action="created").exists()


def test_duplicate_corporate_number_is_refused_and_nothing_is_saved():
    user = UserFactory()
    services.create_organisation(by=user, data=org_data())
    with pytest.raises(DomainError, match="法人番号"):
        services.create_organisation(by=user, data=org_data(name="別会社"))
    assert Organisation.objects.count() == 1


def test_invalid_check_digit_rolls_back_the_whole_creation():
    user = UserFactory()
    with pytest.raises(Exception):  # noqa: B017 - ValidationError from full_clean
        services.create_organisation(by=user, data=org_data(corporate_number="5011001098993"))
    assert not Organisation.objects.exists() and not Access.objects.exists()


def test_sole_proprietor_has_no_corporate_number():
    org = services.create_organisation(by=UserFactory(), data=org_data("sole", "事業主"))
    assert org.corporate_number is None
    org2 = services.create_organisation(
        by=UserFactory(), data=org_data("sole", "事業主", corporate_number=None)
    )
    assert org2.corporate_number is None  # two sole proprietors do not collide


def test_head_office_user_acts_for_every_establishment_site_user_for_one():
    owner, org = head_office()
    e1, e2 = EstablishmentFactory(organisation=org), EstablishmentFactory(organisation=org)
    site = UserFactory()
    services.grant_establishment_access(e2, email=site.email, can_manage=False, by=owner)
    assert set(selectors.establishments_for(owner)) == {e1, e2}
    assert list(selectors.establishments_for(site)) == [e2]
    assert not selectors.organisations_for(site).exists()


def test_support_organisation_acts_only_for_clients_that_granted_it_and_loses_access_on_revoke():
    owner, org = head_office()
    client_site, other_site = EstablishmentFactory(organisation=org), EstablishmentFactory(organisation=org)
    helper, support = head_office(is_support_organisation=True)
    grant = services.grant_support_access(client_site, support_organisation=support, by=owner)
    assert list(selectors.establishments_for(helper)) == [client_site]
    assert other_site not in selectors.establishments_for(helper)
    services.revoke_support_access(grant, by=owner)
    assert not selectors.establishments_for(helper).exists()


def test_only_registered_support_organisations_can_be_granted():
    owner, org = head_office()
    est = EstablishmentFactory(organisation=org)
    with pytest.raises(DomainError, match="登録支援機関"):
        services.grant_support_access(est, support_organisation=OrganisationFactory(), by=owner)


def test_site_staff_without_manage_right_cannot_grant_access():
    owner, org = head_office()
    est = EstablishmentFactory(organisation=org)
    site = UserFactory()
    services.grant_establishment_access(est, email=site.email, can_manage=False, by=owner)
    with pytest.raises(DomainError):
        services.grant_establishment_access(est, email=UserFactory().email, can_manage=False, by=site)


def test_last_manager_cannot_remove_their_own_access():
    owner, org = head_office()
    access = Access.objects.get(user=owner, organisation=org)
    with pytest.raises(DomainError, match="最後の管理者"):
        services.revoke_access(access, by=owner)


def test_membership_numbers_are_sequential_and_one_open_membership_per_establishment():
    est = EstablishmentFactory()
    m1 = membership_for(est)
    m2 = membership_for(EstablishmentFactory())
    assert int(m2.member_number[1:]) == int(m1.member_number[1:]) + 1
    with pytest.raises(DomainError, match="既に"):
        membership_for(est)


def test_membership_refuses_ineligible_classifications():
    with pytest.raises(DomainError, match="2591"):
        services.create_membership(
            EstablishmentFactory(), jsic_codes=["2591"], fee_notice_date=dt.date(2026, 6, 1)
        )


def test_membership_state_machine_has_no_suspension_and_withdrawn_is_final():
    m = membership_for(EstablishmentFactory(), active_on=dt.date(2026, 7, 1))
    assert "SUSPENDED" not in Membership.Status.values  # R10
    m = withdraw(m, on=dt.date(2026, 9, 30))
    assert not Membership.TRANSITIONS[Membership.Status.WITHDRAWN]
    with pytest.raises(DomainError):
        services.activate_membership(m, on=dt.date(2026, 10, 1))
    with pytest.raises(DomainError, match="有効な会員資格だけ"):
        request_withdrawal(m, effective_on=dt.date.today())


def test_withdrawing_one_site_leaves_its_sibling_active():
    owner, org = head_office()
    a = membership_for(EstablishmentFactory(organisation=org), active_on=dt.date(2026, 7, 1))
    b = membership_for(EstablishmentFactory(organisation=org), active_on=dt.date(2026, 7, 1))
    withdraw(a, on=dt.date(2026, 8, 31))
    assert Membership.objects.get(pk=b.pk).status == Membership.Status.ACTIVE


def test_rejoining_after_withdrawal_is_a_new_membership_with_a_new_number():
    est = EstablishmentFactory()
    old = membership_for(est, active_on=dt.date(2026, 7, 1))
    withdraw(old, on=dt.date(2026, 8, 31))
    new = membership_for(est, fee_notice_date=dt.date(2026, 10, 1))
    assert new.pk != old.pk and new.member_number != old.member_number


def test_identity_change_keeps_old_names_until_effective():
    est = EstablishmentFactory(name="旧工場")
    change = services.record_identity_change(
        est,
        kind="NAME_CHANGE",
        new_organisation_name="新会社株式会社",
        new_establishment_name="新工場",
        accepted_on=dt.date(2026, 5, 1),
    )
    est.refresh_from_db()
    assert est.name == "旧工場" and change.is_pending
    services.complete_identity_change(change, effective_on=dt.date(2026, 6, 1))
    est.refresh_from_db()
    assert est.name == "新工場" and est.organisation.name == "新会社株式会社"


def test_factory_corporate_numbers_are_valid():
    from jaim.validators import is_valid_corporate_number

    assert all(is_valid_corporate_number(make_corporate_number()) for _ in range(20))


def test_adding_an_ineligible_classification_is_refused_not_silently_dropped_r4():
    m = membership_for(EstablishmentFactory(), active_on=dt.date(2026, 7, 1))
    with pytest.raises(DomainError, match="2591"):
        services.add_jsic_codes(m, ["2534", "2591"])
    assert list(m.jsic_codes.values_list("code", flat=True)) == ["2592"]
    services.add_jsic_codes(m, ["2534"])
    assert set(m.jsic_codes.values_list("code", flat=True)) == {"2592", "2534"}


def test_withdrawal_date_cannot_precede_the_first_listed_day():
    m = membership_for(EstablishmentFactory(), active_on=dt.date(2026, 7, 1))
    with on_day(dt.date(2026, 6, 30)):
        request = request_withdrawal(m, effective_on=dt.date(2026, 6, 30))
        with pytest.raises(DomainError, match="会員開始日"):
            lifecycle.confirm_withdrawal(request, by=UserFactory(is_staff=True))
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.WITHDRAWAL_REQUESTED
