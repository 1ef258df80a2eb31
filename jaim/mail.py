"""E-mail goes through the outbox: a row per message in the caller's transaction, sent by a task after commit.

One message: `queue_mail`. Many (a batch job's chunk): `queue_mails`, the same rows in a constant number of
statements and one task after commit."""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone, translation

from jaim import bulk
from jaim.links import absolute_url
from jaim.mail_kinds import KIND_LABELS, kind_label  # noqa: F401 - the outbox's and the admin's names of the kinds
from jaim.models import OutboxAttempt, OutboxMessage
from jaim.queue import enqueue
from jaim.states import check_move

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """One message to queue: templates/mail/<template>.txt rendered with context (plus site_url)."""

    to: str
    template: str
    context: dict = field(hash=False)
    kind: str
    dedupe_key: str | None = None


def _render(template: str, context: dict, version=None, *, site_url: str | None = None) -> tuple[str, str]:
    """(subject, body) of a mail template: the first line is the subject. Rendered in Japanese. `version`: the
    administrators' wording of the kind (jaim.mailtemplates), rendered in the sandbox from plain values instead; the
    built-in text when that version cannot render this context (it was checked against the examples only).
    site_url: the site's base when the caller renders many (computed once)."""
    ctx = {"site_url": absolute_url() if site_url is None else site_url, **context}
    if version is not None:
        from jaim.errors import DomainError
        from jaim.mailtemplates import render_version

        try:
            return render_version(template, version, ctx)
        except DomainError:  # a version that cannot render this context: the built-in text goes out instead
            log.exception(
                "mail template %s version %s failed; sending the built-in text", template, version.pk
            )
    compiled = get_template(f"mail/{template}.txt")
    # A mail is plain text in Japanese: numbers are printed as they are (no locale formatting: 2027年度, and
    # grouping only where the template asks, |intcomma), which also spares the locale lookups per number.
    context_ = Context(ctx, autoescape=compiled.backend.engine.autoescape, use_l10n=False)  # type: ignore[attr-defined]
    with translation.override("ja"):
        text = compiled.template.render(context_).strip()  # type: ignore[attr-defined]
    subject, _, body = text.partition("\n")
    return subject.strip()[:255], body.strip() + "\n"


def _versions(mails: list[Mail]) -> dict:
    """The administrators' newest wording of each of these templates (one query; none for a kind not editable)."""
    from jaim.mailtemplates import active_versions, editable

    templates = {m.template for m in mails if editable(m.template)}
    return active_versions(templates) if templates else {}


def _row(mail: Mail, versions: dict, site_url: str | None = None) -> OutboxMessage:
    subject, body = _render(mail.template, mail.context, versions.get(mail.template), site_url=site_url)
    return OutboxMessage(dedupe_key=mail.dedupe_key, kind=mail.kind, to=mail.to, subject=subject, body=body)


def queue_mail(*, to: str, template: str, context: dict, kind: str, dedupe_key: str | None = None):
    """Write one outbox row from templates/mail/<template>.txt (first line = subject); send after commit.

    With a dedupe_key the message exists at most once (one reminder per subject, rule and reference date):
    a second call returns None and sends nothing.
    """
    mail = Mail(to=to, template=template, context=context, kind=kind, dedupe_key=dedupe_key)
    row = _row(mail, _versions([mail]))
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


def queue_text(*, to: str, subject: str, body: str, kind: str) -> OutboxMessage:
    """One outbox row of an already rendered text (the administrators' test send of a mail's wording)."""
    msg = OutboxMessage.objects.create(kind=kind, to=to, subject=subject[:255], body=body)
    enqueue("jaim.tasks.send_outbox_message", msg.pk)  # by path: jaim.tasks imports this module
    return msg


def queue_mails(mails: Iterable[Mail]) -> list[OutboxMessage]:
    """Write many outbox rows at once, exactly the rows queue_mail would write one by one, in order: a message
    whose dedupe_key exists already (or came earlier in the batch) is left out. A constant number of statements
    whatever the batch's size (the existing keys, one insert); one task sends the batch after commit. Returns
    the rows written."""
    mails = list(mails)
    keys = {m.dedupe_key for m in mails if m.dedupe_key}
    existing = (
        set(OutboxMessage.objects.filter(dedupe_key__any=keys).values_list("dedupe_key", flat=True))
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
    versions = _versions(kept)
    site_url = absolute_url()
    with translation.override("ja"):  # once for the batch (each mail's own override is then a no-op switch)
        rows = [_row(mail, versions, site_url) for mail in kept]
    try:
        with transaction.atomic():
            bulk.insert(rows)
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
# Seconds to wait after the n-th failed attempt before the next one (the sweep honours it; the task's own retries
# back off too). A permanent refusal (5xx) is not retried.
BACKOFF_SECONDS = (60, 300, 1800, 7200)
# A claim lasts this long: a sender that died mid-conversation leaves the row to the sweep after it. Longer than
# one SMTP conversation can take (a few commands of EMAIL_TIMEOUT, 30 s, each; the sending task's hard limit is
# 60 s), short enough that a mail whose worker was killed goes out a few minutes later.
CLAIM_SECONDS = 180


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
        check_move(msg, OutboxMessage.Status.SENDING, transitions=OutboxMessage.TRANSITIONS)
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
            check_move(msg, OutboxMessage.Status.SENT, transitions=OutboxMessage.TRANSITIONS)
            OutboxMessage.objects.filter(pk=msg.pk).update(
                status=OutboxMessage.Status.SENT, sent_at=finished, last_error="", claimed_until=None,
                next_attempt_at=None,
            )  # fmt: skip
        else:
            give_up = _permanent(failure) or msg.attempts >= MAX_ATTEMPTS
            wait = BACKOFF_SECONDS[min(msg.attempts, len(BACKOFF_SECONDS)) - 1]
            to = OutboxMessage.Status.FAILED if give_up else OutboxMessage.Status.PENDING
            check_move(msg, to, transitions=OutboxMessage.TRANSITIONS)
            OutboxMessage.objects.filter(pk=msg.pk).update(
                status=to,
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
