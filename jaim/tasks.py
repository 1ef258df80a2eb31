import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from jaim import mail

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=5,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
)
def send_outbox_message(self, message_id: int):
    """Send one outbox message (ids only in the payload: no personal data in the broker)."""
    mail.deliver(message_id)


@shared_task(acks_late=True)
def send_pending_mail():
    """Sweep (every 20 s): send whatever is still pending (queued while the broker was down, a sender that died,
    a retry that is due). At its soft time limit it stops; the next sweep goes on with the rest."""
    sent = 0
    for pk in mail.pending_message_ids():
        try:
            sent += bool(mail.deliver(pk))
        except SoftTimeLimitExceeded:
            log.warning(
                "outbox sweep stopped at its time limit after %s messages; the next sweep goes on", sent
            )
            break
        except Exception:  # noqa: BLE001 - recorded on the row; the next sweep retries
            log.warning("outbox message %s failed", pk)
    return sent


@shared_task(acks_late=True)
def send_outbox_messages(message_ids: list[int]):
    """Send a batch of outbox messages (a batch job's chunk: one task, not one per message). A message that
    fails is handed to send_outbox_message, which retries it alone with backoff; the rest go on."""
    sent = 0
    for pk in message_ids:
        try:
            sent += bool(mail.deliver(pk))
        except SoftTimeLimitExceeded:
            break  # the rest is pending in the outbox: the sweep sends it
        except Exception:  # noqa: BLE001 - recorded on the row; retried alone below
            log.warning("outbox message %s failed; retrying it alone", pk)
            send_outbox_message.apply_async((pk,), countdown=30)
    return sent
