from django.core.management.base import BaseCommand

from members import jsic_data
from members.models import FieldEligibility, JsicCode


class Command(BaseCommand):
    help = "Load the JSIC classification and the field eligibility list (missing rows only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace-eligibility",
            action="store_true",
            help="Replace staff edits of the field list with the shipped list.",
        )

    def handle(self, *args, **opts):
        codes, entries = jsic_data.load(
            JsicCode, FieldEligibility, replace_eligibility=opts["replace_eligibility"]
        )
        self.stdout.write(f"JSIC codes added: {codes}; field entries added: {entries}")
