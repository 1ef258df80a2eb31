"""Link council records (R17) whose organisation or establishment has been registered since they were imported."""

from django.core.management.base import BaseCommand

from backoffice import services
from backoffice.models import CouncilRecord


class Command(BaseCommand):
    help = "未照合の協議会データを、その後登録された法人・事業所と照合します。Link unlinked council records."

    def handle(self, *args, **options):
        records = CouncilRecord.objects.filter(establishment__isnull=True).exclude(corporate_number="")
        n = services.relink_council_records(list(records))
        self.stdout.write(f"linked {n} council record(s)")
