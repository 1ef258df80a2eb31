"""Delete export files and uploaded import files older than N days (the daily beat job, by hand)."""

from django.core.management.base import BaseCommand

from backoffice import services


class Command(BaseCommand):
    help = "保存期間（既定7日）を過ぎた出力ファイルと取込ファイルを削除します。Delete old export and import files."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days, **options):
        n = services.purge_exports(older_than_days=days)
        m = services.purge_import_files(older_than_days=days)
        self.stdout.write(
            f"deleted {n} export file(s) and {m} uploaded import file(s) older than {days} days"
        )
