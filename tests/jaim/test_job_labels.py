"""Issue 18: the job runs' list shows each job and what it counted in Japanese (never 「lifecycle.renewal」 or
{"invoices_issued": 3}); the labels cover every job of the beat schedule and every count it writes."""

import datetime as dt
from importlib import import_module

import pytest
from django.conf import settings
from django.urls import reverse

from jaim.job_labels import COUNT_LABELS, JOB_LABELS, VALUE_SENTENCES, counts_text, job_label
from jaim.jobs import job_run
from jaim.models import JobRun
from lifecycle.models import ReminderRule
from tests.jaim.test_jobs import SWEEPS

pytestmark = pytest.mark.django_db


def test_counts_read_as_a_sentence():
    assert counts_text({"renewed": 3, "invoices_issued": 1200}) == "発行した請求書 1,200件、継続 3件"
    assert counts_text({"season_missing": 2027}) == "2027年度の更新日程が未登録"
    assert counts_text({"something_new": 4}) == "その他 4件"
    assert counts_text({}) == "—"
    assert job_label("lifecycle.renewal") == "年度更新（継続の請求書と案内）"


def test_every_reminder_kind_has_a_label():
    """The reminders job counts per kind (its lower-case value)."""
    assert {k.lower() for k in ReminderRule.Kind.values} - set(COUNT_LABELS) == set()


def test_every_scheduled_job_and_every_count_it_writes_is_labelled(time_machine):
    time_machine.move_to(dt.datetime(2027, 2, 1, 6, tzinfo=dt.timezone(dt.timedelta(hours=9))), tick=False)
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - SWEEPS
    for name in sorted(tasks):
        module, func = name.rsplit(".", 1)
        getattr(import_module(module), func).apply().get()
    runs = list(JobRun.objects.all())
    assert runs
    for run in runs:
        assert run.job in JOB_LABELS, run.job
        for key in run.counts:
            assert key in COUNT_LABELS or key in VALUE_SENTENCES, (run.job, key)


def test_the_job_runs_list_shows_names_and_counts_in_japanese(staff_client):
    with job_run("lifecycle.renewal", dt.date(2027, 2, 1)) as counts:
        counts["invoices_issued"] = 3
        counts["mails"] = 6
    html = staff_client.get(reverse("admin:jaim_jobrun_changelist")).content.decode()
    assert "年度更新（継続の請求書と案内）" in html and "発行した請求書 3件、メール 6件" in html
    assert "lifecycle.renewal</" not in html and "invoices_issued" not in html
    run = JobRun.objects.get()
    html = staff_client.get(reverse("admin:jaim_jobrun_change", args=[run.pk])).content.decode()
    assert "発行した請求書 3件" in html and "invoices_issued" not in html
