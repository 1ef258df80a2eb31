"""Export jobs: every export is recorded (who exported which list with which filters, how many rows). Small lists
download at once; large ones are written by a task into the private storage and downloaded when ready."""

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice import exports
from backoffice.models import ExportJob
from jaim.errors import DomainError
from jaim.queue import enqueue
from jaim.states import audit, move

if TYPE_CHECKING:
    from members.models import User

log = logging.getLogger(__name__)


def sync_limit() -> int:
    """Lists up to this many rows download at once; longer ones are written in the background."""
    return getattr(settings, "BACKOFFICE_EXPORT_SYNC_LIMIT", 1000)


def model_admin_for(app_label: str, model_name: str, *, site=None):
    site = site or admin.site
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    return site._registry.get(model)


@transaction.atomic
def record_direct_export(*, by: "User", model_admin, query: str, fmt: str, row_count: int) -> ExportJob:
    """A small list downloaded at once: recorded like a background one (who, which list, which filters)."""
    opts = model_admin.model._meta
    job = ExportJob.objects.create(
        requested_by=by,
        app_label=opts.app_label,
        model_name=opts.model_name,
        title=str(opts.verbose_name_plural)[:200],
        query=query[:2000],
        format=fmt,
        status=ExportJob.Status.DONE,
        direct=True,
        row_count=row_count,
        download_name=exports.download_name(opts, fmt),
        finished_at=timezone.now(),
    )
    audit(job, "exported", actor=by, note=f"{opts.label} ?{query} rows={row_count}")
    return job


@transaction.atomic
def request_export(*, by: "User", model_admin, query: str, fmt: str) -> ExportJob:
    """A large list: a job the worker writes after commit."""
    if fmt not in ExportJob.Format.values:
        raise DomainError(_("未対応の形式です。"), code="format")
    opts = model_admin.model._meta
    job = ExportJob.objects.create(
        requested_by=by,
        app_label=opts.app_label,
        model_name=opts.model_name,
        title=str(opts.verbose_name_plural)[:200],
        query=query[:2000],
        format=fmt,
        download_name=exports.download_name(opts, fmt),
    )
    audit(job, "export_requested", actor=by, note=f"{opts.label} ?{query}")
    enqueue("backoffice.tasks.run_export", job.pk)
    return job


def _move(job_id: int, to: str, **fields) -> ExportJob:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return job  # another delivery of the task finished it first
        move(job, to, transitions=ExportJob.TRANSITIONS)
        for k, v in fields.items():
            setattr(job, k, v)
        job.save()
    return job


def run_export(job_id: int) -> ExportJob | None:
    """Write a requested export (called by the task; safe to run twice: a finished job is left alone, a job whose
    worker died is written again)."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return job
    if job.status == ExportJob.Status.PENDING:
        job = _move(job.pk, ExportJob.Status.RUNNING)
    try:
        model_admin = model_admin_for(job.app_label, job.model_name)
        if model_admin is None:
            raise DomainError(_("この一覧は出力できません。"), code="unknown_list")
        opts = model_admin.model._meta
        request = exports.build_request(
            job.requested_by, job.query, reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        )
        if not (
            job.requested_by.is_active and job.requested_by.is_staff
        ) or not model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        cl = exports.changelist(model_admin, request)
        data, count = exports.render(cl, job.format, title=str(opts.verbose_name_plural))
        name = default_storage.save(
            f"backoffice/exports/{timezone.now():%Y/%m}/{job.pk}.{job.format}", ContentFile(data)
        )
    except (DomainError, PermissionDenied, IncorrectLookupParameters) as exc:
        message = getattr(exc, "message", "") or _(
            "この一覧を出力する権限がないか、絞り込み条件が正しくありません。"
        )
        return _move(job.pk, ExportJob.Status.FAILED, error=str(message), finished_at=timezone.now())
    except Exception as exc:
        log.exception("export %s failed", job.pk)
        _move(job.pk, ExportJob.Status.FAILED, error=type(exc).__name__, finished_at=timezone.now())
        raise
    return _move(job.pk, ExportJob.Status.DONE, file=name, row_count=count, finished_at=timezone.now())


def exports_for(user):
    return ExportJob.objects.filter(requested_by=user).order_by("-created_at", "-id")


def purge_exports(*, older_than_days: int = 7, now=None) -> int:
    """Delete export files older than the given days (lists of personal data are not kept); the record of who
    exported what stays."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    removed = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).exclude(file=""):
        default_storage.delete(job.file)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return removed
