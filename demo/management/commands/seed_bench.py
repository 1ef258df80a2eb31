"""manage.py seed_bench --n 100000: the benchmark's data set, in bulk (see bench.seeding)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "Seed (top up to) N fictitious establishments in bulk for the benchmark: companies, sites, members in "
        "every status with history, invoices and payments, applications in every state; then rebuild the roster. "
        "Writes only into a database whose name contains 'bench' (or with --any-database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=100_000, help="establishments wanted in total")
        parser.add_argument("--seed", type=int, default=20251226, help="random seed (same seed, same data)")
        parser.add_argument("--no-rebuild", action="store_true", help="skip the roster rebuild")
        parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
        parser.add_argument(
            "--json", action="store_true", help="print the statistics as JSON on the last line"
        )

    def handle(self, *args, n, seed, no_rebuild, any_database, json, **opts):
        from bench.seeding import seed as seed_data

        name = str(connection.settings_dict["NAME"])
        if not any_database and "bench" not in name:
            raise CommandError(
                f"seed_bench writes tens of thousands of fictitious members; the database '{name}' is not named "
                "*bench*. Point DATABASE_URL at a benchmark database (e.g. …/jaim_bench) or pass --any-database."
            )
        if n < 1:
            raise CommandError("--n must be at least 1")
        stats = seed_data(n, seed_value=seed, log=self.stdout.write, rebuild=not no_rebuild)
        if json:
            import json as json_module

            self.stdout.write(json_module.dumps(stats, default=str))
