"""Templates ask, they do not decide: no template compares a status, kind, source or method with a code
(`{% if app.status == "RETURNED" %}`); they ask the object (`app.is_returned`, jaim.states.choice_flags) or a flag
the selector or panel hands them (`panel.can_withdraw`). A misspelt code fails silently; a misspelt flag is
empty either way, but the decision itself lives in Python, where it is tested."""

import re
from pathlib import Path

from django.conf import settings

from applications.models import Application
from fees.models import Invoice

ROOT = Path(settings.BASE_DIR)
COMPARISON = re.compile(r"""[\w.]+\.(status|kind|source|method|state)\s*(==|!=)\s*['"]""")


def _templates():
    for path in ROOT.rglob("*"):
        if path.suffix in (".html", ".txt") and "templates" in path.parts and ".venv" not in path.parts:
            yield path


def test_no_template_compares_a_code():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _templates()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPARISON.search(line)
    ]
    assert offenders == []


def test_choice_flags_answer_for_their_field():
    app = Application(status=Application.Status.RETURNED, kind=Application.Kind.NEW)
    assert app.is_returned and not app.is_submitted and app.is_new and not app.is_relocation
    invoice = Invoice(method="TRANSFER", status="PAID", kind="FIRST_YEAR")
    assert invoice.is_transfer and not invoice.is_debit and invoice.is_paid and invoice.is_first_year
