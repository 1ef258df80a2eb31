from django.core.management.base import BaseCommand

from roster import services


class Command(BaseCommand):
    help = (
        "Rebuild the roster tables from members data: create entries missing for activated memberships "
        "(e.g. bulk-loaded without signals), re-derive every public line. --full also re-derives listing "
        "periods and names of existing entries (public tokens are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true")
        parser.add_argument("--member-number", action="append", dest="member_numbers", default=None)
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, full=False, member_numbers=None, batch_size=500, **opts):
        counts = services.rebuild_roster(full=full, member_numbers=member_numbers, batch_size=batch_size)
        self.stdout.write(
            "memberships {memberships}, entries created {created}, re-derived {rederived}, "
            "entries whose lines changed {changed}, lines written {lines}".format(**counts)
        )
