"""Today's roster files follow a change within minutes (roster.exports.schedule_rebuild), on a real Celery worker
over Redis: a burst of changes queues one build, JAIM_ROSTER_EXPORT_DEBOUNCE seconds after the first; the files it
makes contain the new site and the page says when they were made."""

import csv
import io

import pytest
from celery import current_app
from django.core.cache import cache
from django.core.files.storage import default_storage

from jaim.models import JobRun
from roster import exports
from roster.models import RosterExport
from tests.lifecycle.test_worker import _purge, _wait_for, worker
from tests.roster.factories import listed

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def queue(settings, tmp_path):
    name = f"jaim-roster-debounce-{tmp_path.name[-12:]}"
    before = current_app.conf.task_default_queue, current_app.conf.task_always_eager
    current_app.conf.task_default_queue = name  # this process's enqueue_in sends to the test worker's queue
    current_app.conf.task_always_eager = False
    cache.delete(exports.DEBOUNCE_KEY)
    yield name
    current_app.conf.task_default_queue, current_app.conf.task_always_eager = before
    cache.delete(exports.DEBOUNCE_KEY)
    _purge(name)


def test_a_burst_of_roster_changes_rebuilds_todays_files_once_within_the_debounce(settings, queue, tmp_path):
    settings.JAIM_ROSTER_EXPORT_DEBOUNCE = 10  # the three changes below take well under 10 s
    log = tmp_path / "worker.log"
    with worker(queue, log):
        for i in range(3):  # three sites listed one after the other (each commits: three roster changes)
            listed(org_name=f"株式会社連続登録{i}", est_name=f"第{i}工場")
        _wait_for(
            lambda: (
                RosterExport.objects.filter(format="csv").exists()
                and JobRun.objects.filter(job=exports.JOB_NAME, finished_at__isnull=False).exists()
            ),
            timeout=90,
            what="the debounced roster build",
            log=log,
        )
    assert JobRun.objects.filter(job=exports.JOB_NAME).count() == 1  # one build for the burst
    latest = RosterExport.objects.filter(format="csv").latest("created_at")
    text = default_storage.open(latest.file_name, "rb").read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert all(any(f"株式会社連続登録{i}" in cell for row in rows for cell in row) for i in range(3))
    assert latest.entry_count == 3


def test_the_debounce_queues_once_per_window_and_is_off_at_zero(settings, queue):
    settings.JAIM_ROSTER_EXPORT_DEBOUNCE = 0
    assert exports.schedule_rebuild() is False
    settings.JAIM_ROSTER_EXPORT_DEBOUNCE = 60
    assert exports.schedule_rebuild() is True  # queued (to this test's own queue, purged afterwards)
    assert exports.schedule_rebuild() is False  # a second change within the minute finds it queued
