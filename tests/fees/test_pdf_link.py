"""The invoice mail's link to its PDF (fees.services.links): it opens that one invoice's PDF on a phone without
signing in, for JAIM_PDF_LINK_DAYS days; staff revoke it from the admin; a tampered, expired or revoked link gets a
Japanese page; nothing else opens without sign-in; the access log never shows the token (F10: the invoice goes to
the billing contact, so does its link)."""

import datetime as dt
import re
import subprocess

import pytest
from django.core import signing
from django.urls import reverse

from fees import services
from fees.models import Invoice
from jaim.gunicorn import redact_path
from jaim.models import AuditEvent, OutboxMessage
from tests.factories import EstablishmentFactory, head_office, membership_for
from tests.fees.factories import FeeScheduleFactory
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/mypage/fees/l/[^/\s]+/)")
TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 10, 10, tzinfo=TOKYO), tick=False)
    return time_machine


def _invoice(org, django_capture_on_commit_callbacks) -> Invoice:
    est = EstablishmentFactory(organisation=org)
    m = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    with django_capture_on_commit_callbacks(execute=True):  # the invoice mail and PDF tasks run
        return services.bill_new_membership(
            m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
        )


@pytest.fixture
def invoices(db, django_capture_on_commit_callbacks):
    FeeScheduleFactory(fiscal_year=2026)
    user, org = head_office()
    a = _invoice(org, django_capture_on_commit_callbacks)
    b = _invoice(org, django_capture_on_commit_callbacks)
    return user, a, b


def mailed_link(invoice) -> str:
    [mail] = OutboxMessage.objects.filter(
        kind="fees_invoice_issued", dedupe_key__startswith=f"fees-invoice:{invoice.number}:"
    )
    return LINK.search(mail.body).group(1)


def pdf_text(raw: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()


def test_the_invoice_mail_link_opens_that_pdf_without_signing_in_and_nothing_else(client, invoices):
    user, a, b = invoices
    [mail] = OutboxMessage.objects.filter(
        kind="fees_invoice_issued", dedupe_key__startswith=f"fees-invoice:{a.number}:"
    )
    assert "ログインせずに開けます（30日間有効" in mail.body
    r = client.get(mailed_link(a))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("inline")  # opens in the phone's viewer
    assert "no-store" in r["Cache-Control"]
    text = pdf_text(b"".join(r.streaming_content))
    assert a.number in text and b.number not in text  # that one invoice
    assert "_auth_user_id" not in client.session  # no session was opened
    for page in [
        reverse("fees:invoice_document", args=[a.pk, "invoice"]),
        reverse("fees:invoice_document", args=[a.pk, "notice"]),
        reverse("fees:invoice_document", args=[b.pk, "invoice"]),
        reverse("members:mypage"),
    ]:
        answer = client.get(page)
        assert answer.status_code == 302 and reverse("login") in answer.url, page


def test_each_invoice_has_its_own_link_and_a_token_cannot_be_moved_to_another_invoice(client, invoices):
    _, a, b = invoices
    link_a, link_b = mailed_link(a), mailed_link(b)
    assert link_a != link_b
    assert b.number in pdf_text(b"".join(client.get(link_b).streaming_content))
    token_a = link_a.split("/")[-2]
    payload_b = link_b.split("/")[-2].split(":")[0]
    moved = ":".join([payload_b, *token_a.split(":")[1:]])  # B's number under A's signature
    r = client.get(reverse("fees:invoice_link", args=[moved]))
    assert r.status_code == 404 and "このリンクは正しくありません" in r.content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the signature
        lambda t: ("x" if t[0] != "x" else "y") + t[1:],  # one character of the payload
        lambda t: t.split(":")[0],  # the payload alone
        lambda t: "nonsense",
    ],
)
def test_a_tampered_link_is_refused_with_a_japanese_page(client, invoices, tamper):
    _, a, _ = invoices
    token = mailed_link(a).split("/")[-2]
    r = client.get(reverse("fees:invoice_link", args=[tamper(token)]))
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")
    html = r.content.decode()
    assert (
        "このリンクは使えません" in html and "このリンクは正しくありません" in html and a.number not in html
    )


def test_another_salt_signing_the_same_payload_is_refused(client, invoices):
    _, a, _ = invoices
    forged = signing.TimestampSigner().sign_object({"n": a.number, "v": a.pdf_link_version})
    assert client.get(reverse("fees:invoice_link", args=[forged])).status_code == 404


def test_the_link_expires_after_the_configured_days(client, invoices, settings, _clock):
    settings.JAIM_PDF_LINK_DAYS = 3
    _, a, _ = invoices
    link = mailed_link(a)
    _clock.move_to(dt.datetime(2026, 6, 13, 9, 59, tzinfo=TOKYO), tick=False)  # 3 days less a minute
    assert client.get(link).status_code == 200
    _clock.move_to(dt.datetime(2026, 6, 13, 10, 1, tzinfo=TOKYO), tick=False)
    r = client.get(link)
    assert r.status_code == 410
    html = r.content.decode()
    assert "このリンクの有効期限（3日）が過ぎています。" in html and "マイページにログイン" in html


def test_finance_revokes_the_links_from_the_admin_and_a_new_link_works(client, invoices):
    _, a, b = invoices
    old_a, old_b = mailed_link(a), mailed_link(b)
    finance = staff_user(group="finance")
    verified_login(client, finance)
    r = client.post(
        reverse("admin:fees_invoice_changelist"),
        {"action": "revoke_pdf_links", "_selected_action": [a.pk]},
        follow=True,
    )
    assert "1件の請求書について" in r.content.decode()
    assert AuditEvent.objects.filter(action="pdf_links_revoked", object_id=str(a.pk), actor=finance).exists()
    client.logout()
    refused = client.get(old_a)
    assert (
        refused.status_code == 410
        and "このリンクは事務局により無効にされています。" in refused.content.decode()
    )
    assert client.get(old_b).status_code == 200  # only the selected invoice
    a.refresh_from_db()
    fresh = services.invoice_pdf_link(a).removeprefix("http://127.0.0.1:8000")
    assert client.get(fresh).status_code == 200


def test_a_reviewer_may_not_revoke_links(client, invoices):
    _, a, _ = invoices
    reviewer = staff_user(group="reviewer")
    verified_login(client, reviewer)
    r = client.post(
        reverse("admin:fees_invoice_changelist"), {"action": "revoke_pdf_links", "_selected_action": [a.pk]}
    )
    a.refresh_from_db()
    assert a.pdf_link_version == 1 and r.status_code in (200, 302, 403)
    assert not AuditEvent.objects.filter(action="pdf_links_revoked").exists()


def test_the_access_log_never_shows_the_token(invoices):
    _, a, _ = invoices
    path = mailed_link(a)
    token = path.split("/")[-2]
    assert redact_path(path) == "/mypage/fees/l/…/"
    assert redact_path("/en" + path + "?utm=x") == "/en/mypage/fees/l/…/"
    assert token not in redact_path(path)
