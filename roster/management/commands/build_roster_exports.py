from django.core.management.base import BaseCommand

from jaim.dates import JOB_DATE_HELP, job_date
from roster import services


class Command(BaseCommand):
    help = (
        "Write CSV, Excel and PDF of the roster as of a day (default today) to storage, when due or --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=job_date, help=JOB_DATE_HELP)
        parser.add_argument("--force", action="store_true", help="build even if today's files are up to date")
        parser.add_argument("--format", action="append", dest="formats", choices=["csv", "xlsx", "pdf"])

    def handle(self, *args, date=None, force=False, formats=None, **opts):
        made = services.build_exports(on=date, force=force, formats=formats)
        if not made:
            self.stdout.write("Exports are up to date; nothing to do (use --force to rebuild).")
        for export in made:
            self.stdout.write(
                f"{export.format}: {export.entry_count} entries, {export.size_bytes} bytes -> {export.file_name}"
            )
