"""Announcements (制度情報): written once, published to the public archive, sent to chosen audiences through the
outbox — one e-mail per announcement and address however often it is sent. And the free information service
(FAQ 3-4-5): a public sign-up with double opt-in, and an unsubscribe link in every mail it receives."""

import logging
from typing import TYPE_CHECKING

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice import selectors
from backoffice.models import Announcement, AnnouncementDispatch, Audience, InfoSubscriber
from jaim.dates import today
from jaim.errors import DomainError
from jaim.links import absolute_url
from jaim.mail import queue_mail
from jaim.queue import enqueue
from jaim.states import audit, move

if TYPE_CHECKING:
    from members.models import User

log = logging.getLogger(__name__)
SUBSCRIBE_SALT = "backoffice.subscribe"
UNSUBSCRIBE_SALT = "backoffice.unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600
BATCH = 500


# --- announcements ---------------------------------------------------------------------------------------------


def _locked(announcement) -> Announcement:
    return Announcement.objects.select_for_update().get(pk=announcement.pk)


@transaction.atomic
def publish_announcement(announcement: Announcement, *, by: "User | None") -> Announcement:
    """Publish: it appears in the archive (when public) and may be sent."""
    a = _locked(announcement)
    move(a, Announcement.Status.PUBLISHED, transitions=Announcement.TRANSITIONS, actor=by)
    a.published_at = a.published_at or timezone.now()
    a.full_clean()
    a.save(update_fields=["status", "published_at", "updated_at"])
    return a


@transaction.atomic
def withdraw_announcement(announcement: Announcement, *, by: "User | None") -> Announcement:
    """Take it off the archive (mails already sent stay sent)."""
    a = _locked(announcement)
    move(a, Announcement.Status.WITHDRAWN, transitions=Announcement.TRANSITIONS, actor=by)
    a.save(update_fields=["status", "updated_at"])
    return a


@transaction.atomic
def send_announcement(announcement: Announcement, *, audiences, by: "User | None") -> AnnouncementDispatch:
    """Queue the e-mails of a published announcement to the chosen audiences (written by a task after commit).
    Sending again, to the same or other audiences, never mails anyone twice."""
    a = _locked(announcement)
    audiences = [x for x in Audience.values if x in set(audiences or ())]
    if not audiences:
        raise DomainError(_("送信先を一つ以上選んでください。"), code="no_audience")
    if a.status != Announcement.Status.PUBLISHED:
        raise DomainError(
            _("公開中のお知らせだけを送信できます。先に公開してください。"), code="not_published"
        )
    dispatch = AnnouncementDispatch.objects.create(
        announcement=a, audiences=audiences, requested_by=by if getattr(by, "pk", None) else None
    )
    audit(a, "send_requested", actor=by, note=",".join(audiences))
    enqueue("backoffice.tasks.deliver_announcement", dispatch.pk)
    return dispatch


def _mail_context(a: Announcement, recipient) -> dict:
    ctx = {"announcement": a, "unsubscribe_url": "", "archive_url": ""}
    if a.is_public:
        ctx["archive_url"] = absolute_url("backoffice:announcement_detail", a.pk)
    if recipient.subscriber_id:
        ctx["unsubscribe_url"] = absolute_url(
            "backoffice:unsubscribe", unsubscribe_token(recipient.subscriber_id)
        )
    return ctx


def deliver_dispatch(dispatch_id: int) -> AnnouncementDispatch | None:
    """Write the outbox rows of one dispatch, in batches (each batch commits; the outbox sends after commit).
    Safe to run again after a failure: addresses already mailed are skipped by the dedupe key."""
    dispatch = AnnouncementDispatch.objects.select_related("announcement").filter(pk=dispatch_id).first()
    if dispatch is None or dispatch.status == AnnouncementDispatch.Status.DONE:
        return dispatch
    a = dispatch.announcement
    queued = skipped = 0
    try:
        people = selectors.recipients(dispatch.audiences)
        for start in range(0, len(people), BATCH):
            with transaction.atomic():
                for r in people[start : start + BATCH]:
                    msg = queue_mail(
                        to=r.email,
                        template="backoffice_announcement",
                        context=_mail_context(a, r),
                        kind="announcement",
                        dedupe_key=selectors.dedupe_key(a, r.email),
                    )
                    if msg is None:
                        skipped += 1
                    else:
                        queued += 1
    except Exception as exc:
        log.exception("announcement dispatch %s failed", dispatch_id)
        with transaction.atomic():
            d = AnnouncementDispatch.objects.select_for_update().get(pk=dispatch_id)
            if d.status != AnnouncementDispatch.Status.QUEUED:
                raise
            move(d, AnnouncementDispatch.Status.FAILED, transitions=AnnouncementDispatch.TRANSITIONS)
            d.error = f"{type(exc).__name__}"[:2000]
            d.counts = {"queued": queued, "already_sent": skipped}
            d.save(update_fields=["status", "error", "counts"])
        raise
    with transaction.atomic():
        d = AnnouncementDispatch.objects.select_for_update().get(pk=dispatch_id)
        if d.status == AnnouncementDispatch.Status.DONE:  # a second delivery of the task finished first
            return d
        move(d, AnnouncementDispatch.Status.DONE, transitions=AnnouncementDispatch.TRANSITIONS)
        d.counts = {"recipients": len(people), "queued": queued, "already_sent": skipped}
        d.finished_at = timezone.now()
        d.error = ""
        d.save(update_fields=["status", "counts", "finished_at", "error"])
    return d


@transaction.atomic
def retry_dispatch(dispatch: AnnouncementDispatch, *, by: "User | None") -> AnnouncementDispatch:
    d = AnnouncementDispatch.objects.select_for_update().get(pk=dispatch.pk)
    move(d, AnnouncementDispatch.Status.QUEUED, transitions=AnnouncementDispatch.TRANSITIONS, actor=by)
    d.save(update_fields=["status"])
    enqueue("backoffice.tasks.deliver_announcement", d.pk)
    return d


# --- the free information service (FAQ 3-4-5) -------------------------------------------------------------------


def subscription_token(subscriber: InfoSubscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email}, salt=SUBSCRIBE_SALT)


def unsubscribe_token(subscriber_id: int) -> str:
    """Never expires: an unsubscribe link in an old e-mail must still work."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber_id))


@transaction.atomic
def request_subscription(*, email: str, name: str = "", organisation_name: str = "") -> InfoSubscriber:
    """Sign up for the information e-mails (anyone, including former members). Nothing is sent to the address
    until its owner confirms with the link mailed to it; at most one confirmation mail per address and day, so
    the form cannot be used to flood someone's mailbox. An address already receiving them gets no mail."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("メールアドレスの形式が正しくありません。"), code="email") from exc
    sub, created = InfoSubscriber.objects.select_for_update().get_or_create(
        email=email,
        defaults={"name": name.strip()[:100], "organisation_name": organisation_name.strip()[:200]},
    )
    if created:
        audit(sub, "subscription_requested")
    elif sub.status == InfoSubscriber.Status.ACTIVE:
        return sub
    elif sub.status == InfoSubscriber.Status.UNSUBSCRIBED:
        move(sub, InfoSubscriber.Status.PENDING, transitions=InfoSubscriber.TRANSITIONS)
        sub.name, sub.organisation_name = name.strip()[:100], organisation_name.strip()[:200]
        sub.save(update_fields=["status", "name", "organisation_name"])
    url = absolute_url("backoffice:subscribe_confirm", subscription_token(sub))
    queue_mail(
        to=sub.email,
        template="backoffice_subscribe_confirm",
        context={"subscriber": sub, "url": url},
        kind="subscribe_confirm",
        dedupe_key=f"subscribe-confirm:{sub.pk}:{today().isoformat()}",
    )
    return sub


@transaction.atomic
def confirm_subscription(token: str) -> InfoSubscriber:
    """The owner of the address confirmed: from now on it receives the information e-mails. Safe to repeat."""
    try:
        data = signing.loads(token, salt=SUBSCRIBE_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError(
            _("確認リンクの有効期限が切れています。もう一度お申し込みください。"), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise DomainError(_("確認リンクが正しくありません。"), code="bad_token") from exc
    sub = InfoSubscriber.objects.select_for_update().filter(pk=data.get("s"), email=data.get("e")).first()
    if sub is None:
        raise DomainError(_("確認リンクが正しくありません。"), code="bad_token")
    if sub.status == InfoSubscriber.Status.UNSUBSCRIBED:
        raise DomainError(
            _("配信停止の手続きが済んでいます。再開する場合はもう一度お申し込みください。"),
            code="unsubscribed",
        )
    if sub.status == InfoSubscriber.Status.PENDING:
        move(sub, InfoSubscriber.Status.ACTIVE, transitions=InfoSubscriber.TRANSITIONS)
        sub.confirmed_at = timezone.now()
        sub.save(update_fields=["status", "confirmed_at"])
    return sub


def subscriber_from_unsubscribe_token(token: str) -> InfoSubscriber:
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise DomainError(_("配信停止のリンクが正しくありません。"), code="bad_token") from exc
    sub = InfoSubscriber.objects.filter(pk=pk).first()
    if sub is None:
        raise DomainError(_("配信停止のリンクが正しくありません。"), code="bad_token")
    return sub


@transaction.atomic
def unsubscribe(token: str) -> InfoSubscriber:
    """Stop the information e-mails to this address (from the link in any of them). Safe to repeat."""
    sub = subscriber_from_unsubscribe_token(token)
    sub = InfoSubscriber.objects.select_for_update().get(pk=sub.pk)
    if sub.status != InfoSubscriber.Status.UNSUBSCRIBED:
        move(sub, InfoSubscriber.Status.UNSUBSCRIBED, transitions=InfoSubscriber.TRANSITIONS)
        sub.unsubscribed_at = timezone.now()
        sub.save(update_fields=["status", "unsubscribed_at"])
    return sub


@transaction.atomic
def stop_subscription(subscriber: InfoSubscriber, *, by: "User | None") -> InfoSubscriber:
    """Staff stop the e-mails to an address (e.g. asked by telephone)."""
    sub = InfoSubscriber.objects.select_for_update().get(pk=subscriber.pk)
    if sub.status != InfoSubscriber.Status.UNSUBSCRIBED:
        move(sub, InfoSubscriber.Status.UNSUBSCRIBED, transitions=InfoSubscriber.TRANSITIONS, actor=by)
        sub.unsubscribed_at = timezone.now()
        sub.save(update_fields=["status", "unsubscribed_at"])
    return sub
