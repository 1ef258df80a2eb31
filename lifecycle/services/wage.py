"""The wage-increase report (domain.md §6, FAQ 3-3-1, 3-3-2): once a year, per establishment, the figures and
evidence; below the target for the company's size (data per year) an additional report becomes due; after the
deadline the missing reports are flagged."""

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fees import services as fee_services
from jaim.dates import japanese_date, today
from jaim.errors import DomainError
from jaim.jobs import job_run
from jaim.states import audit, move
from jaim.uploads import inspect_upload
from lifecycle import selectors
from lifecycle.models import WageEvidence, WageReport, WageReportPeriod
from lifecycle.services._common import batched, establishment_url, mail_each, reference_day
from members.models import Membership

if TYPE_CHECKING:
    from members.models import User

WAGE_JOB = "lifecycle.wage_reports"
MAX_FILES = 10


def increase_pct(before_yen: int, after_yen: int) -> Decimal:
    """(after − before) / before × 100, cut (not rounded) to 0.01 %: 2.996 % shows as 2.99 %, never as 3.00 %."""
    return (Decimal(after_yen - before_yen) * 100 / Decimal(before_yen)).quantize(
        Decimal("0.01"), rounding=ROUND_FLOOR
    )


def is_below_target(before_yen: int, after_yen: int, target_pct: Decimal) -> bool:
    """Compared exactly (no rounding): (after − before) × 100 < target × before."""
    return Decimal(after_yen - before_yen) * 100 < target_pct * Decimal(before_yen)


def _store_evidence(report: WageReport, inspected, *, by: "User | None", for_additional: bool) -> list[str]:
    """Write the checked files; returns their storage names (so a failed transaction can remove them)."""
    names = []
    for item in inspected:
        ev = WageEvidence(
            report=report,
            for_additional=for_additional,
            original_name=item.original_name,
            content_type=item.content_type,
            size_bytes=item.size,
            sha256=item.sha256,
            uploaded_by=by,
        )
        ev.file.save(f"upload.{item.extension}", ContentFile(item.content), save=False)
        names.append(ev.file.name)
        ev.full_clean(exclude=["report"])
        ev.save()
    return names


def _inspect(files, *, by: "User | None") -> list:
    """The checked files, before any transaction (a virus detection is recorded even though the report then fails);
    raises before anything is written."""
    files = [f for f in files or () if f]
    if len(files) > MAX_FILES:
        raise DomainError(
            _("一度に添付できるファイルは%(n)d件までです。") % {"n": MAX_FILES}, code="too_many"
        )
    return [inspect_upload(f, where=_("賃上げ報告の証明書類"), by=by) for f in files]


def _delete_files(names):
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001, S110 - a leftover file is harmless; no row points at it
            pass


def submit_wage_report(
    membership: Membership,
    *,
    period: WageReportPeriod,
    by: "User | None",
    workers: int,
    wage_before_yen: int,
    wage_after_yen: int,
    measures: str = "",
    files=(),
) -> WageReport:
    """File (or correct, until the deadline) the year's report: figures and at least one piece of evidence. The
    increase is compared with the target for the company's size (SME by F3 on the verified figures); below it,
    the additional report becomes due. A refused file changes nothing."""
    inspected = _inspect(files, by=by)
    stored: list[str] = []
    try:
        with transaction.atomic():
            report = _submit(
                membership,
                period=period,
                by=by,
                workers=workers,
                wage_before_yen=wage_before_yen,
                wage_after_yen=wage_after_yen,
                measures=measures,
                inspected=inspected,
                stored=stored,
            )
    except BaseException:
        _delete_files(stored)
        raise
    return report


def _submit(
    membership,
    *,
    period,
    by: "User | None",
    workers,
    wage_before_yen,
    wage_after_yen,
    measures,
    inspected,
    stored,
):
    on = today()
    m = (
        Membership.objects.select_for_update()
        .select_related("establishment__organisation")
        .get(pk=membership.pk)
    )
    report = WageReport.objects.select_for_update().filter(period=period, membership=m).first()
    if on < period.opens_on:
        raise DomainError(
            _("賃上げ報告の受付は%(date)sからです。") % {"date": japanese_date(period.opens_on)},
            code="not_open",
        )
    if report is None and not selectors.owes_wage_report(m, period):
        raise DomainError(_("この事業所は今年度の賃上げ報告の対象ではありません。"), code="not_owed")
    if report is not None and report.status == WageReport.Status.SUBMITTED and on > period.closes_on:
        raise DomainError(
            _(
                "提出期限（%(date)s）を過ぎたため、提出済みの報告は変更できません。事務局にお問い合わせください。"
            )
            % {"date": japanese_date(period.closes_on)},
            code="closed",
        )
    if not workers or workers < 1:
        raise DomainError(_("対象となる従業員数を1人以上で入力してください。"), code="workers")
    if not wage_before_yen or wage_before_yen < 1 or not wage_after_yen or wage_after_yen < 1:
        raise DomainError(_("平均賃金を1円以上で入力してください。"), code="wages")
    has_evidence = report is not None and report.evidence.filter(for_additional=False).exists()
    if not inspected and not has_evidence:
        raise DomainError(
            _("賃上げが確認できる書類（賃金台帳など）を添付してください。"), code="evidence_required"
        )
    created = report is None
    report = report or WageReport(period=period, membership=m)
    was_below = report.below_target
    sme = fee_services.is_sme(m.establishment.organisation)
    target = period.target_for(sme=sme)
    if report.status != WageReport.Status.SUBMITTED:  # a missing report filed late
        move(report, WageReport.Status.SUBMITTED, transitions=WageReport.TRANSITIONS, actor=by)
    report.workers, report.wage_before_yen, report.wage_after_yen = workers, wage_before_yen, wage_after_yen
    report.measures = (measures or "").strip()
    report.increase_pct = increase_pct(wage_before_yen, wage_after_yen)
    report.company_is_sme, report.target_pct = sme, target
    report.below_target = is_below_target(wage_before_yen, wage_after_yen, target)
    report.additional_due_on = period.additional_due_on if report.below_target else None
    report.is_late = report.is_late or on > period.closes_on
    report.submitted_at, report.submitted_by = timezone.now(), by
    report.full_clean()
    report.save()
    stored += _store_evidence(report, inspected, by=by, for_additional=False)
    audit(
        report,
        "submitted" if created else "corrected",
        actor=by,
        note=f"{report.increase_pct}%（目標 {target}%{'・目標未達' if report.below_target else ''}）",
    )
    if report.below_target and not was_below:
        mail_each(
            selectors.contacts_by_establishment([m.establishment_id]).get(m.establishment_id, ()),
            template="lifecycle_wage_below_target",
            context={
                "report": report,
                "period": period,
                "establishment": m.establishment,
                "url": establishment_url(m.establishment_id, "wage-report"),
            },
            kind="lifecycle_wage_below_target",
            dedupe=f"lifecycle-wage-below:{report.pk}:{report.increase_pct}",
        )
    return report


def submit_additional_wage_report(
    report: WageReport, *, by: "User | None", reason: str, plan: str, files=()
) -> WageReport:
    """The additional report of a member below the target: why, and what it will do; evidence optional."""
    inspected = _inspect(files, by=by)
    stored: list[str] = []
    try:
        with transaction.atomic():
            r = WageReport.objects.select_for_update().select_related("period").get(pk=report.pk)
            if not r.below_target:
                raise DomainError(_("目標を達成しているため追加報告は不要です。"), code="not_needed")
            if r.additional_submitted_at is not None:
                raise DomainError(_("追加報告は提出済みです。"), code="already_submitted")
            if not (reason or "").strip() or not (plan or "").strip():
                raise DomainError(
                    _("目標に届かなかった理由と今後の取組を入力してください。"), code="required"
                )
            r.additional_reason, r.additional_plan = reason.strip(), plan.strip()
            r.additional_submitted_at, r.additional_submitted_by = timezone.now(), by
            r.full_clean()
            r.save(
                update_fields=[
                    "additional_reason",
                    "additional_plan",
                    "additional_submitted_at",
                    "additional_submitted_by",
                    "updated_at",
                ]
            )
            stored += _store_evidence(r, inspected, by=by, for_additional=True)
            audit(r, "additional_submitted", actor=by)
    except BaseException:
        _delete_files(stored)
        raise
    return r


@transaction.atomic
def remove_wage_evidence(evidence: WageEvidence, *, by: "User | None") -> None:
    """Remove a file from a report that may still be corrected; the report keeps at least one."""
    ev = WageEvidence.objects.select_related("report__period").get(pk=evidence.pk)
    r = WageReport.objects.select_for_update().get(pk=ev.report_id)
    if today() > r.period.closes_on or (ev.for_additional and r.additional_submitted_at):
        raise DomainError(_("提出期限を過ぎたため、書類は削除できません。"), code="closed")
    if not ev.for_additional and not r.evidence.filter(for_additional=False).exclude(pk=ev.pk).exists():
        raise DomainError(
            _("書類がなくなるため削除できません。先に別の書類を追加してください。"), code="last_evidence"
        )
    name = ev.file.name
    ev.delete()
    audit(r, "evidence_removed", actor=by, note=ev.original_name)
    transaction.on_commit(lambda: _delete_files([name]))


def flag_missing_wage_reports(*, on: dt.date | None = None, chunk_size: int = 500) -> dict:
    """After the deadline, each member that owes the report and filed none is flagged MISSING (once: unique per
    year and membership) and told; it can still file late. Safe to run twice; catches up."""
    on = reference_day(on)
    with job_run(WAGE_JOB, on) as counts:
        counts["flagged_missing"] += 0
        for period in WageReportPeriod.objects.filter(
            closes_on__lt=on, additional_due_on__gte=on - dt.timedelta(days=366)
        ):
            flagged_on = period.closes_on + dt.timedelta(days=1)
            have = WageReport.objects.filter(period=period, membership_id=OuterRef("pk"))
            ids = list(
                selectors.wage_report_owed(period)
                .filter(
                    ~Exists(have)
                )  # an anti-join (NOT IN over a period's reports rescans them per member)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for chunk in batched(ids, chunk_size):
                with transaction.atomic():
                    members = list(
                        Membership.objects.select_for_update(of=("self",))
                        .filter(pk__in=chunk)
                        .filter(~Exists(have))
                        .select_related("establishment")
                        .order_by("pk")
                    )
                    WageReport.objects.bulk_create(
                        [
                            WageReport(
                                period=period,
                                membership=m,
                                status=WageReport.Status.MISSING,
                                flagged_missing_on=flagged_on,
                            )
                            for m in members
                        ],
                        ignore_conflicts=True,
                    )
                    contacts = selectors.contacts_by_establishment(m.establishment_id for m in members)
                    for m in members:
                        mail_each(
                            contacts.get(m.establishment_id, ()),
                            template="lifecycle_wage_missing",
                            context={
                                "period": period,
                                "membership": m,
                                "establishment": m.establishment,
                                "url": establishment_url(m.establishment_id, "wage-report"),
                            },
                            kind="lifecycle_wage_missing",
                            dedupe=f"lifecycle-wage-missing:{period.pk}:{m.pk}",
                        )
                    counts["flagged_missing"] += len(members)
    return dict(counts)
