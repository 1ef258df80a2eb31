"""E-mail goes through the outbox: a row per message in the caller's transaction, sent by a task after commit."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jaim.models import OutboxMessage
from jaim.queue import enqueue


def queue_mail(*, to: str, template: str, context: dict, kind: str, dedupe_key: str | None = None):
    """Write one outbox row from templates/mail/<template>.txt (first line = subject); send after commit.

    With a dedupe_key the message exists at most once (one reminder per subject, rule and reference date):
    a second call returns None and sends nothing.
    """
    ctx = {"site_url": settings.SITE_URL, **context}
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


def deliver(message_id: int) -> bool:
    """Send one pending outbox message through Django's mail backend. Safe to call twice.
    A transport error is recorded on the row (committed), then re-raised so the task retries with backoff."""
    failure = None
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if msg is None or msg.status == OutboxMessage.Status.SENT:
            return False
        msg.attempts += 1
        try:
            send_mail(msg.subject, msg.body, settings.DEFAULT_FROM_EMAIL, [msg.to], fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded and retried
            failure = exc
            msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            msg.status = (
                OutboxMessage.Status.FAILED if msg.attempts >= MAX_ATTEMPTS else OutboxMessage.Status.PENDING
            )
            msg.save(update_fields=["attempts", "last_error", "status"])
        else:
            msg.status = OutboxMessage.Status.SENT
            msg.sent_at = timezone.now()
            msg.last_error = ""
            msg.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    if failure is not None:
        raise failure
    return True


def pending_message_ids(limit: int = 500) -> list[int]:
    return list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
