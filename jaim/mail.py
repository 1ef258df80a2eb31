"""E-mail goes through the outbox: a row per message in the caller's transaction, sent by a task after commit.

One message: `queue_mail`. Many (a batch job's chunk): `queue_mails`, the same rows in a constant number of
statements and one task after commit."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import get_template
from django.utils import timezone, translation

from jaim.models import OutboxMessage
from jaim.queue import enqueue


@dataclass(frozen=True)
class Mail:
    """One message to queue: templates/mail/<template>.txt rendered with context (plus site_url)."""

    to: str
    template: str
    context: dict = field(hash=False)
    kind: str
    dedupe_key: str | None = None


def _render(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) of a mail template: the first line is the subject. Rendered in Japanese."""
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override("ja"):
        text = get_template(f"mail/{template}.txt").render(ctx).strip()
    subject, _, body = text.partition("\n")
    return subject.strip()[:255], body.strip() + "\n"


def _row(mail: Mail) -> OutboxMessage:
    subject, body = _render(mail.template, mail.context)
    return OutboxMessage(dedupe_key=mail.dedupe_key, kind=mail.kind, to=mail.to, subject=subject, body=body)


def queue_mail(*, to: str, template: str, context: dict, kind: str, dedupe_key: str | None = None):
    """Write one outbox row from templates/mail/<template>.txt (first line = subject); send after commit.

    With a dedupe_key the message exists at most once (one reminder per subject, rule and reference date):
    a second call returns None and sends nothing.
    """
    row = _row(Mail(to=to, template=template, context=context, kind=kind, dedupe_key=dedupe_key))
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            msg = row
    except IntegrityError:
        if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    enqueue("jaim.tasks.send_outbox_message", msg.pk)  # by path: jaim.tasks imports this module
    return msg


BULK_BATCH = 2000  # rows per INSERT: well under PostgreSQL's 65,535 parameters per statement


def queue_mails(mails: Iterable[Mail]) -> list[OutboxMessage]:
    """Write many outbox rows at once, exactly the rows queue_mail would write one by one, in order: a message
    whose dedupe_key exists already (or came earlier in the batch) is left out. A constant number of statements
    whatever the batch's size (the existing keys, one insert); one task sends the batch after commit. Returns
    the rows written."""
    mails = list(mails)
    keys = {m.dedupe_key for m in mails if m.dedupe_key}
    existing = (
        set(OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        if keys
        else set()
    )
    kept = []
    for mail in mails:
        if mail.dedupe_key:
            if mail.dedupe_key in existing:
                continue
            existing.add(mail.dedupe_key)  # a second message with the same key in the batch is left out too
        kept.append(mail)
    if not kept:
        return []
    rows = [_row(mail) for mail in kept]
    try:
        with transaction.atomic():
            OutboxMessage.objects.bulk_create(rows, batch_size=BULK_BATCH)
    except IntegrityError:
        # A key written concurrently since it was looked up: one message at a time instead (each one skips a key
        # that exists), so the batch never fails for a message that is already in the outbox.
        made = [queue_mail(to=m.to, template=m.template, context=m.context, kind=m.kind, dedupe_key=m.dedupe_key)
                for m in kept]  # fmt: skip
        return [m for m in made if m is not None]
    # By path: jaim.tasks imports this module.
    enqueue("jaim.tasks.send_outbox_messages", [r.pk for r in rows])
    return rows


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
