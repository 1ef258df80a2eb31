"""One way to withdraw (R11): the retired WITHDRAWAL application kind becomes lifecycle's withdrawal request.

An open WITHDRAWAL application that was sent (submitted, in review, or returned for correction) of an active
membership becomes a request waiting for the secretariat (PENDING): its day (today at the earliest, 1 April at the
latest, as request_withdrawal allows) and reason carry over, the membership is WITHDRAWAL_REQUESTED (still listed
until that day), the contact is the sender at the site's telephone number, and the confirmations the old form never asked for (no SSW, no refund) stay unticked for the
secretariat to check with the member. Every open WITHDRAWAL application is then cancelled, with the reason in its
audit trail; a draft was never sent and simply goes. Decided ones stay as they were (history)."""

import datetime as dt
import zoneinfo

from django.db import migrations
from django.utils import timezone

OPEN = ["DRAFT", "SUBMITTED", "IN_REVIEW", "RETURNED"]
NOTE_MOVED = "退会届（旧方式）を退会の申出（事務局の確認待ち）に移行"
NOTE_DROPPED = "退会届（旧方式）の廃止により取消（退会は事業所の画面の「退会する」から）"


def _today() -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).date()


def convert(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Membership = apps.get_model("members", "Membership")
    WithdrawalRequest = apps.get_model("lifecycle", "WithdrawalRequest")
    AuditEvent = apps.get_model("jaim", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")

    apps_open = list(Application.objects.filter(kind="WITHDRAWAL", status__in=OPEN).order_by("pk"))
    if not apps_open:
        return
    ct = {
        name: ContentType.objects.get_or_create(app_label=label, model=name)[0]
        for label, name in (
            ("applications", "application"),
            ("members", "membership"),
            ("lifecycle", "withdrawalrequest"),
        )
    }

    def audit(obj, model, action, old, new, actor_id, note):
        AuditEvent.objects.create(
            content_type=ct[model],
            object_id=str(obj.pk),
            action=action,
            from_status=old,
            to_status=new,
            actor_id=actor_id,
            note=note,
        )

    on = _today()
    year_end = dt.date(on.year if on.month < 4 else on.year + 1, 4, 1)
    now = timezone.now()
    for app in apps_open:
        by_id = app.submitted_by_id or app.created_by_id
        m = Membership.objects.filter(establishment_id=app.establishment_id, status="ACTIVE").first()
        moved = (
            app.status != "DRAFT"
            and m is not None
            and not WithdrawalRequest.objects.filter(
                membership=m, status__in=["PENDING", "CONFIRMED"]
            ).exists()
        )
        if moved:
            effective_on = min(max(app.withdrawal_on or on, on), year_end)
            reason = (app.withdrawal_reason or "").strip() or "（退会届（旧方式）から移行。理由の記入なし）"
            user = app.created_by if app.submitted_by_id is None else app.submitted_by
            req = WithdrawalRequest.objects.create(
                membership=m,
                source="MY_PAGE",
                status="PENDING",
                effective_on=effective_on,
                reason=reason,
                contact_name=(user.full_name.strip() or user.email)[:100],
                contact_phone=m.establishment.phone,  # the site's number: the form never asked for one
                no_ssw_confirmed=False,
                no_refund_acknowledged=False,
                requested_by_id=by_id,
            )
            audit(req, "withdrawalrequest", "requested", "", "PENDING", by_id, NOTE_MOVED)
            m.status = "WITHDRAWAL_REQUESTED"
            m.withdrawal_requested_at = app.submitted_at or now
            m.withdrawal_effective_on = effective_on
            m.withdrawal_reason = reason
            m.save(
                update_fields=[
                    "status",
                    "withdrawal_requested_at",
                    "withdrawal_effective_on",
                    "withdrawal_reason",
                ]
            )
            audit(
                m,
                "membership",
                "status:WITHDRAWAL_REQUESTED",
                "ACTIVE",
                "WITHDRAWAL_REQUESTED",
                by_id,
                NOTE_MOVED,
            )
        old = app.status
        app.status = "CANCELLED"
        app.cancelled_at = now
        app.save(update_fields=["status", "cancelled_at"])
        audit(
            app,
            "application",
            "status:CANCELLED",
            old,
            "CANCELLED",
            None,
            NOTE_MOVED if moved else NOTE_DROPPED,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0002_default_reminder_rules"),
        ("applications", "0006_withdrawal_kind_retired"),
        ("members", "0006_representative_titles_data"),
        ("jaim", "0007_issuer_profile"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
