"""E-mail goes through the outbox: a row per message in the caller's transaction, sent by a task after commit."""

import datetime as dt
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jaim.links import absolute_url
from jaim.models import OutboxAttempt, OutboxMessage
from jaim.queue import enqueue


def queue_mail(*, to: str, template: str, context: dict, kind: str, dedupe_key: str | None = None):
    """Write one outbox row from templates/mail/<template>.txt (first line = subject); send after commit.

    With a dedupe_key the message exists at most once (one reminder per subject, rule and reference date):
    a second call returns None and sends nothing.
    """
    ctx = {"site_url": absolute_url(), **context}
    with translation.override("ja"):
        text = render_to_string(f"mail/{template}.txt", ctx).strip()
    subject, _, body = text.partition("\n")
    try:
        with transaction.atomic():
            msg = OutboxMessage.objects.create(
                dedupe_key=dedupe_key,
                kind=kind,
                to=to,
                subject=subject.strip()[:255],
                body=body.strip() + "\n",
            )
    except IntegrityError:
        if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    enqueue("jaim.tasks.send_outbox_message", msg.pk)  # by path: jaim.tasks imports this module
    return msg


MAX_ATTEMPTS = 5
# Seconds to wait after the n-th failed attempt before the next one (the sweep honours it; the task's own retries
# back off too). A permanent refusal (5xx) is not retried.
BACKOFF_SECONDS = (60, 300, 1800, 7200)
# A claim lasts this long: a sender that died mid-conversation leaves the row to the sweep after it.
CLAIM_SECONDS = 600


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for one attempt (SENDING, attempts + 1) and commit; None when sent, given up or held by
    another sender. No row lock survives this function: the SMTP conversation happens after the commit."""
    now = timezone.now()
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if msg is None or msg.status in (OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED):
            return None
        if msg.status == OutboxMessage.Status.SENDING and msg.claimed_until and msg.claimed_until > now:
            return None
        msg.status = OutboxMessage.Status.SENDING
        msg.attempts += 1
        msg.claimed_until = now + dt.timedelta(seconds=CLAIM_SECONDS)
        msg.save(update_fields=["status", "attempts", "claimed_until"])
    return msg


def _permanent(exc: Exception) -> bool:
    """The server refused for good (a 5xx reply): retrying cannot help. Connection errors and 4xx are temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def deliver(message_id: int) -> bool:
    """Send one pending outbox message through Django's mail backend. Safe to call twice, and concurrently.

    Claim the row (committed), talk to the mail server outside any transaction, then record the outcome and the
    attempt (OutboxAttempt). A transport error is recorded, then re-raised so the task retries with back-off."""
    msg = _claim(message_id)
    if msg is None:
        return False
    started = timezone.now()
    failure = None
    try:
        send_mail(msg.subject, msg.body, settings.DEFAULT_FROM_EMAIL, [msg.to], fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
        failure = exc
    finished = timezone.now()
    error = "" if failure is None else f"{type(failure).__name__}: {failure}"[:2000]
    with transaction.atomic():
        OutboxAttempt.objects.create(
            message=msg, number=msg.attempts, started_at=started, finished_at=finished,
            succeeded=failure is None, error=error,
        )  # fmt: skip
        if failure is None:
            OutboxMessage.objects.filter(pk=msg.pk).update(
                status=OutboxMessage.Status.SENT, sent_at=finished, last_error="", claimed_until=None,
                next_attempt_at=None,
            )  # fmt: skip
        else:
            give_up = _permanent(failure) or msg.attempts >= MAX_ATTEMPTS
            wait = BACKOFF_SECONDS[min(msg.attempts, len(BACKOFF_SECONDS)) - 1]
            OutboxMessage.objects.filter(pk=msg.pk).update(
                status=OutboxMessage.Status.FAILED if give_up else OutboxMessage.Status.PENDING,
                last_error=error,
                claimed_until=None,
                next_attempt_at=None if give_up else finished + dt.timedelta(seconds=wait),
            )
    if failure is not None:
        if _permanent(failure):
            return False  # recorded as failed; the administrator sees it in the outbox
        raise failure
    return True


def pending_message_ids(limit: int = 500) -> list[int]:
    """Messages the sweep should try now: pending and due (back-off over), or claimed by a sender that died."""
    now = timezone.now()
    due = Q(status=OutboxMessage.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)
    return list(
        OutboxMessage.objects.filter(due | abandoned)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
