from celery import shared_task

from roster import services


@shared_task(acks_late=True)
def build_roster_exports():
    """Scheduled: CSV/Excel/PDF of today's roster into storage when due (missing today, or roster changed)."""
    made = services.build_exports()
    return len(made)
