"""Thin task adapters: ids in, one service call."""

from celery import shared_task

from backoffice import services
from jaim.dates import today
from jaim.jobs import job_run


@shared_task(acks_late=True)
def run_export(job_id: int):
    services.run_export(job_id)


@shared_task(acks_late=True)
def deliver_announcement(dispatch_id: int):
    services.deliver_dispatch(dispatch_id)


@shared_task(acks_late=True)
def purge_exports():
    with job_run("backoffice.purge_exports", today()) as counts:
        counts["exports"] = services.purge_exports()
        counts["imports"] = services.purge_import_files()
    return dict(counts)
