"""Celery: Redis in production and CI. The whole beat schedule.

Without Redis (`make run` on a laptop) the broker is kombu's built-in `filesystem://` transport: a real worker with
beat runs every scheduled job, the messages are files under JAIM_CELERY_FS_DIR. With no broker at all (unit tests,
a one-off command) tasks run eagerly in-process and nothing is scheduled.

Every scheduled job is also a management command taking --date (catch-up by hand)."""

from pathlib import Path

from celery.schedules import crontab
from kombu import Exchange, Queue

from .core import BASE_DIR, TIME_ZONE, env

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="jaim")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers keep the project's LOGGING (and its redaction)

# --- time limits, queues and the visibility timeout -------------------------------------------------------
# With acks_late a task whose worker died stays unacknowledged in Redis and is handed out again once the visibility
# timeout has passed: it must exceed the longest task the worker runs (or a task still running is handed to a
# second worker), but the shorter it is the sooner a lost task runs again. So every task has a hard time limit
# (soft first: the task can stop cleanly), the long batch jobs have their own queue, and a worker's visibility
# timeout is 2.5 times the longest hard limit of the queues it consumes.
#   - a worker of both queues (no -Q: `make run`, a small deployment): the long queue's figure (50 min);
#   - a worker of the default queue only (`-Q jaim`): mail, one PDF, the sweeps: 5 min;
#   - a worker of the long queue only (`-Q jaim.long`): the batch jobs, 50 min; its unacknowledged messages are kept
#     under keys of their own, so a default worker's shorter timeout never hands out a batch job still running.
# The worker picks its figure from the queues it really consumes (jaim.celery, at start-up): nothing to configure.
# Every task is also recoverable without the broker's redelivery: mail by the outbox sweep (every 20 s), PDFs by
# the missing-PDF sweep, the daily jobs by their next run (each selects what is due and not yet done).
# Task name -> (soft, hard) seconds; "default" for the rest, "long" for the rest of the long queue.
JAIM_TASK_TIME_LIMIT: dict[str, tuple[int, int]] = {
    "default": (100, 120),
    "jaim.tasks.send_outbox_message": (45, 60),  # one SMTP conversation (EMAIL_TIMEOUT 30 s)
    # Long queue: the batch jobs (100,000 memberships renew in ~10 min; the full roster PDF takes ~12 min).
    "long": (1080, 1200),
}
JAIM_LONG_TASKS = (
    "lifecycle.tasks.run_renewal",
    "lifecycle.tasks.complete_withdrawals",
    "lifecycle.tasks.lapse_unpaid_memberships",
    "lifecycle.tasks.flag_missing_wage_reports",
    "lifecycle.tasks.send_reminders",
    "applications.tasks.cancel_overdue_returned_applications",
    "roster.tasks.build_roster_exports",
    "fees.tasks.render_invoice_documents",  # a renewal chunk: up to 1,000 invoices, two PDFs each
    "fees.tasks.send_invoice_mails",
    "fees.tasks.render_missing_documents",
    "jaim.tasks.send_outbox_messages",  # a batch job's chunk of mails (the outbox sweep also sends them)
    "backoffice.tasks.run_export",
    "backoffice.tasks.deliver_announcement",
    "backoffice.tasks.purge_exports",
)
CELERY_TASK_LONG_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.long"


def route_long_tasks(name, args, kwargs, options, task=None, **kw):
    """The batch jobs to the long queue: `<default queue>.long`, after the default queue the app uses now."""
    if name in JAIM_LONG_TASKS:
        default = task.app.conf.task_default_queue if task is not None else CELERY_TASK_DEFAULT_QUEUE
        return {"queue": f"{default}.long"}
    return None


CELERY_TASK_ROUTES = (route_long_tasks,)
# A worker started without -Q consumes both.
# Each queue with an exchange and routing key of its own: a queue without them would be bound to the default
# queue's, and every task published there would land in both.
CELERY_TASK_QUEUES = tuple(
    Queue(q, Exchange(q), routing_key=q) for q in (CELERY_TASK_DEFAULT_QUEUE, CELERY_TASK_LONG_QUEUE)
)


def task_time_limit(name: str) -> tuple[int, int]:
    """(soft, hard) seconds of a task: its own entry, else the long queue's or the default."""
    fallback = "long" if name in JAIM_LONG_TASKS else "default"
    return JAIM_TASK_TIME_LIMIT.get(name, JAIM_TASK_TIME_LIMIT[fallback])


CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT = JAIM_TASK_TIME_LIMIT["default"]
CELERY_TASK_ANNOTATIONS = {
    name: {"soft_time_limit": task_time_limit(name)[0], "time_limit": task_time_limit(name)[1]}
    for name in {*JAIM_LONG_TASKS, *JAIM_TASK_TIME_LIMIT} - {"default", "long"}
}
VISIBILITY_FACTOR = 2.5


def visibility_timeout(worker: str) -> int:
    """Seconds before an unacknowledged task is handed out again, for a worker of this kind (see above): 2.5 times
    the longest hard limit of what it runs."""
    default = [
        task_time_limit(n)[1] for n in JAIM_TASK_TIME_LIMIT if n != "long" and n not in JAIM_LONG_TASKS
    ]
    long = [task_time_limit(n)[1] for n in JAIM_LONG_TASKS]
    longest = {"default": max(default), "long": max(long)}.get(worker, max(default + long))
    return int(VISIBILITY_FACTOR * longest)


def worker_transport_options(queues) -> dict:
    """The broker's transport options for a worker consuming `queues` (names): its visibility timeout, and for a
    worker of the long queue alone, unacknowledged-message keys of its own."""
    queues = set(queues)
    kind = "all"
    if queues and CELERY_TASK_LONG_QUEUE not in queues:
        kind = "default"
    elif queues == {CELERY_TASK_LONG_QUEUE}:
        kind = "long"
    options = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "visibility_timeout": visibility_timeout(kind),
        # Unacknowledged messages are looked at every 10 s (kombu scans every 10th call by default: ~100 s late).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    if kind == "long":
        options |= {
            "unacked_key": "unacked_long",
            "unacked_index_key": "unacked_index_long",
            "unacked_mutex_key": "unacked_mutex_long",
        }
    return options


# Reliability: with Redis down a request must not hang on the broker. A publish gives up quickly; the work is
# already in the database (outbox rows, due rows) and the periodic sweep sends it later. A worker replaces these
# with worker_transport_options() of its queues when it starts.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": visibility_timeout("all"),
    "socket_connect_timeout": 2,
    "socket_timeout": 10,  # a broker gone without closing the connection: a publish fails instead of hanging
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _fs = Path(env("JAIM_CELERY_FS_DIR", default=str(BASE_DIR / ".celery")))
    for _sub in ("queue", "control"):
        (_fs / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_fs / "queue"),
        "data_folder_out": str(_fs / "queue"),  # one machine: producers and the worker share the folder
        "control_folder": str(_fs / "control"),
    }
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

CELERY_BEAT_SCHEDULE: dict = {
    # Mail: the outbox sweep sends what was not sent right away (broker down, temporary SMTP failure).
    "send-outbox": {
        "task": "jaim.tasks.send_pending_mail",
        # Every 20 s: mail queued while the broker was down goes out within a minute of its return.
        "schedule": env.float("JAIM_OUTBOX_SWEEP_SECONDS", default=20.0),
        "options": {"expires": 20.0},  # a sweep the worker could not run in time is dropped, not piled up
    },
    # --- lifecycle: daily, Asia/Tokyo (CELERY_TIMEZONE). Each job selects what is due and not yet done, so a
    # missed day is caught up by the next run (or by hand: the command named in the comment).
    # Withdrawals and lapses of the day first, renewal after, reminders in the morning.
    "lifecycle-withdrawals": {  # manage.py complete_withdrawals --date
        "task": "lifecycle.tasks.complete_withdrawals",
        "schedule": crontab(hour=0, minute=5),
    },
    "lifecycle-lapse": {  # manage.py lapse_unpaid_memberships --date
        "task": "lifecycle.tasks.lapse_unpaid_memberships",
        "schedule": crontab(hour=0, minute=15),
    },
    "applications-returned-deadline": {  # manage.py cancel_overdue_applications --date (applications' job)
        "task": "applications.tasks.cancel_overdue_returned_applications",
        "schedule": crontab(hour=0, minute=25),
    },
    "lifecycle-wage-reports": {  # manage.py flag_missing_wage_reports --date
        "task": "lifecycle.tasks.flag_missing_wage_reports",
        "schedule": crontab(hour=0, minute=35),
    },
    "lifecycle-renewal": {  # manage.py renew_memberships --date
        "task": "lifecycle.tasks.run_renewal",
        "schedule": crontab(hour=1, minute=0),
    },
    "lifecycle-reminders": {  # manage.py send_lifecycle_reminders --date
        "task": "lifecycle.tasks.send_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    # --- fees: PDFs not rendered yet (e.g. queued while the broker was down) are rendered by this sweep.
    "fees-render-missing-pdfs": {"task": "fees.tasks.render_missing_documents", "schedule": 900.0},
    # --- roster exports: checked every 30 minutes, rebuilt when today's files are missing or the roster changed.
    "roster-exports": {"task": "roster.tasks.build_roster_exports", "schedule": 1800.0},
    # --- backoffice: export files older than their keeping period are deleted (the record of the export stays).
    "backoffice-purge-exports": {"task": "backoffice.tasks.purge_exports", "schedule": 86400.0},
}
