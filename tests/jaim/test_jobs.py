"""jaim.jobs.job_run: the one record of a scheduled job's run, used by every dated job of the beat schedule."""

import datetime as dt
from importlib import import_module

import pytest
from django.conf import settings

from jaim.jobs import job_run
from jaim.models import JobRun

pytestmark = pytest.mark.django_db

# The sweeps retry what is pending every few minutes; they are not runs of a day (jaim/jobs.py).
SWEEPS = {"jaim.tasks.send_pending_mail", "fees.tasks.render_missing_documents"}


def test_a_run_records_its_counts_and_its_end():
    with job_run("test.job", dt.date(2026, 12, 2)) as counts:
        counts["mails"] += 3
    run = JobRun.objects.get(job="test.job")
    assert run.counts == {"mails": 3} and run.finished_at and run.error == ""
    assert run.reference_date == dt.date(2026, 12, 2)


def test_a_failing_run_records_the_error_and_what_was_done_and_raises():
    with pytest.raises(ZeroDivisionError), job_run("test.job", dt.date(2026, 12, 2)) as counts:
        counts["done"] = 2
        1 / 0  # noqa: B018
    run = JobRun.objects.get(job="test.job")
    assert run.counts == {"done": 2} and "ZeroDivisionError" in run.error and run.finished_at


def test_errors_noted_by_the_body_are_recorded_even_when_it_goes_on():
    with job_run("test.job", dt.date(2026, 12, 2)) as counts:
        counts["csv"] = 1
        counts.errors.append("pdf: フォントがありません")
    assert JobRun.objects.get(job="test.job").error == "pdf: フォントがありません"


def test_every_dated_job_of_the_beat_schedule_records_a_run():
    """Each scheduled task that is not a sweep, run once on an empty database, leaves a JobRun of its own."""
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - SWEEPS
    assert len(tasks) >= 7
    for name in sorted(tasks):
        before = JobRun.objects.count()
        module, func = name.rsplit(".", 1)
        getattr(import_module(module), func).apply().get()
        assert JobRun.objects.count() > before, f"{name} ran without a JobRun (use jaim.jobs.job_run)"
