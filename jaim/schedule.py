"""The Celery beat schedule. Every entry is also a management command taking --date (catch-up by hand)."""

BEAT_SCHEDULE: dict = {
    "send-outbox": {"task": "jaim.tasks.send_pending_mail", "schedule": 300.0},
}
