"""One management command per lifecycle job: `--date` runs it as of that day (catch-up by hand). Every job is
safe to run twice; the run is recorded like the scheduled ones (JobRun, visible in the admin)."""

import json

from django.core.management.base import BaseCommand, CommandError

from jaim.dates import JOB_DATE_HELP, job_date
from jaim.errors import DomainError


class JobCommand(BaseCommand):
    job = ""  # lifecycle.services.JOBS key

    def add_arguments(self, parser):
        parser.add_argument("--date", type=job_date, help=JOB_DATE_HELP)

    def handle(self, *args, **opts):
        from lifecycle.services import JOBS

        try:
            counts = JOBS[self.job](on=opts.get("date"))
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"{self.job}: {json.dumps(counts, ensure_ascii=False, sort_keys=True)}")
        )
