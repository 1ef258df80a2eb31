"""Background work on a real Celery worker over Redis: a large export is written into the private storage, and an
announcement's dispatch queues and sends its e-mails once each, even when the task is delivered twice."""

import uuid

import pytest

from backoffice.models import Announcement, AnnouncementDispatch, Audience, ExportJob, InfoSubscriber
from backoffice.tasks import deliver_announcement, run_export
from jaim.models import OutboxMessage
from tests.factories import OrganisationFactory, UserFactory
from tests.lifecycle.test_worker import _purge, _wait_for, worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def queue():
    name = f"jaim-backoffice-test-{uuid.uuid4().hex[:10]}"
    yield name
    _purge(name)


def test_a_real_worker_writes_a_large_export(queue, tmp_path):
    from django.core.files.storage import default_storage
    from openpyxl import load_workbook

    for _ in range(30):
        OrganisationFactory()
    staff = UserFactory(is_staff=True, is_superuser=True)
    job = ExportJob.objects.create(
        requested_by=staff,
        app_label="members",
        model_name="organisation",
        title="法人",
        query="",
        format="xlsx",
    )
    log = tmp_path / "worker.log"
    with worker(queue, log):
        run_export.apply_async(args=[job.pk], queue=queue)
        _wait_for(
            lambda: ExportJob.objects.get(pk=job.pk).status in ("DONE", "FAILED"),
            timeout=120,
            what="the export",
            log=log,
        )
    job.refresh_from_db()
    assert job.status == "DONE", job.error
    assert job.row_count == 30
    with default_storage.open(job.file, "rb") as fh:
        ws = load_workbook(fh).active
        assert ws.max_row == 31


def test_a_real_worker_sends_an_announcement_once_even_if_delivered_twice(queue, tmp_path):
    for i in range(5):
        InfoSubscriber.objects.create(
            email=f"reader{i}@example.jp", status="ACTIVE", confirmed_at="2026-01-01T00:00:00Z"
        )
    a = Announcement.objects.create(
        title="お知らせ", body="本文", status="PUBLISHED", published_at="2026-01-01T00:00:00Z"
    )
    dispatch = AnnouncementDispatch.objects.create(announcement=a, audiences=[Audience.SUBSCRIBERS])
    log = tmp_path / "worker.log"
    with worker(queue, log):
        deliver_announcement.apply_async(args=[dispatch.pk], queue=queue)
        deliver_announcement.apply_async(args=[dispatch.pk], queue=queue)  # e.g. redelivered after a restart
        mails = OutboxMessage.objects.filter(kind="announcement")
        _wait_for(lambda: mails.filter(status="SENT").count() == 5, timeout=120, what="the mails", log=log)
    dispatch.refresh_from_db()
    assert dispatch.status == "DONE" and dispatch.counts["queued"] == 5
    assert OutboxMessage.objects.filter(kind="announcement").count() == 5
