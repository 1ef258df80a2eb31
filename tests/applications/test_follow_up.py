"""A merger (R13, FAQ 3-2-2) or relocation (R14, FAQ 3-2-3) after approval: the member reports the new company /
site operating (it waits for staff), staff confirm it with the date (from the review screen too), the follow-up
documents become a requirement with a due date, uploaded from My Page through the usual checks, then accepted."""

import datetime as dt

import pytest
from django.urls import reverse

from applications import selectors, services
from applications.models import Document
from jaim.dates import today
from jaim.errors import DomainError
from jaim.models import AuditEvent, OutboxMessage
from members.models import IdentityChange
from tests.applications.factories import PDF, applicant, approved_change, dtype, reviewer, upload
from tests.factories import membership_for
from tests.security.helpers import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _finish(app, staff, *, days_ago=3, due=None):
    change = services.confirm_change_effective(
        app, reviewer=staff, effective_on=today() - dt.timedelta(days=days_ago), follow_up_due_on=due
    )
    app.refresh_from_db()  # the application's cached change is the one before
    return change


def test_nothing_is_due_before_staff_confirm_the_new_site_operating_R14():
    _user, app, change = approved_change("RELOCATION")
    assert change.effective_on is None and change.follow_up_due_on is None
    assert selectors.follow_up_needs(app) == []


def test_a_finished_merger_asks_for_shipment_evidence_under_the_new_name_by_the_due_date_R13(settings):
    settings.JAIM_IDENTITY_FOLLOW_UP_DAYS = 21
    user, app, change = approved_change("NAME_CHANGE")
    staff = reviewer()
    change = _finish(app, staff)
    assert change.follow_up_due_on == change.effective_on + dt.timedelta(days=21)
    assert [n.label for n in selectors.follow_up_needs(app)] == ["新会社名での製造品出荷額等の証明書類"]
    mail = OutboxMessage.objects.get(kind="identity_change_effective", to=user.email)
    assert "新会社の事業開始を確認しました" in mail.subject
    assert f"{change.follow_up_due_on:%Y年%-m月%-d日}" in mail.body and "#identity-change" in mail.body


def test_a_finished_relocation_asks_for_a_public_document_and_new_shipment_evidence_R14():
    _user, app, _change = approved_change("RELOCATION")
    _finish(app, reviewer(), due=today() + dt.timedelta(days=10))
    needs = selectors.follow_up_needs(app)
    assert [n.label for n in needs] == [
        "新事業所名に変更されたことが確認できる公的書類等",
        "新事業所名での製造品出荷額等の証明書類",
    ]
    assert not any(n.satisfied for n in needs)


def test_follow_up_uploads_go_through_the_upload_checks_and_complete_the_requirement_R14():
    user, app, change = approved_change("RELOCATION")
    _finish(app, reviewer())
    with pytest.raises(DomainError):  # an HTML page named .pdf is refused by its content, nothing stored
        services.upload_follow_up_document(
            app, by=user, document_type=dtype("relocation_public_document"),
            uploaded=upload("lease.pdf", b"<html><script>alert(1)</script></html>"),
        )  # fmt: skip
    assert not Document.objects.filter(application=app, is_follow_up=True).exists()
    with pytest.raises(DomainError, match="追加書類として受け付けていません"):
        services.upload_follow_up_document(
            app, by=user, document_type=dtype("merger_evidence"), uploaded=upload()
        )
    services.upload_follow_up_document(
        app, by=user, document_type=dtype("relocation_public_document"), uploaded=upload()
    )
    change.refresh_from_db()
    assert change.follow_up_submitted_at is None  # one of two
    services.upload_follow_up_document(
        app, by=user, document_type=dtype("follow_up_shipment_evidence"), uploaded=upload()
    )
    change.refresh_from_db()
    assert change.follow_up_submitted_at is not None and change.follow_up_done_on is None
    assert all(n.satisfied for n in selectors.follow_up_needs(app))
    # Staff check them: settled, once.
    staff = reviewer()
    services.accept_follow_up(app, reviewer=staff)
    services.accept_follow_up(app, reviewer=staff)
    change.refresh_from_db()
    assert change.follow_up_done_on == today()
    assert AuditEvent.objects.filter(object_id=str(change.pk), action="follow_up_done").count() == 1
    with pytest.raises(DomainError, match="確認が済んで"):
        services.upload_follow_up_document(
            app, by=user, document_type=dtype("follow_up_shipment_evidence"), uploaded=upload()
        )


def test_staff_cannot_accept_follow_ups_that_are_not_all_in_R13():
    _user, app, _change = approved_change("NAME_CHANGE")
    _finish(app, reviewer())
    with pytest.raises(DomainError, match="そろっていません"):
        services.accept_follow_up(app, reviewer=reviewer())


def test_follow_ups_are_refused_before_the_change_is_finished():
    user, app, _change = approved_change("NAME_CHANGE")
    with pytest.raises(DomainError, match="稼働を確認した後"):
        services.upload_follow_up_document(
            app, by=user, document_type=dtype("follow_up_shipment_evidence"), uploaded=upload()
        )


# --- My Page -------------------------------------------------------------------------------------------------


def test_the_member_reports_the_new_site_operating_and_it_waits_for_staff_R14(client):
    user, app, change = approved_change("RELOCATION")
    client.force_login(user)
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "新事業所が稼働しました" in page
    day = today() - dt.timedelta(days=1)
    r = client.post(reverse("applications:change_report", args=[app.pk]), {"effective_on": day.isoformat()})
    assert r.status_code == 302
    change.refresh_from_db()
    assert change.reported_effective_on == day and change.reported_by == user
    assert change.effective_on is None  # never finishes on its own
    assert change.establishment.name != change.new_establishment_name
    page = client.get(
        reverse("members:establishment_detail", args=[change.establishment_id])
    ).content.decode()
    assert "稼働のご報告を受け付けました" in page
    # In the staff queue: the identity changes reported and waiting for confirmation.
    assert IdentityChange.objects.filter(effective_on__isnull=True, reported_effective_on=day).exists()


def test_a_report_with_a_future_date_gets_a_message_next_to_the_field_and_changes_nothing(client):
    user, app, change = approved_change("NAME_CHANGE")
    client.force_login(user)
    later = today() + dt.timedelta(days=5)
    r = client.post(reverse("applications:change_report", args=[app.pk]), {"effective_on": later.isoformat()})
    assert r.status_code == 400 and "未来の日付は指定できません" in r.content.decode()
    change.refresh_from_db()
    assert change.reported_effective_on is None


def test_the_member_uploads_follow_ups_from_my_page_and_a_bad_file_keeps_the_good_one_R13(client):
    user, app, change = approved_change("NAME_CHANGE")
    _finish(app, reviewer())
    client.force_login(user)
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert "新会社名での製造品出荷額等の証明書類" in page and "追加書類を提出する" in page
    url = reverse("applications:follow_up_upload", args=[app.pk])
    t = dtype("follow_up_shipment_evidence")
    r = client.post(url, {"document_type": t.pk, "file": upload("invoices.pdf", PDF)})
    assert r.status_code == 302
    r = client.post(url, {"document_type": t.pk, "file": upload("bad.pdf", b"MZ\x90\x00not a pdf")})
    assert r.status_code == 400 and "ファイル" in r.content.decode()
    docs = Document.objects.filter(application=app, is_follow_up=True)
    assert [d.original_name for d in docs] == ["invoices.pdf"]
    change.refresh_from_db()
    assert change.follow_up_submitted_at is not None


def test_another_member_cannot_report_or_upload_for_the_change(client):
    _user, app, change = approved_change("RELOCATION")
    _finish(app, reviewer())
    stranger, other = applicant()
    membership_for(other)
    client.force_login(stranger)
    day = today().isoformat()
    assert (
        client.post(reverse("applications:change_report", args=[app.pk]), {"effective_on": day}).status_code
        == 404
    )
    r = client.post(
        reverse("applications:follow_up_upload", args=[app.pk]),
        {"document_type": dtype("relocation_public_document").pk, "file": upload()},
    )
    assert r.status_code == 404
    assert not Document.objects.filter(application=app, is_follow_up=True).exists()


# --- the review screen ---------------------------------------------------------------------------------------


def test_a_reviewer_finishes_a_relocation_from_the_review_screen_with_the_date_R14(client):
    _user, app, change = approved_change("RELOCATION")
    staff = reviewer()
    verified_login(client, staff)
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "新事業所の稼働を確認" in page
    url = reverse("admin:applications_application_confirm_change", args=[app.pk])
    day = today() - dt.timedelta(days=2)
    r = client.post(url, {"effective_on": day.isoformat()})
    assert r.status_code == 302
    change.refresh_from_db()
    assert change.effective_on == day and change.completed_by == staff
    est = change.establishment
    est.refresh_from_db()
    assert (est.name, est.city, est.address_line) == ("各務原新工場", "各務原市", "テクノプラザ1-1")
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "新事業所の稼働を確認" not in page and "提出待ち" in page


def test_finance_staff_cannot_finish_a_change(client):
    from tests.security.helpers import staff_user

    _user, app, change = approved_change("NAME_CHANGE")
    finance = staff_user(group="finance")
    verified_login(client, finance)
    url = reverse("admin:applications_application_confirm_change", args=[app.pk])
    assert client.post(url, {"effective_on": today().isoformat()}).status_code == 403
    change.refresh_from_db()
    assert change.effective_on is None
