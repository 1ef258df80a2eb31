"""Thin task adapters: ids in, one service call."""

from celery import shared_task

from backoffice import services


@shared_task(acks_late=True)
def run_export(job_id: int):
    services.run_export(job_id)


@shared_task(acks_late=True)
def deliver_announcement(dispatch_id: int):
    services.deliver_dispatch(dispatch_id)


@shared_task(acks_late=True)
def purge_exports():
    return {"exports": services.purge_exports(), "imports": services.purge_import_files()}
