"""Thin task adapters: ids in, one service call."""

from celery import shared_task

from applications import services


@shared_task(acks_late=True)
def cancel_overdue_returned_applications():
    """Daily: RETURNED applications past their correction deadline become CANCELLED (safe to run twice)."""
    return services.run_deadline_job()
