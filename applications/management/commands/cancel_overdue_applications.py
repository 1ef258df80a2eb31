"""Run the deadline job by hand: RETURNED applications past their correction deadline become CANCELLED."""

import datetime as dt

from django.core.management.base import BaseCommand

from applications import services


class Command(BaseCommand):
    help = "Cancel returned applications whose correction deadline has passed (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="reference date (default: today, Asia/Tokyo)"
        )

    def handle(self, *args, **opts):
        count = services.run_deadline_job(on=opts.get("date"))
        self.stdout.write(self.style.SUCCESS(f"cancelled: {count}"))
