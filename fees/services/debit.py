"""Direct debit (F7, F12): mandates, the 全銀 91 request file of a run, and the import of its result file."""

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fees import kana, zengin
from fees.models import DebitItem, DebitMandate, DebitOriginator, DebitRun, Invoice, Payment
from fees.selectors import debit_due_invoices, outstanding_map
from fees.services.contacts import _mail_billing
from fees.services.payments import record_payment
from jaim.errors import DomainError
from jaim.formats import yen
from jaim.job_labels import counts_text
from jaim.states import audit, move
from members.models import Establishment, Organisation

if TYPE_CHECKING:
    from members.models import User

MANDATE_FIELDS = ["bank_code", "branch_code", "account_type", "account_number", "holder_kana"]


def bank_names(bank_code: str, branch_code: str) -> tuple[str, str] | None:
    """Half-width kana names of a bank and branch from zengin-code data; None if the codes do not exist."""
    from zengin_code import Bank

    bank = Bank.all.get(bank_code)
    if bank is None:
        return None
    branch = bank.branches.get(branch_code)
    if branch is None:
        return None

    def k(text):
        try:
            return kana.to_zengin_kana(text)[:15]
        except ValueError:
            return ""

    return k(bank.kana), k(branch.kana)


@transaction.atomic
def register_debit_mandate(
    establishment: Establishment, *, data: dict, payer: Organisation | None = None, by: "User | None"
) -> DebitMandate:
    """Register (or change) the account an establishment's fees are debited from. A change replaces the
    previous mandate; the next debit then carries 新規コード 2."""
    est = Establishment.objects.select_for_update().get(pk=establishment.pk)
    if payer is not None and not payer.is_support_organisation:
        raise DomainError(_("口座の名義人に指定できるのは登録支援機関だけです。"), code="payer_not_support")
    mandate = DebitMandate(
        establishment=est, payer=payer, registered_by=by if getattr(by, "pk", None) else None
    )
    for f in MANDATE_FIELDS:
        setattr(mandate, f, (data.get(f) or "").strip())
    try:
        mandate.holder_kana = kana.to_zengin_kana(mandate.holder_kana, allow_dot=True)
    except ValueError:
        pass  # full_clean reports the field
    names = bank_names(mandate.bank_code, mandate.branch_code)
    if names is None:
        raise DomainError(_("金融機関コード・支店コードの組合せが見つかりません。"), code="unknown_bank")
    mandate.bank_name_kana, mandate.branch_name_kana = names
    try:
        mandate.full_clean(exclude=["establishment"])
    except ValidationError as exc:
        raise DomainError("; ".join(exc.messages), code="invalid") from exc
    old = DebitMandate.objects.select_for_update().filter(establishment=est, status="ACTIVE").first()
    if old:
        same = (
            all(getattr(old, f) == getattr(mandate, f) for f in MANDATE_FIELDS)
            and old.payer_id == mandate.payer_id
        )
        if same:
            return old
        move(old, DebitMandate.Status.REPLACED, transitions=DebitMandate.TRANSITIONS, actor=by)
        old.save(update_fields=["status"])
        mandate.replaces = old
    mandate.save()
    audit(mandate, "registered", actor=by, to_status=mandate.status)
    return mandate


@transaction.atomic
def revoke_debit_mandate(mandate: DebitMandate, *, by: "User | None") -> DebitMandate:
    md = DebitMandate.objects.select_for_update().get(pk=mandate.pk)
    move(md, DebitMandate.Status.REVOKED, transitions=DebitMandate.TRANSITIONS, actor=by)
    md.save(update_fields=["status"])
    return md


def customer_number(member_number: str) -> str:
    """顧客番号 N(20): the member number's digits (J0001001 → 1001)."""
    digits = "".join(c for c in member_number if c.isdigit())
    return str(int(digits or "0"))


def _originator() -> DebitOriginator:
    o = DebitOriginator.objects.first()
    if o is None:
        raise DomainError(
            _("口座振替の委託者情報が登録されていません（管理画面で登録してください）。"),
            code="no_originator",
        )
    return o


def _as_zengin_originator(o: DebitOriginator) -> zengin.Originator:
    return zengin.Originator(
        code=o.originator_code,
        name_kana=o.name_kana,
        bank_code=o.bank_code,
        bank_name_kana=o.bank_name_kana,
        branch_code=o.branch_code,
        branch_name_kana=o.branch_name_kana,
        account_type=o.account_type,
        account_number=o.account_number,
    )


@transaction.atomic
def export_debit_requests(collection_date: dt.date, *, by: "User | None" = None) -> DebitRun:
    """Build the 全銀 口座振替依頼データ for a collection date from due direct-debit invoices with an active
    mandate; store it and return the run. Invoices without a mandate are left out (listed for finance)."""
    originator = _originator()
    invoices = list(debit_due_invoices(collection_date).select_for_update(of=("self",)))
    mandates = {
        md.establishment_id: md
        for md in DebitMandate.objects.filter(
            establishment_id__in=[i.membership.establishment_id for i in invoices], status="ACTIVE"
        )
    }
    due = outstanding_map([i.pk for i in invoices])
    run = DebitRun.objects.create(
        collection_date=collection_date, created_by=by if getattr(by, "pk", None) else None
    )
    items, records, seen = [], [], set()
    for inv in invoices:
        md = mandates.get(inv.membership.establishment_id)
        cust = customer_number(inv.member_number)
        if md is None or cust in seen or not due.get(inv.pk):
            continue  # one debit per member and run; the older invoice goes first
        seen.add(cust)
        new_code = "0" if md.first_debit_done else ("2" if md.replaces_id else "1")
        items.append(
            DebitItem(
                run=run,
                invoice=inv,
                mandate=md,
                customer_number=cust,
                amount_yen=due[inv.pk],
                new_code=new_code,
            )
        )
        records.append(
            zengin.DebitRecord(
                bank_code=md.bank_code,
                bank_name_kana=md.bank_name_kana,
                branch_code=md.branch_code,
                branch_name_kana=md.branch_name_kana,
                account_type=md.account_type,
                account_number=md.account_number,
                holder_kana=md.holder_kana,
                amount_yen=due[inv.pk],
                new_code=new_code,
                customer_number=cust,
            )
        )
    if not items:
        raise DomainError(
            _("この振替日に引き落とす請求（口座登録済み）がありません。"), code="nothing_to_debit"
        )
    DebitItem.objects.bulk_create(items)
    data = zengin.build_file(
        _as_zengin_originator(originator), collection_date, records, crlf=originator.crlf
    )
    run.total_count = len(items)
    run.total_yen = sum(i.amount_yen for i in items)
    run.request_file.save(f"request-{collection_date:%Y%m%d}-{run.pk}.txt", ContentFile(data), save=False)
    run.save(update_fields=["total_count", "total_yen", "request_file"])
    audit(run, "exported", actor=by, note=f"{run.total_count:,}件 {yen(run.total_yen)}")
    return run


@transaction.atomic
def import_debit_results(run: DebitRun, data: bytes, *, by: "User | None" = None) -> dict:
    """Read the bank's result file for a run: collected → paid; any other code → DEBIT_FAILED, shown to finance
    and to the member. Records are matched by 顧客番号 and checked against account and amount. All or nothing."""
    r = DebitRun.objects.select_for_update().get(pk=run.pk)
    if r.status != DebitRun.Status.EXPORTED:
        raise DomainError(_("この口座振替データの結果は既に取り込まれています。"), code="already_imported")
    try:
        parsed = zengin.parse_file(data)
        zengin.check_result_totals(parsed)
    except zengin.ZenginFormatError as exc:
        raise DomainError(
            _("%(line)d行目：%(msg)s ファイルは取り込んでいません。")
            % {"line": exc.line, "msg": exc.message},
            code="malformed",
        ) from exc
    if parsed.collection_mmdd != r.collection_date.strftime("%m%d"):
        raise DomainError(
            _("1行目：振替日が依頼データと一致しません。ファイルは取り込んでいません。"), code="wrong_run"
        )
    items = {
        i.customer_number: i
        for i in r.items.select_related("invoice", "mandate").select_for_update(of=("self",))
    }
    results = []
    for rec, line in zip(parsed.records, parsed.record_lines, strict=True):
        item = items.get(str(int(rec.customer_number)))
        if item is None:
            raise DomainError(
                _("%(line)d行目：顧客番号 %(c)s はこの依頼データにありません。ファイルは取り込んでいません。")
                % {"line": line, "c": rec.customer_number},
                code="unknown_customer",
            )
        md = item.mandate
        if (rec.bank_code, rec.branch_code, rec.account_number, rec.amount_yen) != (
            md.bank_code,
            md.branch_code,
            md.account_number,
            item.amount_yen,
        ):
            raise DomainError(
                _("%(line)d行目：口座または金額が依頼データと一致しません。ファイルは取り込んでいません。")
                % {"line": line},
                code="mismatch",
            )
        results.append((item, rec.result_code))
    counts = {"collected": 0, "failed": 0, "no_result": len(items) - len(results)}
    for item, code in results:
        item.result_code = code
        item.save(update_fields=["result_code"])
        inv = Invoice.objects.select_for_update().get(pk=item.invoice_id)
        if code == "0":
            counts["collected"] += 1
            record_payment(
                [inv],
                amount_yen=item.amount_yen,
                received_on=r.collection_date,
                method=Payment.Method.DEBIT,
                payer_name=item.mandate.holder_kana,
                reference=_("口座振替 %(d)s") % {"d": r.collection_date},
                by=by,
            )
            if not item.mandate.first_debit_done:
                DebitMandate.objects.filter(pk=item.mandate_id).update(first_debit_done=True)
        else:
            counts["failed"] += 1
            if inv.status != Invoice.Status.DEBIT_FAILED:
                move(
                    inv,
                    Invoice.Status.DEBIT_FAILED,
                    transitions=Invoice.TRANSITIONS,
                    actor=by,
                    note=item.get_result_code_display(),
                )
                inv.save(update_fields=["status"])
            else:
                audit(inv, "debit_failed_again", actor=by, note=item.get_result_code_display())
            _mail_billing(
                inv,
                "fees_debit_failed",
                kind="fees_debit_failed",
                dedupe=f"fees-debit-failed:{r.pk}:{inv.number}",
                extra={"reason": item.get_result_code_display(), "collection_date": r.collection_date},
            )
    move(
        r,
        DebitRun.Status.RESULT_IMPORTED,
        transitions=DebitRun.TRANSITIONS,
        actor=by,
        note=counts_text(counts),
    )
    r.result_imported_at = timezone.now()
    r.result_file.save(f"result-{r.collection_date:%Y%m%d}-{r.pk}.txt", ContentFile(data), save=False)
    r.save(update_fields=["status", "result_imported_at", "result_file"])
    return counts
