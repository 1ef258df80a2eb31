"""One way to withdraw (R11, FAQ 3-1-3): 退会する on the establishment's page is lifecycle's request; the secretariat
confirms and it takes effect on the chosen day. The retired WITHDRAWAL application kind can no longer be started or
approved, and open ones became requests waiting for the secretariat (data migration)."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from applications import services as application_services
from applications.forms import StartForm
from applications.models import Application
from jaim.errors import DomainError
from jaim.models import AuditEvent
from lifecycle import services
from lifecycle.models import WithdrawalRequest
from members.models import Membership
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import member
from tests.lifecycle.test_withdrawal import DETAILS, paid_member  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

migration = importlib.import_module("lifecycle.migrations.0003_withdrawal_applications_to_requests")


def _withdraw_links(html: str) -> list[str]:
    """Every link or button on the page whose text is a withdrawal (退会する, 退会届…)."""
    return re.findall(r"<(?:a|button)\b[^>]*>[^<]*退会(?:する|届)[^<]*</(?:a|button)>", html)


def test_the_establishment_page_offers_exactly_one_withdrawal_entry(client, paid_member):  # noqa: F811
    user, m, _invoice = paid_member
    client.force_login(user)
    with at(dt.date(2026, 11, 27)):
        html = client.get(reverse("members:establishment_detail", args=[m.establishment_id])).content.decode()
    links = _withdraw_links(html)
    assert len(links) == 1, links
    assert reverse("lifecycle:withdraw", args=[m.establishment_id]) in links[0]
    assert "kind=WITHDRAWAL" not in html
    # the application wizard does not offer it either, nor accept it when posted
    form = StartForm(establishments=Membership.objects.none())
    assert "WITHDRAWAL" not in dict(form.fields["kind"].choices)
    r = client.post(
        reverse("applications:start"), {"establishment": m.establishment_id, "kind": "WITHDRAWAL"}
    )
    assert r.status_code == 200 and not Application.objects.filter(kind="WITHDRAWAL").exists()


def test_a_withdrawal_through_it_waits_for_the_secretariat_and_takes_effect_on_the_chosen_day(
    client,
    paid_member,  # noqa: F811
):
    user, m, _invoice = paid_member
    client.force_login(user)
    chosen = dt.date(2026, 12, 15)
    with at(dt.date(2026, 11, 27)):
        r = client.post(
            reverse("lifecycle:withdraw", args=[m.establishment_id]),
            {**DETAILS, "effective_on": "2026-12-15"},
        )
    assert r.status_code == 302
    req = WithdrawalRequest.objects.get(membership=m)
    with at(dt.date(2026, 12, 20)):  # its day has passed, but nobody at the secretariat has confirmed it
        counts = services.complete_withdrawals()
    m.refresh_from_db()
    assert m.status == Membership.Status.WITHDRAWAL_REQUESTED and counts["awaiting_confirmation_overdue"] == 1
    with at(dt.date(2026, 12, 20)):
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
    m.refresh_from_db()
    assert (
        m.status == Membership.Status.WITHDRAWN and m.withdrawn_on == chosen
    )  # the chosen day, not the 20th


def test_the_retired_application_kind_cannot_be_started_or_approved():
    user, m = member()
    with pytest.raises(DomainError, match="「退会する」から"):
        application_services.create_application(m.establishment, kind="WITHDRAWAL", by=user)
    legacy = Application.objects.create(
        establishment=m.establishment,
        kind="WITHDRAWAL",
        status="IN_REVIEW",
        created_by=user,
        submitted_at=timezone.now(),
    )
    with pytest.raises(DomainError, match="退会の申出"):
        application_services.approve_application(legacy, reviewer=UserFactory(is_staff=True))
    m.refresh_from_db()
    assert (
        m.status == Membership.Status.ACTIVE and Application.objects.get(pk=legacy.pk).status == "IN_REVIEW"
    )


def test_open_withdrawal_applications_become_requests_for_the_secretariat_and_drafts_are_cancelled():
    user, sent = member()
    _u2, drafted = member()
    _u3, decided = member()
    with at(dt.date(2026, 11, 27)):
        a_sent = Application.objects.create(
            establishment=sent.establishment,
            kind="WITHDRAWAL",
            status="SUBMITTED",
            created_by=user,
            submitted_by=user,
            submitted_at=timezone.now(),
            withdrawal_on=dt.date(2026, 12, 31),
            withdrawal_reason="雇用を本社工場に集約するため",
        )
        a_draft = Application.objects.create(
            establishment=drafted.establishment, kind="WITHDRAWAL", status="DRAFT", created_by=user
        )
        a_decided = Application.objects.create(
            establishment=decided.establishment,
            kind="WITHDRAWAL",
            status="REJECTED",
            created_by=user,
            submitted_at=timezone.now(),
            rejection_reason="旧方式",
        )
        migration.convert(django_apps, None)
        migration.convert(django_apps, None)  # safe to run twice: nothing open is left

    req = WithdrawalRequest.objects.get(membership=sent)
    assert (req.status, req.effective_on, req.reason) == (
        "PENDING",
        dt.date(2026, 12, 31),
        a_sent.withdrawal_reason,
    )
    assert not req.no_ssw_confirmed and not req.no_refund_acknowledged  # never asked by the old form
    sent.refresh_from_db()
    assert (
        sent.status == Membership.Status.WITHDRAWAL_REQUESTED
        and sent.withdrawal_effective_on == req.effective_on
    )
    assert {a.pk: a.status for a in Application.objects.filter(kind="WITHDRAWAL")} == {
        a_sent.pk: "CANCELLED",
        a_draft.pk: "CANCELLED",
        a_decided.pk: "REJECTED",
    }
    drafted.refresh_from_db()
    assert drafted.status == Membership.Status.ACTIVE and not WithdrawalRequest.objects.filter(
        membership=drafted
    )
    assert AuditEvent.objects.filter(object_id=str(a_sent.pk), note__contains="移行").exists()

    # the secretariat's confirmation then applies the chosen day, as for any request
    with at(dt.date(2026, 12, 31)):
        services.confirm_withdrawal(req, by=UserFactory(is_staff=True))
    sent.refresh_from_db()
    assert sent.status == Membership.Status.WITHDRAWN and sent.withdrawn_on == dt.date(2026, 12, 31)
