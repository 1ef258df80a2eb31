"""The application state machine (design.md §4) and what each decision does, at the service level."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from applications import services
from applications.models import Application, ReviewMessage
from jaim.errors import DomainError
from jaim.models import AuditEvent, OutboxMessage
from members.models import AssociationMembership, IdentityChange, Membership, Organisation, SupportGrant
from tests.applications.factories import (
    add_doc,
    applicant,
    complete,
    draft,
    member_establishment,
    reviewer,
    submitted,
)
from tests.factories import AssociationFactory, head_office

pytestmark = pytest.mark.django_db
S = Application.Status


def in_status(status):
    """An application brought to `status` through the services."""
    user, est = applicant()
    app = draft(est, user)
    if status == S.DRAFT:
        return app
    if status == S.CANCELLED:
        return services.cancel_application(app, by=user)
    app = services.submit_application(complete(app, user), by=user)
    if status == S.SUBMITTED:
        return app
    staff = reviewer()
    app = services.start_review(app, reviewer=staff)
    if status == S.IN_REVIEW:
        return app
    if status == S.RETURNED:
        return services.return_application(
            app,
            reviewer=staff,
            message="書類が不鮮明です。",
            deadline=dt.date.today() + dt.timedelta(days=14),
        )
    if status == S.APPROVED:
        return services.approve_application(app, reviewer=staff)
    return services.reject_application(app, reviewer=staff, reason="対象外の製品です。")


def attempt(app, action):
    staff = reviewer()
    user = app.created_by
    later = dt.date.today() + dt.timedelta(days=10)
    return {
        "submit": lambda: services.submit_application(
            complete(app, user) if app.status == S.DRAFT else app, by=user
        ),
        "cancel": lambda: services.cancel_application(app, by=user),
        "start_review": lambda: services.start_review(app, reviewer=staff),
        "return": lambda: services.return_application(app, reviewer=staff, message="不足", deadline=later),
        "approve": lambda: services.approve_application(app, reviewer=staff),
        "reject": lambda: services.reject_application(app, reviewer=staff, reason="理由"),
    }[action]()


LEGAL = {
    S.DRAFT: {"submit", "cancel"},
    S.SUBMITTED: {"start_review"},
    S.IN_REVIEW: {"return", "approve", "reject"},
    S.RETURNED: {"submit", "cancel"},
    S.APPROVED: set(),
    S.REJECTED: set(),
    S.CANCELLED: set(),
}
ACTIONS = ["submit", "cancel", "start_review", "return", "approve", "reject"]


@pytest.mark.parametrize(
    "status,action",
    [(s, a) for s in LEGAL for a in ACTIONS if a not in LEGAL[s]],
)
def test_every_illegal_move_raises_domain_error_and_changes_nothing(status, action):
    app = in_status(status)
    before = AuditEvent.objects.filter(object_id=str(app.pk)).count()
    with pytest.raises(DomainError):
        attempt(app, action)
    assert Application.objects.get(pk=app.pk).status == status
    assert AuditEvent.objects.filter(object_id=str(app.pk)).count() == before


@pytest.mark.parametrize("status,action", [(s, a) for s in LEGAL for a in sorted(LEGAL[s])])
def test_every_legal_move_writes_an_audit_row(status, action):
    app = in_status(status)
    attempt(app, action)
    moved = Application.objects.get(pk=app.pk)
    assert moved.status != status
    row = AuditEvent.objects.filter(object_id=str(app.pk), action=f"status:{moved.status}").latest("id")
    assert (row.from_status, row.to_status) == (status, moved.status)


def test_transitions_dict_is_the_design_state_machine():
    t = Application.TRANSITIONS
    assert t[S.DRAFT] == {S.SUBMITTED, S.CANCELLED}
    assert t[S.RETURNED] == {S.SUBMITTED, S.CANCELLED}
    assert t[S.IN_REVIEW] == {S.RETURNED, S.APPROVED, S.REJECTED}
    assert not t[S.APPROVED] and not t[S.REJECTED] and not t[S.CANCELLED]


def test_submit_stamps_receipt_time_and_number_and_queues_the_receipt_mail(
    django_capture_on_commit_callbacks,
):
    user, est = applicant()
    app = complete(draft(est, user), user)
    with time_machine.travel(dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            app = services.submit_application(app, by=user)
    assert app.status == S.SUBMITTED
    assert app.submitted_at == dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert app.receipt_number == "A2026-000001"
    msg = OutboxMessage.objects.get(kind="application_received")
    assert msg.to == user.email and "A2026-000001" in msg.subject and msg.status == OutboxMessage.Status.SENT


def test_second_submit_of_a_submitted_application_is_refused_without_a_second_mail():
    app = submitted()
    with pytest.raises(DomainError) as exc:
        services.submit_application(app, by=app.created_by)
    assert exc.value.code == "already_submitted"
    assert OutboxMessage.objects.filter(kind="application_received").count() == 1


def test_start_review_assigns_the_reviewer_and_a_second_reviewer_is_told_it_is_taken():
    app = submitted()
    first, second = reviewer(), reviewer()
    app = services.start_review(app, reviewer=first)
    assert app.reviewer == first and app.review_started_at is not None
    assert services.start_review(app, reviewer=first).status == S.IN_REVIEW  # same reviewer: harmless
    with pytest.raises(DomainError, match="既に審査中"):
        services.start_review(app, reviewer=second)


def test_a_decided_application_tells_the_second_reviewer_it_is_already_decided():
    app = in_status(S.APPROVED)
    for action in ("approve", "reject", "return"):
        with pytest.raises(DomainError) as exc:
            attempt(app, action)
        assert exc.value.code == "already_decided" and "既に決定済み" in exc.value.message


def test_return_requires_a_message_and_a_future_deadline():
    app = in_status(S.IN_REVIEW)
    staff = reviewer()
    with pytest.raises(DomainError, match="差戻しの内容"):
        services.return_application(
            app, reviewer=staff, message=" ", deadline=dt.date.today() + dt.timedelta(1)
        )
    with pytest.raises(DomainError, match="明日以降"):
        services.return_application(app, reviewer=staff, message="不足", deadline=dt.date.today())


def test_reject_requires_a_reason_that_the_applicant_is_sent(django_capture_on_commit_callbacks):
    app = in_status(S.IN_REVIEW)
    with pytest.raises(DomainError, match="却下の理由"):
        services.reject_application(app, reviewer=reviewer(), reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_application(app, reviewer=reviewer(), reason="出荷実績が確認できません。")
    msg = OutboxMessage.objects.get(kind="application_rejected")
    assert "出荷実績が確認できません。" in msg.body


def test_new_returned_resubmitted_approved_creates_membership_and_bills_it(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The e2e path at the service level (R7, FAQ 2-5-1, F3, F4, F12)."""
    calls = []
    monkeypatch.setattr(
        "fees.services.bill_new_membership",
        lambda membership, **kw: calls.append((membership, kw)),
    )
    user, org = head_office(capital_yen=900_000_000, regular_employees=900)
    from tests.factories import EstablishmentFactory

    est = EstablishmentFactory(organisation=org)
    support_user, support_org = head_office(is_support_organisation=True)
    SupportGrant.objects.create(establishment=est, support_organisation=support_org)
    assoc = AssociationFactory(proof_required=False)
    app = draft(est, user)
    services.save_answers(app, step="establishment", data={"payer": support_org}, by=user)
    services.save_answers(
        app,
        step="sme",
        data={
            "sme_claimed": True,
            "capital_yen": 50_000_000,
            "regular_employees": 400,
            "sme_proof_type": "LABOUR_INSURANCE",
        },
        by=user,
    )
    add_doc(app, user, "sme_proof")
    services.save_answers(
        app,
        step="association",
        data={
            "association": assoc,
            "association_applied_on": dt.date(2026, 1, 5),
            "association_complete_on": dt.date(2026, 2, 1),
        },
        by=user,
    )
    app = complete(app, user)
    staff = reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(dt.datetime(2026, 4, 10, 1, 0, tzinfo=dt.UTC)):
            app = services.submit_application(app, by=user)
        first_receipt = app.submitted_at
        with time_machine.travel(dt.datetime(2026, 5, 10, 1, 0, tzinfo=dt.UTC)):
            app = services.start_review(app, reviewer=staff)
            app = services.return_application(
                app, reviewer=staff, message="工場内部の画像が不鮮明です。", deadline=dt.date(2026, 6, 10)
            )
        with time_machine.travel(dt.datetime(2026, 5, 20, 1, 0, tzinfo=dt.UTC)):
            add_doc(app, user, "factory_image")
            app = services.submit_application(app, by=user)
        assert app.submitted_at == first_receipt and app.resubmitted_at is not None  # queue order kept
        with time_machine.travel(dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC)):
            app = services.start_review(app, reviewer=staff)
            app = services.approve_application(app, reviewer=staff)

    assert app.status == S.APPROVED and app.decided_on == dt.date(2026, 6, 15)
    membership = Membership.objects.get(establishment=est)
    assert membership.status == Membership.Status.AWAITING_PAYMENT
    assert membership.fee_notice_date == dt.date(2026, 6, 15)
    assert list(membership.jsic_codes.values_list("code", flat=True)) == ["2592"]
    assert len(calls) == 1
    billed, kwargs = calls[0]
    assert billed == membership
    assert kwargs["notice_date"] == dt.date(2026, 6, 15)
    assert kwargs["application_date"] == dt.date(2026, 4, 10)
    assert kwargs["payer"] == support_org and kwargs["by"] == staff
    org.refresh_from_db()
    assert (org.capital_yen, org.regular_employees) == (50_000_000, 400)  # the SME declaration (F3)
    am = AssociationMembership.objects.get(organisation=org, association=assoc)
    assert (am.applied_on, am.complete_on) == (dt.date(2026, 1, 5), dt.date(2026, 2, 1))  # F4
    kinds = list(OutboxMessage.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "application_received",
        "application_returned",
        "application_received",
        "application_approved",
    ]
    assert ReviewMessage.objects.filter(
        application=app, kind="RETURN", deadline=dt.date(2026, 6, 10)
    ).exists()


def test_fee_service_failure_rolls_back_the_whole_approval(monkeypatch):
    def boom(*a, **k):
        raise DomainError("料金表がありません。")

    monkeypatch.setattr("fees.services.bill_new_membership", boom)
    app = in_status(S.IN_REVIEW)
    with pytest.raises(DomainError):
        services.approve_application(app, reviewer=reviewer())
    assert Application.objects.get(pk=app.pk).status == S.IN_REVIEW
    assert not Membership.objects.filter(establishment=app.establishment).exists()


def test_payer_is_dropped_when_the_support_grant_was_revoked_before_approval(monkeypatch):
    calls = []
    monkeypatch.setattr("fees.services.bill_new_membership", lambda m, **kw: calls.append(kw))
    user, est = applicant()
    _, support_org = head_office(is_support_organisation=True)
    grant = SupportGrant.objects.create(establishment=est, support_organisation=support_org)
    app = draft(est, user)
    services.save_answers(app, step="establishment", data={"payer": support_org}, by=user)
    app = services.submit_application(complete(app, user), by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    grant.revoked_at = timezone.now()
    grant.save()
    services.approve_application(app, reviewer=staff)
    assert calls[0]["payer"] is None


def test_sme_not_claimed_leaves_the_organisation_figures_alone(monkeypatch):
    app = in_status(S.IN_REVIEW)
    org = app.establishment.organisation
    before = (org.capital_yen, org.regular_employees)
    services.approve_application(app, reviewer=reviewer())
    org = Organisation.objects.get(pk=org.pk)
    assert (org.capital_yen, org.regular_employees) == before


def test_existing_association_dates_checked_by_staff_are_not_overwritten():
    user, est = applicant()
    org = est.organisation
    assoc = AssociationFactory(proof_required=False)
    AssociationMembership.objects.create(organisation=org, association=assoc, complete_on=dt.date(2025, 4, 1))
    app = draft(est, user)
    services.save_answers(
        app,
        step="association",
        data={"association": assoc, "association_complete_on": dt.date(2026, 1, 1)},
        by=user,
    )
    app = services.submit_application(complete(app, user), by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    assert AssociationMembership.objects.get(organisation=org).complete_on == dt.date(2025, 4, 1)


def _change_app(kind, **answers):
    user, est, m = member_establishment()
    app = draft(est, user, kind=kind)
    if answers:
        services.save_answers(app, step="change", data=answers, by=user)
    return user, est, m, app


def test_add_classification_approved_adds_the_codes_to_the_membership():
    """R4: adding a classification is an application; one fee still (R3)."""
    user, est, m = member_establishment(codes=("2592",))
    app = complete(draft(est, user, kind="ADD_CLASSIFICATION", codes=("2651",)), user)
    app = services.submit_application(app, by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    assert sorted(m.jsic_codes.values_list("code", flat=True)) == ["2592", "2651"]
    assert Membership.objects.filter(establishment=est).count() == 1


def test_name_change_approved_records_old_and_new_names_with_no_follow_up_due_until_the_new_company_operates():
    """R13: accepted before the new company operates; documents under the new name are due only once staff
    confirmed it operating (tests/applications/test_follow_up.py)."""
    user, est, m, app = _change_app(
        "NAME_CHANGE",
        new_organisation_name="新サンプル株式会社",
        new_establishment_name="新本社工場",
        change_expected_on=dt.date(2026, 9, 1),
    )
    old_org = est.organisation.name
    add_doc(app, user, "merger_evidence")
    app = services.submit_application(app, by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    change = IdentityChange.objects.get(establishment=est)
    assert change.kind == "NAME_CHANGE"
    assert (change.old_organisation_name, change.new_organisation_name) == (old_org, "新サンプル株式会社")
    assert change.new_establishment_name == "新本社工場"
    assert change.follow_up_due_on is None
    assert change.effective_on is None  # side by side until the new company exists
    assert Application.objects.get(pk=app.pk).identity_change == change


def test_relocation_approved_records_the_new_address_and_links_the_change_to_the_application():
    """R14."""
    user, est, m, app = _change_app(
        "RELOCATION",
        new_establishment_name="新工場",
        new_postal_code="5000002",
        new_prefecture="21",
        new_city="岐阜市",
        new_address_line="新町1-1",
        change_expected_on=dt.date(2026, 8, 1),
    )
    add_doc(app, user, "relocation_address_evidence")
    app = services.submit_application(app, by=user)
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    change = IdentityChange.objects.get(establishment=est)
    assert (
        change.kind == "RELOCATION" and change.new_city == "岐阜市" and change.new_address_line == "新町1-1"
    )
    assert change.follow_up_due_on is None and change.application.pk == app.pk


def test_name_change_without_the_merger_evidence_cannot_be_submitted_and_names_it():
    user, est, m, app = _change_app(
        "NAME_CHANGE", new_organisation_name="新会社", change_expected_on=dt.date(2026, 9, 1)
    )
    with pytest.raises(DomainError, match="合併・会社分割を示す証憑"):
        services.submit_application(app, by=user)


def test_overdue_returned_applications_are_cancelled_once_and_the_applicant_told():
    app = in_status(S.RETURNED)
    deadline = Application.objects.get(pk=app.pk).return_deadline
    assert services.cancel_overdue_returned(on=deadline) == 0  # the deadline day itself is still open
    assert services.cancel_overdue_returned(on=deadline + dt.timedelta(days=1)) == 1
    assert services.cancel_overdue_returned(on=deadline + dt.timedelta(days=2)) == 0  # safe to run twice
    assert Application.objects.get(pk=app.pk).status == S.CANCELLED
    assert OutboxMessage.objects.filter(kind="application_cancelled").count() == 1


def test_the_deadline_job_records_its_run_and_can_be_run_by_hand():
    from django.core.management import call_command

    from jaim.models import JobRun

    app = in_status(S.RETURNED)
    day_after = Application.objects.get(pk=app.pk).return_deadline + dt.timedelta(days=1)
    from tests.lifecycle.conftest import at

    with at(day_after + dt.timedelta(days=3)):  # catching up a missed run; a future --date is refused
        call_command("cancel_overdue_applications", "--date", day_after.isoformat())
    run = JobRun.objects.get(job="applications.cancel_overdue_returned")
    assert run.counts == {"cancelled": 1} and run.succeeded and run.reference_date == day_after
    assert Application.objects.get(pk=app.pk).status == S.CANCELLED
