"""Withdrawal (R11, R12, F8, F13): 退会する on My Page (or "withdraw at the end of this year" in the renewal
confirmation) → WITHDRAWAL_REQUESTED → the secretariat confirms → WITHDRAWN on the chosen day, delisted that
day. No refund; sibling establishments are untouched (FAQ 3-1-5); re-joining is a new application (R12)."""

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fees import selectors as fee_selectors
from fees import services as fee_services
from fees.models import Invoice
from jaim.dates import fiscal_year_of, fiscal_year_start, japanese_date, today
from jaim.errors import DomainError
from jaim.jobs import job_run
from jaim.states import audit, move
from jaim.validators import normalise_digits, validate_phone
from lifecycle import selectors
from lifecycle.models import RenewalSeason, WithdrawalRequest
from lifecycle.services._common import establishment_url, mail_each, reference_day
from lifecycle.services.terms import record_answer, reissue_renewal_invoice
from members import services as member_services
from members.models import Membership, MembershipTerm

if TYPE_CHECKING:
    from members.models import User

WITHDRAWALS_JOB = "lifecycle.withdrawals"
S = WithdrawalRequest.Status


def _people(request: WithdrawalRequest) -> list[str]:
    """The requester and the establishment's people."""
    est_id = request.membership.establishment_id
    return [request.requested_by.email, *selectors.contacts_by_establishment([est_id]).get(est_id, ())]


def _mail(request: WithdrawalRequest, template: str, *, dedupe: str | None = None, **extra) -> None:
    m = request.membership
    mail_each(
        _people(request),
        template=template,
        context={
            "request": request,
            "membership": m,
            "establishment": m.establishment,
            "url": establishment_url(m.establishment_id),
            **extra,
        },
        kind=template,
        dedupe=dedupe,
    )


def _check_details(*, reason, contact_name, contact_phone, no_ssw_confirmed, no_refund_acknowledged) -> str:
    if not (reason or "").strip():
        raise DomainError(_("退会の理由を入力してください。"), code="reason_required")
    if not (contact_name or "").strip():
        raise DomainError(_("担当者の氏名を入力してください。"), code="contact_required")
    phone = normalise_digits(contact_phone or "").replace("-", "")
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code="bad_phone") from exc
    if not no_ssw_confirmed:
        raise DomainError(
            _("この事業所で特定技能外国人を雇用しない（雇用しなくなる）ことを確認してください。"), code="ssw"
        )
    if not no_refund_acknowledged:
        raise DomainError(_("年度途中の退会でも会費が返金されないことを確認してください。"), code="refund")
    return phone


def _credit_next_year(m: Membership, season: RenewalSeason, *, by: "User | None") -> Invoice | None:
    """F8: declared by the answer deadline → next year's fee is not collected: its unpaid invoice is cancelled by a
    credit note (F13: never an edit). A paid one cannot be (no refunds); the secretariat sees it on the request."""
    inv = (
        Invoice.objects.filter(membership=m, fiscal_year=season.fiscal_year, status__in=Invoice.OPEN_STATUSES)
        .order_by("pk")
        .first()
    )
    if inv is None:
        return None
    due = fee_selectors.outstanding_yen(inv)
    if due <= 0:
        return None
    fee_services.issue_credit_note(
        inv,
        amount_yen=due,
        reason=_("回答期限（%(date)s）までに年度末での退会の申出があったため（翌年度会費は不要）")
        % {"date": japanese_date(season.answer_deadline)},
        by=by,
    )
    return inv


@transaction.atomic
def request_withdrawal(
    membership: Membership,
    *,
    by: "User | None",
    effective_on: dt.date | None,
    reason: str,
    contact_name: str,
    contact_phone: str,
    no_ssw_confirmed: bool,
    no_refund_acknowledged: bool,
    source: str = WithdrawalRequest.Source.MY_PAGE,
) -> WithdrawalRequest:
    """退会する (R11): record the details, move the membership to WITHDRAWAL_REQUESTED (still listed until the
    withdrawal day) and wait for the secretariat. The day is today or later and at the latest 1 April (the end
    of this fiscal year); "at the end of this year" (source RENEWAL) is 1 April. Declared by the renewal answer
    deadline, next year's invoice is cancelled (F8). Paid fees are never refunded (F13)."""
    on = today()
    m = Membership.objects.select_for_update().select_related("establishment").get(pk=membership.pk)
    if m.status == Membership.Status.WITHDRAWAL_REQUESTED or selectors.open_withdrawal(m):
        raise DomainError(_("この事業所の退会の申出は既に受け付けています。"), code="already_requested")
    if m.status != Membership.Status.ACTIVE:
        raise DomainError(
            _("退会の申出ができるのは有効な会員資格だけです（現在：%(status)s）。")
            % {"status": m.get_status_display()},
            code="not_active",
        )
    phone = _check_details(
        reason=reason,
        contact_name=contact_name,
        contact_phone=contact_phone,
        no_ssw_confirmed=no_ssw_confirmed,
        no_refund_acknowledged=no_refund_acknowledged,
    )
    year_end = fiscal_year_start(fiscal_year_of(on) + 1)
    if source == WithdrawalRequest.Source.RENEWAL:
        season = selectors.answerable_season(m, on)
        if season is None:
            raise DomainError(_("更新確認の回答期間ではありません。"), code="not_answerable")
        effective_on = season.year_end_withdrawal_on
    if effective_on is None:
        raise DomainError(_("退会日を入力してください。"), code="date_required")
    if effective_on < on:
        raise DomainError(_("退会日は今日以降の日付を指定してください。"), code="past_date")
    if effective_on > year_end:
        raise DomainError(
            _(
                "退会日は今年度末（%(date)s をもって退会）までの日付を指定してください。休会・一時的な退会の制度はありません。"
            )
            % {"date": japanese_date(year_end - dt.timedelta(days=1))},
            code="too_late",
        )
    request = WithdrawalRequest(
        membership=m,
        source=source,
        effective_on=effective_on,
        reason=reason.strip(),
        contact_name=contact_name.strip(),
        contact_phone=phone,
        no_ssw_confirmed=True,
        no_refund_acknowledged=True,
        requested_by=by,
    )
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:  # a double-clicked submit: the first one won
        raise DomainError(
            _("この事業所の退会の申出は既に受け付けています。"), code="already_requested"
        ) from exc
    member_services._request_withdrawal(m, by=by, effective_on=effective_on, reason=request.reason)
    # F8: the member will not continue into next year; declared by the deadline, next year costs nothing.
    record_answer(m, fiscal_year_of(on), MembershipTerm.Answer.WITHDRAW, by=by)
    season = RenewalSeason.objects.filter(fiscal_year=fiscal_year_of(on) + 1).first()
    if season is not None and on <= season.answer_deadline:
        request.credited_invoice = _credit_next_year(m, season, by=by)
        if request.credited_invoice:
            request.save(update_fields=["credited_invoice"])
    audit(request, "requested", actor=by, to_status=request.status, note=japanese_date(effective_on))
    _mail(request, "lifecycle_withdrawal_requested")
    return request


def _lock(request: WithdrawalRequest) -> WithdrawalRequest:
    return (
        WithdrawalRequest.objects.select_for_update(of=("self",))
        .select_related("membership__establishment", "requested_by")
        .get(pk=request.pk)
    )


def _complete(req: WithdrawalRequest, *, on: dt.date) -> WithdrawalRequest:
    """WITHDRAWN on the chosen day (delisted that day). Nothing is refunded; siblings are untouched."""
    member_services._withdraw_membership(
        req.membership,
        on=req.effective_on,
        note=_("退会の申出（%(source)s）") % {"source": req.get_source_display()},
    )
    req.completed_on = on
    move(req, S.COMPLETED, transitions=WithdrawalRequest.TRANSITIONS)
    req.full_clean()
    req.save(update_fields=["status", "completed_on"])
    return req


@transaction.atomic
def confirm_withdrawal(request: WithdrawalRequest, *, by: "User | None") -> WithdrawalRequest:
    """The secretariat confirms the request (FAQ 3-1-3) and the member is told. It takes effect on the chosen day
    (today's or a past day's: at once; later: the withdrawals job on that day)."""
    req = _lock(request)
    if req.status != S.PENDING:
        raise DomainError(
            _("この申出は「%(status)s」のため確認できません。") % {"status": req.get_status_display()},
            code="not_pending",
        )
    req.confirmed_at, req.confirmed_by = timezone.now(), by
    move(req, S.CONFIRMED, transitions=WithdrawalRequest.TRANSITIONS, actor=by)
    req.full_clean()
    req.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    _mail(req, "lifecycle_withdrawal_confirmed", dedupe=f"lifecycle-withdrawal-confirmed:{req.pk}")
    if req.effective_on <= today():
        _complete(req, on=today())
    return req


@transaction.atomic
def cancel_withdrawal(request: WithdrawalRequest, *, by: "User | None", note: str = "") -> WithdrawalRequest:
    """Take a request back (the member before the secretariat confirmed it, or the secretariat at any time before
    the withdrawal day): the membership is ACTIVE again and, if next year's invoice had been cancelled for it, a
    new one is issued (the fee is due after all)."""
    req = _lock(request)
    if req.status not in WithdrawalRequest.OPEN_STATUSES:
        raise DomainError(
            _("この申出は「%(status)s」のため取り消せません。") % {"status": req.get_status_display()},
            code="not_open",
        )
    req.cancelled_at, req.cancelled_by, req.cancel_note = timezone.now(), by, (note or "")[:300]
    move(req, S.CANCELLED, transitions=WithdrawalRequest.TRANSITIONS, actor=by, note=note)
    req.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_note"])
    m = Membership.objects.select_for_update().get(pk=req.membership_id)
    if m.status == Membership.Status.WITHDRAWAL_REQUESTED:
        member_services._cancel_withdrawal_request(m, by=by, note=note)
    year = fiscal_year_of(req.requested_at.astimezone(timezone.get_current_timezone()).date())
    term = MembershipTerm.objects.filter(membership=m, fiscal_year=year).first()
    if term is not None and term.renewal_answer == MembershipTerm.Answer.WITHDRAW:
        record_answer(m, year, MembershipTerm.Answer.PENDING, by=by)
    if req.credited_invoice is not None:
        reissue_renewal_invoice(m, req.credited_invoice.fiscal_year, by=by)
    _mail(req, "lifecycle_withdrawal_cancelled")
    return req


def complete_withdrawals(*, on: dt.date | None = None) -> dict:
    """The withdrawals job: confirmed requests whose day has come (or passed: catch-up) become WITHDRAWN on their
    own day. Requests still waiting for the secretariat past their day are counted (visible in the admin)."""
    on = reference_day(on)
    with job_run(WITHDRAWALS_JOB, on) as counts:
        counts["withdrawn"] += 0
        ids = list(
            WithdrawalRequest.objects.filter(status=S.CONFIRMED, effective_on__lte=on)
            .order_by("effective_on", "pk")
            .values_list("pk", flat=True)
        )
        for pk in ids:
            with transaction.atomic():
                req = _lock(WithdrawalRequest(pk=pk))
                if req.status != S.CONFIRMED or req.effective_on > on:
                    continue
                _complete(req, on=on)
                counts["withdrawn"] += 1
        counts["awaiting_confirmation_overdue"] = WithdrawalRequest.objects.filter(
            status=S.PENDING, effective_on__lte=on
        ).count()
    return dict(counts)
