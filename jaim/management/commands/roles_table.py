"""Render the role matrix (jaim.roles) as Markdown: `manage.py roles_table --write docs/roles.md`."""

from pathlib import Path

from django.core.management.base import BaseCommand

from jaim.roles import table_markdown


class Command(BaseCommand):
    help = "Prints the staff role matrix as Markdown, or writes it to a file (--write docs/roles.md)."

    def add_arguments(self, parser):
        parser.add_argument("--write", metavar="PATH", help="write the table to PATH instead of printing it")

    def handle(self, *args, write=None, **options):
        text = table_markdown()
        if write:
            Path(write).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {write}")
        else:
            self.stdout.write(text)
