"""Thin task adapters: ids in, one service call."""

from celery import shared_task


@shared_task(acks_late=True)
def run_export(job_id: int):
    from backoffice import services

    services.run_export(job_id)


@shared_task(acks_late=True)
def deliver_announcement(dispatch_id: int):
    from backoffice import services

    services.deliver_dispatch(dispatch_id)


@shared_task(acks_late=True)
def purge_exports():
    from backoffice import services

    return {"exports": services.purge_exports(), "imports": services.purge_import_files()}
