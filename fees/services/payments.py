"""Payments and bank statements: money received settles invoices (R9: the first full payment activates the
membership); statement lines are matched only when name and amount agree (zengin.md §4), else reviewed."""

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from fees import kana, statements
from fees.models import BankStatementImport, BankStatementLine, Invoice, Payment, PaymentAllocation, Statement
from fees.selectors import outstanding_map, outstanding_yen
from fees.services.contacts import _mail_billing
from jaim.dates import japanese_date
from jaim.errors import DomainError
from jaim.formats import yen
from jaim.job_labels import counts_text
from jaim.states import audit, move
from members import services as member_services
from members.models import Membership

if TYPE_CHECKING:
    from members.models import User


def _mark_paid(inv: Invoice, *, on: dt.date, by: "User | None") -> None:
    move(inv, Invoice.Status.PAID, transitions=Invoice.TRANSITIONS, actor=by)
    inv.paid_on = on
    inv.save(update_fields=["status", "paid_on"])
    membership = inv.membership
    if membership.status == Membership.Status.AWAITING_PAYMENT:
        # R9: the first full payment makes the membership ACTIVE; the roster lists it from that day.
        member_services.activate_membership(membership, on=on, by=by)
    _mail_billing(
        inv, "fees_payment_received", kind="fees_payment_received", dedupe=f"fees-paid:{inv.number}"
    )


@transaction.atomic
def record_payment(
    invoices,
    *,
    amount_yen: int,
    received_on: dt.date,
    method: str = Payment.Method.TRANSFER,
    payer_name: str = "",
    reference: str = "",
    by: "User | None" = None,
    statement_line: BankStatementLine | None = None,
) -> Payment:
    """Record money received and settle the given open invoices (oldest due first). One transfer may settle
    several invoices of one company. A fully paid invoice becomes PAID and its membership ACTIVE (R9).
    More than is due is refused: the system never creates a refund (F13)."""
    ids = sorted({i.pk if hasattr(i, "pk") else int(i) for i in invoices})
    if not ids:
        raise DomainError(_("消込する請求書を選択してください。"), code="no_invoice")
    locked = list(
        Invoice.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("membership__establishment")
        .order_by("due_date", "number")
    )
    if len(locked) != len(ids):
        raise DomainError(_("請求書が見つかりません。"), code="missing")
    if any(inv.status not in Invoice.OPEN_STATUSES for inv in locked):
        raise DomainError(_("入金済み・取消済みの請求書が含まれています。"), code="not_open")
    companies = {inv.payer_id or inv.membership.establishment.organisation_id for inv in locked}
    if len(companies) > 1:
        raise DomainError(_("一度の入金で消込できるのは同じ会社の請求書だけです。"), code="several_companies")
    if amount_yen <= 0:
        raise DomainError(_("入金額は 1 円以上で入力してください。"), code="bad_amount")
    due = outstanding_map(ids)
    if amount_yen > sum(due.values()):
        raise DomainError(
            _(
                "入金額 %(a)s 円が請求残高 %(d)s 円を超えています（返金は行いません）。差額は個別に確認してください。"
            )
            % {"a": f"{amount_yen:,}", "d": f"{sum(due.values()):,}"},
            code="overpaid",
        )
    payment = Payment(
        method=method,
        received_on=received_on,
        amount_yen=amount_yen,
        payer_name=payer_name[:200],
        reference=reference[:200],
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    payment.full_clean()
    payment.save()
    left = amount_yen
    for inv in locked:
        part = min(left, due[inv.pk])
        if part <= 0:
            continue
        PaymentAllocation.objects.create(payment=payment, invoice=inv, amount_yen=part)
        left -= part
        audit(
            inv,
            "payment",
            actor=by,
            note=f"{yen(part)}（{payment.get_method_display()}、{japanese_date(received_on)}）",
        )
        if part == due[inv.pk]:
            _mark_paid(inv, on=received_on, by=by)
    if statement_line is not None:
        statement_line.payment = payment
        statement_line.save(update_fields=["payment"])
    return payment


def _dedupe_key(row: statements.StatementRow) -> str:
    raw = f"{row.booked_on}|{row.amount_yen}|{row.description_raw}|{row.balance_yen}|{row.direction}|{row.payer_name_raw}"
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def import_bank_statement(
    data: bytes, *, file_name: str, bank_format: str, by: "User | None" = None
) -> BankStatementImport:
    """Import a statement CSV: every line or none (a malformed file is refused with its line number). Incoming
    lines are matched by exact amount AND normalised payer name; anything else waits for review, never guessed."""
    try:
        rows = statements.parse_statement(data, bank_format)
    except statements.StatementFormatError as exc:
        raise DomainError(
            _("%(line)d行目：%(msg)s ファイルは取り込んでいません。")
            % {"line": exc.line, "msg": exc.message},
            code="malformed",
        ) from exc
    stmt = BankStatementImport.objects.create(
        bank_format=bank_format,
        file_name=file_name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    keys = [_dedupe_key(r) for r in rows]
    known = set(BankStatementLine.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    lines, seen = [], set()
    for row, key in zip(rows, keys, strict=True):
        if key in known or key in seen:
            continue
        seen.add(key)
        lines.append(
            BankStatementLine(
                statement=stmt,
                line_number=row.line_number,
                booked_on=row.booked_on,
                direction=row.direction,
                amount_yen=row.amount_yen,
                payer_name_raw=row.payer_name_raw[:200],
                description_raw=row.description_raw[:300],
                balance_yen=row.balance_yen,
                bank_reference=row.bank_reference[:100],
                payer_key=kana.payer_key(row.payer_name_raw or row.description_raw)[:200],
                dedupe_key=key,
                status=BankStatementLine.Status.UNMATCHED
                if row.direction == "in"
                else BankStatementLine.Status.IGNORED,
            )
        )
    BankStatementLine.objects.bulk_create(lines)
    matched = 0
    index = _open_transfer_index()
    statement_index = _open_statement_index()
    for line in BankStatementLine.objects.filter(statement=stmt, direction="in").order_by(
        "booked_on", "line_number"
    ):
        if _auto_match(line, index, statements=statement_index, by=by):
            matched += 1
    stmt.counts = {
        "rows": len(rows),
        "new": len(lines),
        "duplicates": len(rows) - len(lines),
        "incoming": sum(1 for r in lines if r.direction == "in"),
        "matched": matched,
        "unmatched": sum(1 for r in lines if r.direction == "in") - matched,
    }
    stmt.save(update_fields=["counts"])
    audit(stmt, "imported", actor=by, note=counts_text(stmt.counts))
    return stmt


def _invoice_keys(inv: Invoice) -> set[str]:
    keys = {kana.payer_key(inv.membership.establishment.organisation.name_kana)}
    if inv.payer is not None:
        keys.add(kana.payer_key(inv.payer.name_kana))
    return {k for k in keys if k}


def _open_transfer_index() -> dict:
    """Open bank-transfer invoices by normalised company kana."""
    index = defaultdict(list)
    qs = Invoice.objects.filter(
        method=Invoice.Method.TRANSFER, status__in=Invoice.OPEN_STATUSES
    ).select_related("membership__establishment__organisation", "payer")
    for inv in qs:
        for key in _invoice_keys(inv):
            index[key].append(inv)
    return index


SUBSET_LIMIT = 20  # open invoices of one company searched for the one combination that adds up


def _unique_subset(candidates: list[tuple[Invoice, int]], amount: int) -> list[Invoice] | None:
    """The one set of invoices whose outstanding amounts add up exactly to `amount`; None if none or several,
    or when the company has more than SUBSET_LIMIT open invoices (left to finance). Counts the ways to reach
    each sum up to `amount` (capped at two) instead of trying every combination."""
    if len(candidates) > SUBSET_LIMIT or amount <= 0:
        return None
    # sum -> (number of ways, capped at 2; the indexes of one way)
    ways: dict[int, tuple[int, tuple[int, ...]]] = {0: (1, ())}
    for i, (_inv, due) in enumerate(candidates):
        if due <= 0:
            continue
        for total, (count, combo) in list(ways.items()):
            new = total + due
            if new > amount:
                continue
            before = ways.get(new)
            ways[new] = (min(2, count + before[0]), before[1]) if before else (count, (*combo, i))
    count, combo = ways.get(amount, (0, ()))
    if count != 1:
        return None
    return [candidates[i][0] for i in combo]


STATEMENT_REFERENCE = re.compile(r"S\d{4}-?\d{5}")


def _open_statement_index() -> dict[str, list[Statement]]:
    """Statements with at least one invoice still open, by the normalised kana of their organisation."""
    index = defaultdict(list)
    qs = (
        Statement.objects.filter(items__invoice__status__in=Invoice.OPEN_STATUSES)
        .select_related("organisation")
        .distinct()
        .order_by("-created_at", "-id")
    )
    for st in qs:
        key = kana.payer_key(st.organisation.name_kana)
        if key:
            index[key].append(st)
    return index


def _statement_for_line(line: BankStatementLine, key: str, index: dict) -> tuple[Statement | None, str]:
    """The 請求明細書 a transfer pays: quoted by number in the description (or name): (statement, "quoted"); else
    the one statement of the payer-name's company whose total equals the amount: (statement, "name"). A quoted
    number that is unknown or ambiguous: (None, the reviewer's note); no statement applies: (None, "")."""
    text = unicodedata.normalize("NFKC", f"{line.description_raw} {line.payer_name_raw}").upper()
    quoted = {m.replace("-", "") for m in STATEMENT_REFERENCE.findall(text)}
    if quoted:
        found = list(Statement.objects.filter(number__in=[f"{q[:5]}-{q[5:]}" for q in quoted]))
        if len(found) != 1:
            return None, _("摘要の請求明細書番号が見つからないか、複数あります。")
        return found[0], "quoted"
    same_total = [st for st in index.get(key, []) if st.total_yen == line.amount_yen] if key else []
    if len({st.organisation_id for st in same_total}) == 1:
        return same_total[0], "name"  # the latest of that company with this total
    return None, ""


def _match_statement(line: BankStatementLine, statement: Statement, *, by: "User | None") -> bool:
    from fees.services.billing_statements import open_statement_invoices

    invoices, due = open_statement_invoices(statement)
    if not invoices or due != line.amount_yen:
        line.note = _("請求明細書 %(n)s の未入金額 %(d)s 円と入金額が一致しません。") % {
            "n": statement.number,
            "d": f"{due:,}",
        }
        line.save(update_fields=["note"])
        return False
    _settle_matched(
        line, invoices, reference=_("入出金明細 %(id)s（請求明細書 %(n)s）"), number=statement.number, by=by
    )
    return True


def _settle_matched(line: BankStatementLine, invoices, *, reference: str, number: str = "", by) -> None:
    record_payment(
        invoices,
        amount_yen=line.amount_yen,
        received_on=line.booked_on,
        payer_name=line.payer_name_raw or line.description_raw,
        reference=reference % {"id": line.pk, "n": number},
        by=by,
        statement_line=line,
    )
    line.status = BankStatementLine.Status.MATCHED
    line.note = ""
    line.save(update_fields=["status", "note"])
    audit(line, "status:MATCHED", actor=by, from_status="UNMATCHED", to_status="MATCHED")


def _auto_match(
    line: BankStatementLine, index: dict, *, statements: dict | None = None, by: "User | None"
) -> bool:
    key, _form, digits = kana.normalise_payer_name(line.payer_name_raw or line.description_raw)
    statement, how = _statement_for_line(line, key, statements or {})
    if statement is not None:
        if _match_statement(line, statement, by=by):
            return True
        if how == "quoted":  # the payer named the statement but the amount differs: finance settles it
            return False
        # found by name and total but no longer open for that amount: try the invoices themselves
    elif how:  # a quoted number that is unknown or ambiguous
        line.note = how
        line.save(update_fields=["note"])
        return False
    candidates = index.get(key, []) if key else []
    if digits:
        narrowed = [
            inv for inv in candidates if inv.member_number.lstrip("J").lstrip("0") == digits.lstrip("0")
        ]
        candidates = narrowed or candidates
    companies = {inv.payer_id or inv.membership.establishment.organisation_id for inv in candidates}
    if not candidates or len(companies) != 1:
        line.note = (
            _("名義が一致する未入金の請求がありません。")
            if not candidates
            else _("同じ名義の会社が複数あります。")
        )
        line.save(update_fields=["note"])
        return False
    due = outstanding_map([inv.pk for inv in candidates])
    pairs = [(inv, due[inv.pk]) for inv in candidates if due.get(inv.pk)]
    chosen = _unique_subset(pairs, line.amount_yen)
    if not chosen:
        line.note = _("名義は一致しますが、金額が一致する請求（の組合せ）が一つに決まりません。")
        line.save(update_fields=["note"])
        return False
    _settle_matched(line, chosen, reference=_("入出金明細 %(id)s"), by=by)
    for inv in chosen:  # the index is reused for the next lines of the file
        for k in _invoice_keys(inv):
            if inv in index.get(k, []) and outstanding_yen(inv) == 0:
                index[k].remove(inv)
    return True


@transaction.atomic
def settle_statement_line(line: BankStatementLine, invoices, *, by: "User | None", note: str = "") -> Payment:
    """Finance settles an unmatched incoming line against invoices it chose on the review screen."""
    ln = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if ln.direction != "in":
        raise DomainError(_("出金の明細は消込できません。"), code="not_incoming")
    move(ln, BankStatementLine.Status.MANUAL, transitions=BankStatementLine.TRANSITIONS, actor=by, note=note)
    payment = record_payment(
        invoices,
        amount_yen=ln.amount_yen,
        received_on=ln.booked_on,
        payer_name=ln.payer_name_raw or ln.description_raw,
        reference=_("入出金明細 %(id)s（手動）") % {"id": ln.pk},
        by=by,
        statement_line=ln,
    )
    ln.note = note[:300]
    ln.save(update_fields=["status", "note"])
    return payment


@transaction.atomic
def ignore_statement_line(line: BankStatementLine, *, by: "User | None", note: str) -> BankStatementLine:
    """An incoming line that is not a member fee (e.g. something else paid into the account)."""
    ln = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if not note.strip():
        raise DomainError(_("対象外とする理由を入力してください。"), code="reason_required")
    move(ln, BankStatementLine.Status.IGNORED, transitions=BankStatementLine.TRANSITIONS, actor=by, note=note)
    ln.note = note.strip()[:300]
    ln.save(update_fields=["status", "note"])
    return ln
