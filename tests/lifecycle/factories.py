"""Lifecycle test data: the renewal dates and wage-report period of FY2026 → FY2027, and members with people."""

import datetime as dt
import itertools
from decimal import Decimal

from lifecycle.models import RenewalSeason, WageReportPeriod
from tests.factories import EstablishmentFactory, UserFactory, head_office, membership_for
from tests.fees.factories import FeeScheduleFactory

NOTICE_ON = dt.date(2027, 2, 1)  # renewal into FY2027, sent in February of FY2026
ANSWER_DEADLINE = dt.date(2027, 2, 19)
DEBIT_ON = dt.date(2027, 2, 26)
GRACE_DAYS = 30  # 26 Feb + 30 days = 28 March → lapses on 1 April (never before the fee year)
YEAR_END_WITHDRAWAL = dt.date(2027, 4, 1)
_receipts = itertools.count(1)


def fee_schedules():
    FeeScheduleFactory(fiscal_year=2026)
    FeeScheduleFactory(fiscal_year=2027, renewal_debit_date=DEBIT_ON)


def season(**kw) -> RenewalSeason:
    data = dict(fiscal_year=2027, notice_on=NOTICE_ON, answer_deadline=ANSWER_DEADLINE, grace_days=GRACE_DAYS)
    data.update(kw)
    return RenewalSeason.objects.create(**data)


def wage_period(**kw) -> WageReportPeriod:
    data = dict(
        fiscal_year=2026,
        opens_on=dt.date(2027, 1, 5),
        closes_on=dt.date(2027, 2, 28),
        additional_due_on=dt.date(2027, 4, 30),
        target_large_pct=Decimal("3.00"),
        target_sme_pct=Decimal("1.50"),
        source="公表資料（サンプル）",
    )
    data.update(kw)
    return WageReportPeriod.objects.create(**data)


def member(org=None, *, user=None, active_on=dt.date(2026, 6, 20), notice=dt.date(2026, 6, 10), **org_kwargs):
    """An ACTIVE membership (first year FY2026) whose organisation has a head-office manager. Returns (user, m)."""
    if org is None:
        user, org = head_office(user, **org_kwargs)
    else:
        user = user or org.accesses.first().user
    est = EstablishmentFactory(organisation=org)
    return user, membership_for(est, fee_notice_date=notice, active_on=active_on)


def site_user(establishment):
    from members.models import Access

    u = UserFactory()
    Access.objects.create(user=u, establishment=establishment, can_manage=False)
    return u


def returned_application(establishment, user, *, deadline, returned_on):
    """An application sent back for correction (built directly: the review workflow is applications' own)."""
    import datetime as _dt

    from applications.models import Application
    from tests.lifecycle.conftest import TOKYO

    returned_at = _dt.datetime(returned_on.year, returned_on.month, returned_on.day, 10, tzinfo=TOKYO)
    return Application.objects.create(
        kind=Application.Kind.ADD_CLASSIFICATION,
        status=Application.Status.RETURNED,
        establishment=establishment,
        created_by=user,
        submitted_by=user,
        submitted_at=returned_at - _dt.timedelta(days=20),
        receipt_number=f"A2026-{next(_receipts):06d}",
        returned_at=returned_at,
        return_message="出荷実績の証跡画像を追加してください。",
        return_deadline=deadline,
    )


def textile_certificate(establishment, user, *, valid_until, uploaded_on=dt.date(2026, 5, 1)):
    """A human-rights certificate (textile add-on) on file in an approved application."""
    from applications.models import Application, Document, DocumentType
    from tests.lifecycle.conftest import TOKYO

    at = dt.datetime(uploaded_on.year, uploaded_on.month, uploaded_on.day, 10, tzinfo=TOKYO)
    app = Application.objects.create(
        kind=Application.Kind.NEW,
        status=Application.Status.APPROVED,
        establishment=establishment,
        created_by=user,
        submitted_at=at,
        receipt_number=f"A2026-9{next(_receipts):05d}",
        decided_at=at,
        decided_on=uploaded_on,
    )
    doc = Document.objects.create(
        application=app,
        document_type=DocumentType.objects.get(code="textile_hr_certificate"),
        file="applications/2026/cert.pdf",
        original_name="GOTS認証書.pdf",
        content_type="application/pdf",
        size_bytes=1000,
        sha256="0" * 64,
        issuer="GOTS",
        number="CU-123456",
        valid_until=valid_until,
        uploaded_by=user,
    )
    Document.objects.filter(pk=doc.pk).update(uploaded_at=at)
    return doc
