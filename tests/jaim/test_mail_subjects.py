"""Every date in a mail's subject line carries its year (a subject is read alone, in a list of mails, often in
another year than the one it names): 「回答期限 2027年2月19日」, never 「回答期限 2月19日」."""

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

from jaim.mail import _render

MAIL_DIR = Path(settings.BASE_DIR) / "templates" / "mail"
DATE_FILTER = re.compile(r'\|date:"([^"]*)"')


def test_every_date_format_in_a_subject_line_has_the_year():
    subjects = {p.name: p.read_text(encoding="utf-8").splitlines()[0] for p in MAIL_DIR.glob("*.txt")}
    assert len(subjects) > 20
    missing = {
        name: fmt for name, line in subjects.items() for fmt in DATE_FILTER.findall(line) if "Y" not in fmt
    }
    assert missing == {}


def test_the_renewal_notice_subject_names_the_deadline_with_its_year():
    season = SimpleNamespace(fiscal_year=2027, answer_deadline=dt.date(2027, 2, 19))
    org = SimpleNamespace(name="株式会社サンプル精工")
    establishment = SimpleNamespace(organisation=org, name="本社工場")
    subject, _body = _render("lifecycle_renewal_notice", {"season": season, "establishment": establishment})
    assert "回答期限 2027年2月19日" in subject


def test_every_kind_of_mail_has_a_name_for_the_outbox():
    """The outbox lists mails by what they are (「請求書の発行」), never by code: every template has its label."""
    from jaim.mail import KIND_LABELS, kind_label

    templates = {p.stem for p in MAIL_DIR.glob("*.txt")}
    assert templates - set(KIND_LABELS) == set()
    assert kind_label("fees_invoice_issued") == "請求書の発行"
    assert kind_label("no_such_kind") == "その他のメール"
