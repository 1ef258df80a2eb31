"""Delete export files older than N days (the daily beat job, by hand)."""

from django.core.management.base import BaseCommand

from backoffice import services


class Command(BaseCommand):
    help = "一覧の出力ファイルのうち保存期間（既定7日）を過ぎたものを削除します。Delete old export files."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days, **options):
        n = services.purge_exports(older_than_days=days)
        self.stdout.write(f"deleted {n} export file(s) older than {days} days")
