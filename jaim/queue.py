"""Queue Celery tasks only after the transaction commits, and never fail a request because the broker is down."""

import logging

from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> None:
    """Send task.delay(*args) after commit. Payloads carry ids only. A broker outage is logged, not raised:
    the work is in the database (outbox, due rows) and the periodic sweep picks it up.

    `task` is a task or its dotted path ("fees.tasks.render_document"): services name the tasks of their own app
    (whose module imports the services) instead of importing them, so there is no import cycle. The path is
    imported here, at call time: a wrong one raises at once, not after commit."""
    if isinstance(task, str):
        task = import_string(task)

    def _send():
        try:
            task.delay(*args, **kwargs)
        except Exception:  # noqa: BLE001 - broker down; the sweep catches up
            log.warning("could not queue %s; the periodic sweep will pick it up", task.name)

    transaction.on_commit(_send)


def enqueue_in(seconds: float, task, *args, **kwargs) -> None:
    """As enqueue, run no earlier than `seconds` after commit (Celery's countdown: the worker holds it until then;
    a Redis broker's visibility timeout must exceed it, see jaim/settings/celery.py)."""
    if isinstance(task, str):
        task = import_string(task)

    def _send():
        try:
            task.apply_async(args=args, kwargs=kwargs, countdown=seconds)
        except Exception:  # noqa: BLE001 - broker down; the periodic run catches up
            log.warning("could not queue %s; the periodic run will pick it up", task.name)

    transaction.on_commit(_send)
