"""Run the deadline job by hand: RETURNED applications past their correction deadline become CANCELLED."""

from django.core.management.base import BaseCommand

from applications import services
from jaim.dates import JOB_DATE_HELP, job_date


class Command(BaseCommand):
    help = "Cancel returned applications whose correction deadline has passed (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=job_date, help=JOB_DATE_HELP)

    def handle(self, *args, **opts):
        count = services.run_deadline_job(on=opts.get("date"))
        self.stdout.write(self.style.SUCCESS(f"cancelled: {count}"))
