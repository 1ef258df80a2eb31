"""Thin Celery adapters: a reference date (ISO string, optional) in, one service call. acks_late: a task lost with
its worker is delivered again, and every job is safe to run twice (it selects what is due and not yet done)."""

import datetime as dt

from celery import shared_task

from lifecycle import services


def _day(on: str | None) -> dt.date | None:
    return dt.date.fromisoformat(on) if on else None


@shared_task(acks_late=True)
def run_renewal(on: str | None = None, chunk_size: int | None = None):
    """Daily in the renewal season: next year's invoices and the renewal confirmations (chunked)."""
    return services.run_renewal(on=_day(on), chunk_size=chunk_size or services.RENEWAL_CHUNK_SIZE)


@shared_task(acks_late=True)
def complete_withdrawals(on: str | None = None):
    """Daily: confirmed withdrawals whose day has come become WITHDRAWN."""
    return services.complete_withdrawals(on=_day(on))


@shared_task(acks_late=True)
def lapse_unpaid_memberships(on: str | None = None):
    """Daily: renewal fees unpaid after the grace period lapse the membership."""
    return services.lapse_unpaid_memberships(on=_day(on))


@shared_task(acks_late=True)
def flag_missing_wage_reports(on: str | None = None):
    """Daily: after the report deadline, missing wage-increase reports are flagged."""
    return services.flag_missing_wage_reports(on=_day(on))


@shared_task(acks_late=True)
def send_reminders(on: str | None = None):
    """Daily (morning): every reminder rule against every open matter."""
    return services.send_reminders(on=_day(on))
