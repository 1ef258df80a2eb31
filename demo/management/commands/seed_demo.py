"""Demo data for `make run`: every feature visible in the first minute. Safe to run twice."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that has something to show adds a module to demo/ and its name here, in dependency order.
STEPS = [
    "demo.members",
    "demo.applications",
    "demo.fees",
    "demo.roster",
    "demo.lifecycle",
    "demo.mailtemplates",
    "demo.backoffice",
    "demo.timeline",
    "demo.finish",
]


class Command(BaseCommand):
    help = "Load the demo data set (idempotent) and print the logins."

    def handle(self, *args, **opts):
        ctx: dict = {}
        with transaction.atomic():
            for name in STEPS:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name == name:
                        continue
                    raise
                ctx.update(module.seed(**({"ctx": ctx} if name != "demo.members" else {})) or {})
        from demo.members import PASSWORD

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {PASSWORD}):"))
        for role, email in [
            ("head office (本社)", "owner@demo.jaim.example"),
            ("site staff (事業所のみ)", "site@demo.jaim.example"),
            ("support organisation (登録支援機関)", "support@demo.jaim.example"),
            ("another company", "other@demo.jaim.example"),
            ("roster companies (merger, relocation)", "roster-demo@demo.jaim.example"),
            ("reviewer (審査担当, admin)", "reviewer@demo.jaim.example"),
            ("finance (経理担当, admin)", "finance@demo.jaim.example"),
            ("administrator (管理者, admin)", "admin@demo.jaim.example"),
        ]:
            self.stdout.write(f"  {role:38} {email}")
