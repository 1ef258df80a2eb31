"""The Celery beat schedule. Every entry is also a management command taking --date (catch-up by hand)."""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "send-outbox": {"task": "jaim.tasks.send_pending_mail", "schedule": 300.0},
    # --- lifecycle (issue 6): daily, Asia/Tokyo (CELERY_TIMEZONE). Each job selects what is due and not yet
    # done, so a missed day is caught up by the next run (or by hand: the command named in the comment).
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
}
