"""Queue Celery tasks only after the transaction commits, and never fail a request because the broker is down."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> None:
    """Send task.delay(*args) after commit. Payloads carry ids only. A broker outage is logged, not raised:
    the work is in the database (outbox, due rows) and the periodic sweep picks it up."""

    def _send():
        try:
            task.delay(*args, **kwargs)
        except Exception:  # noqa: BLE001 - broker down; the sweep catches up
            log.warning("could not queue %s; the periodic sweep will pick it up", task.name)

    transaction.on_commit(_send)
