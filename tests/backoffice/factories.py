"""Test data for backoffice: applications, invoices and job runs with chosen dates (made directly: these tests are
about what the dashboard and reports count, not about how the other apps reach these states)."""

import datetime as dt
import itertools

from applications.models import Application, ReviewMessage
from fees.models import Invoice, InvoiceLine
from jaim.models import JobRun
from tests.factories import EstablishmentFactory, UserFactory, membership_for

_n = itertools.count(1)

COUNCIL_HEADER = "協議会会員番号,法人名,事業所名,法人番号,産業分類,郵便番号,都道府県,所在地,協議会加入日,協議会退会日,情報移行のみ"


def council_csv(*rows: str, header: str = COUNCIL_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def application(*, status, submitted_at, decided_at=None, reviewer=None, est=None, **fields):
    est = est or EstablishmentFactory()
    extra = {}
    if status == Application.Status.RETURNED:
        extra["return_message"] = "写真を追加してください。"
    if status == Application.Status.REJECTED:
        extra["rejection_reason"] = "対象外の分類です。"
    app = Application.objects.create(
        kind=Application.Kind.NEW,
        status=status,
        establishment=est,
        created_by=UserFactory(),
        receipt_number=f"T{next(_n):06d}",
        submitted_at=submitted_at,
        reviewer=reviewer,
        decided_by=reviewer if decided_at else None,
        decided_at=decided_at,
        **extra,
        **fields,
    )
    return app


def returned_message(app, *, at, author=None):
    msg = ReviewMessage.objects.create(
        application=app, kind=ReviewMessage.Kind.RETURN, message="修正", author=author
    )
    ReviewMessage.objects.filter(pk=msg.pk).update(created_at=at)
    return msg


def invoice(
    membership=None,
    *,
    fiscal_year=2026,
    status="ISSUED",
    due_date=dt.date(2026, 7, 31),
    total_yen=90_000,
    lines=(),
):
    """lines: kinds of discount lines to add (e.g. ["SME_DISCOUNT"])."""
    m = membership or membership_for(EstablishmentFactory())
    n = next(_n)
    inv = Invoice.objects.create(
        number=f"T{fiscal_year}-{n:05d}",
        membership=m,
        fiscal_year=fiscal_year,
        kind=Invoice.Kind.FIRST_YEAR,
        method=Invoice.Method.TRANSFER,
        status=status,
        issue_date=dt.date(fiscal_year, 6, 10),
        due_date=due_date,
        total_yen=total_yen,
        buyer_name="株式会社テスト",
        member_number=m.member_number,
        establishment_name="第1工場",
        paid_on=dt.date(fiscal_year, 7, 1) if status == "PAID" else None,
    )
    InvoiceLine.objects.create(invoice=inv, position=1, kind="BASE", description="年会費", amount_yen=120_000)
    for i, kind in enumerate(lines, start=2):
        InvoiceLine.objects.create(invoice=inv, position=i, kind=kind, description=kind, amount_yen=-15_000)
    return inv


def job_run(job, *, started_at, error="", finished=True):
    run = JobRun.objects.create(job=job, finished_at=started_at if finished else None, error=error)
    JobRun.objects.filter(pk=run.pk).update(started_at=started_at)
    return run
