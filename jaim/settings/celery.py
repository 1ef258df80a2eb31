"""Celery: Redis in production and CI. The whole beat schedule.

Without Redis (`make run` on a laptop) the broker is kombu's built-in `filesystem://` transport: a real worker with
beat runs every scheduled job, the messages are files under JAIM_CELERY_FS_DIR. With no broker at all (unit tests,
a one-off command) tasks run eagerly in-process and nothing is scheduled.

Every scheduled job is also a management command taking --date (catch-up by hand)."""

from pathlib import Path

from celery.schedules import crontab

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

# Reliability: with Redis down a request must not hang on the broker. A publish gives up quickly; the work is
# already in the database (outbox rows, due rows) and the periodic sweep sends it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
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
        "schedule": env.float("JAIM_OUTBOX_SWEEP_SECONDS", default=300.0),
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
