"""The timeline of an establishment (or of an organisation, its sites merged): one chronological list, newest first,
built from the records that already exist — application status history and every other audit row, invoices,
credit notes, payments, direct-debit results, mails in the outbox, roster listing periods, withdrawal requests,
lapses, renewal notices and answers — plus the staff notes (backoffice.StaffNote).

One query per kind of record, whatever the number of events (the page is cut after the merge): the number of
queries does not grow with the history (tests/backoffice/test_timeline.py). Mails are linked by their recipient and
the numbers they name (`_mails`).
Staff only: nothing here is shown on the portal."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from backoffice.models import StaffNote
from fees.models import BillingContact, CreditNote, DebitItem, Invoice, PaymentAllocation
from jaim.dates import japanese_date
from jaim.formats import yen
from jaim.models import AuditEvent, OutboxMessage
from lifecycle.models import Lapse, RenewalNotice, WithdrawalRequest
from members.models import Access, Establishment, Membership, MembershipTerm, Organisation
from roster.models import ListingPeriod

PER_PAGE = 50

# What the kind filter offers: the note kinds, then the kinds of record.
APPLICATION, INVOICE, PAYMENT, CREDIT, DEBIT, MAIL, ROSTER, LIFECYCLE, AUDIT, NOTE = (
    "application",
    "invoice",
    "payment",
    "credit",
    "debit",
    "mail",
    "roster",
    "lifecycle",
    "audit",
    "note",
)
CATEGORIES = {
    NOTE: _("職員メモ（すべて）"),
    APPLICATION: _("申請と審査"),
    INVOICE: _("請求書"),
    PAYMENT: _("入金"),
    CREDIT: _("赤伝（請求取消）"),
    DEBIT: _("口座振替の結果"),
    MAIL: _("送信メール"),
    ROSTER: _("会員名簿の掲載"),
    LIFECYCLE: _("更新・退会・失効"),
    AUDIT: _("操作の記録"),
}


def kind_choices():
    """(value, label) for the filter: each note kind ("note:PHONE"…), then each kind of record."""
    notes = [
        (f"{NOTE}:{value}", _("職員メモ：%(kind)s") % {"kind": label})
        for value, label in StaffNote.Kind.choices
    ]
    return [(NOTE, CATEGORIES[NOTE]), *notes, *((k, v) for k, v in CATEGORIES.items() if k != NOTE)]


@dataclass
class Event:
    at: dt.datetime
    category: str
    title: str
    detail: str = ""
    site: str = ""
    link: str = ""
    note: StaffNote | None = None
    actor: str = ""
    sort_key: tuple = field(default=())

    @property
    def category_label(self) -> str:
        return str(CATEGORIES.get(self.category, ""))


def _on(day: dt.date, recorded: dt.datetime | None = None) -> dt.datetime:
    """When a dated record (a payment's value date, a listing period's first day) happened: the time it was
    recorded if that was on the day itself, else the start of the day."""
    if recorded is not None and timezone.localtime(recorded).date() == day:
        return recorded
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _admin(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _who(user) -> str:
    if user is None:
        return str(_("システム"))
    return getattr(user, "get_full_name", lambda: "")() or user.email


@dataclass
class Scope:
    """Whose timeline: one establishment, or all the sites of an organisation."""

    establishments: list
    organisation: Organisation | None = None

    @property
    def ids(self) -> list[int]:
        return [e.pk for e in self.establishments]

    @property
    def merged(self) -> bool:
        return self.organisation is not None


def for_establishment(establishment: Establishment) -> Scope:
    return Scope(establishments=[establishment])


def for_organisation(organisation: Organisation) -> Scope:
    return Scope(establishments=list(organisation.establishments.all()), organisation=organisation)


def events(scope: Scope, *, kind: str = "", q: str = "") -> list[Event]:
    """Every event of the scope, newest first. `kind`: a category, or "note:<KIND>" for one note kind; `q`:
    searches the notes' text (and then only notes are listed)."""
    category, _sep, note_kind = kind.partition(":")
    if category and category not in CATEGORIES:
        category = ""
    if q:
        category = NOTE
    wanted = (lambda c: c == category) if category else (lambda c: True)
    ids = scope.ids
    names = {e.pk: e.name for e in scope.establishments}
    site = (lambda est_id: names.get(est_id, "")) if scope.merged else (lambda est_id: "")
    out: list[Event] = []
    if not ids:
        return out

    memberships = {}
    if any(wanted(c) for c in (INVOICE, PAYMENT, CREDIT, DEBIT, ROSTER, LIFECYCLE, AUDIT, MAIL)):
        memberships = {m.pk: m for m in Membership.objects.filter(establishment_id__in=ids)}
    m_ids = list(memberships)

    def m_site(membership_id):
        m = memberships.get(membership_id)
        return site(m.establishment_id) if m else ""

    applications = {}
    if wanted(APPLICATION) or wanted(AUDIT) or wanted(MAIL):
        applications = {a.pk: a for a in Application.objects.filter(establishment_id__in=ids)}
    invoices = {}
    if m_ids and (wanted(INVOICE) or wanted(AUDIT) or wanted(LIFECYCLE) or wanted(MAIL)):
        invoices = {
            i.pk: i for i in Invoice.objects.filter(membership_id__in=m_ids).select_related("issued_by")
        }
        if wanted(INVOICE):
            for inv in invoices.values():
                out.append(
                    Event(
                        at=inv.created_at,
                        category=INVOICE,
                        title=str(_("請求書 %(number)s を発行（%(kind)s、%(amount)s、支払期限 %(due)s）"))
                        % {
                            "number": inv.number,
                            "kind": inv.get_kind_display(),
                            "amount": yen(inv.total_yen),
                            "due": japanese_date(inv.due_date),
                        },
                        detail=str(_("現在の状態：%(status)s")) % {"status": inv.get_status_display()},
                        site=m_site(inv.membership_id),
                        link=_admin(inv),
                        actor=_who(inv.issued_by),
                    )
                )
    if m_ids and wanted(CREDIT):
        for cn in CreditNote.objects.filter(invoice__membership_id__in=m_ids).select_related(
            "invoice", "issued_by"
        ):
            out.append(
                Event(
                    at=cn.created_at,
                    category=CREDIT,
                    title=str(_("赤伝 %(number)s（請求書 %(invoice)s を %(amount)s 減額）"))
                    % {"number": cn.number, "invoice": cn.invoice.number, "amount": yen(cn.amount_yen)},
                    detail=cn.reason,
                    site=m_site(cn.invoice.membership_id),
                    link=_admin(cn),
                    actor=_who(cn.issued_by),
                )
            )
    if m_ids and wanted(PAYMENT):
        for al in PaymentAllocation.objects.filter(invoice__membership_id__in=m_ids).select_related(
            "payment__recorded_by", "invoice"
        ):
            p = al.payment
            out.append(
                Event(
                    at=_on(p.received_on, p.created_at),
                    category=PAYMENT,
                    title=str(_("入金 %(amount)s（%(method)s、請求書 %(invoice)s に充当）"))
                    % {
                        "amount": yen(al.amount_yen),
                        "method": p.get_method_display(),
                        "invoice": al.invoice.number,
                    },
                    detail=" ".join(x for x in (p.payer_name, p.reference) if x),
                    site=m_site(al.invoice.membership_id),
                    link=_admin(p),
                    sort_key=(p.created_at.timestamp(),),
                    actor=_who(p.recorded_by),
                )
            )
    if m_ids and wanted(DEBIT):
        for item in DebitItem.objects.filter(invoice__membership_id__in=m_ids).select_related(
            "run", "invoice"
        ):
            run = item.run
            out.append(
                Event(
                    at=run.result_imported_at or run.created_at,
                    category=DEBIT,
                    title=str(_("口座振替（振替日 %(day)s、%(amount)s、請求書 %(invoice)s）：%(result)s"))
                    % {
                        "day": japanese_date(run.collection_date),
                        "amount": yen(item.amount_yen),
                        "invoice": item.invoice.number,
                        "result": item.get_result_code_display(),
                    },
                    site=m_site(item.invoice.membership_id),
                    link=_admin(run),
                )
            )
    if m_ids and wanted(ROSTER):
        for period in ListingPeriod.objects.filter(entry__membership_id__in=m_ids).select_related("entry"):
            where = m_site(period.entry.membership_id)
            out.append(
                Event(
                    at=_on(period.listed_from, period.created_at),
                    category=ROSTER,
                    title=str(_("会員名簿に掲載（%(reason)s）"))
                    % {"reason": period.get_listed_reason_display()},
                    site=where,
                )
            )
            if period.delisted_on:
                out.append(
                    Event(
                        at=_on(period.delisted_on, period.updated_at),
                        category=ROSTER,
                        title=str(_("会員名簿から掲載終了（%(reason)s）"))
                        % {"reason": period.get_delisted_reason_display()},
                        site=where,
                    )
                )
    withdrawals, lapses = {}, {}
    if m_ids and (wanted(LIFECYCLE) or wanted(AUDIT)):
        withdrawals = {w.pk: w for w in WithdrawalRequest.objects.filter(membership_id__in=m_ids)}
        lapses = {lp.pk: lp for lp in Lapse.objects.filter(membership_id__in=m_ids)}
    if m_ids and wanted(LIFECYCLE):
        for w in withdrawals.values():
            out.append(
                Event(
                    at=w.requested_at,
                    category=LIFECYCLE,
                    title=str(_("退会の申出（%(source)s、退会予定日 %(day)s）：%(status)s"))
                    % {
                        "source": w.get_source_display(),
                        "day": japanese_date(w.effective_on),
                        "status": w.get_status_display(),
                    },
                    detail=w.reason,
                    site=m_site(w.membership_id),
                    link=_admin(w),
                )
            )
        for lp in lapses.values():
            out.append(
                Event(
                    at=_on(lp.lapsed_on, lp.created_at),
                    category=LIFECYCLE,
                    title=str(_("会費未納により失効"))
                    + (
                        str(_("（%(day)s に復活）")) % {"day": japanese_date(lp.reinstated_on)}
                        if lp.reinstated_on
                        else ""
                    ),
                    site=m_site(lp.membership_id),
                    link=_admin(lp),
                    sort_key=(lp.created_at.timestamp(),),
                )
            )
        for notice in RenewalNotice.objects.filter(membership_id__in=m_ids):
            out.append(
                Event(
                    at=notice.created_at,
                    category=LIFECYCLE,
                    title=str(_("%(fy)d年度の更新のご案内を送付")) % {"fy": notice.fiscal_year},
                    site=m_site(notice.membership_id),
                )
            )
        for term in MembershipTerm.objects.filter(
            membership_id__in=m_ids, answered_at__isnull=False
        ).select_related("answered_by"):
            out.append(
                Event(
                    at=term.answered_at,
                    category=LIFECYCLE,
                    title=str(_("%(fy)d年度の継続意思の回答：%(answer)s"))
                    % {"fy": term.fiscal_year, "answer": term.get_renewal_answer_display()},
                    site=m_site(term.membership_id),
                    actor=_who(term.answered_by),
                )
            )
    if wanted(MAIL):
        numbers = [m.member_number for m in memberships.values()]
        numbers += [i.number for i in invoices.values()]
        numbers += [a.receipt_number for a in applications.values() if a.receipt_number]
        out += _mails(scope, numbers)
    if wanted(APPLICATION) or wanted(AUDIT):
        out += _audit_rows(scope, memberships, applications, invoices, withdrawals, lapses, wanted, site)
    if wanted(NOTE):
        notes = StaffNote.objects.filter(establishment_id__in=ids).select_related("author", "struck_by")
        if note_kind in StaffNote.Kind.values:
            notes = notes.filter(kind=note_kind)
        if q:
            notes = notes.filter(text__icontains=q)
        for note in notes:
            out.append(
                Event(
                    at=note.created_at,
                    category=NOTE,
                    title=note.get_kind_display(),
                    detail=note.text,
                    site=site(note.establishment_id),
                    note=note,
                    actor=_who(note.author),
                )
            )
    out.sort(key=lambda e: (e.at, e.sort_key), reverse=True)
    return out


def _mails(scope: Scope, numbers: list[str]) -> list[Event]:
    """Mails to the people who act for the scope and to its billing contacts. A head office's people also get the
    mails of its other sites: on one establishment's timeline, a mail to them is shown when it names one of the
    establishment's numbers (member number, invoice, application receipt); a mail to its own site staff or
    billing contact always."""
    ids = scope.ids
    org_ids = {e.organisation_id for e in scope.establishments}
    own, shared = set(), set()
    for email, est_id in Access.objects.filter(
        Q(establishment_id__in=ids) | Q(organisation_id__in=org_ids)
    ).values_list("user__email", "establishment_id"):
        (own if est_id else shared).add(email)
    for email, est_id in BillingContact.objects.filter(
        Q(establishment_id__in=ids) | Q(organisation_id__in=org_ids)
    ).values_list("email", "establishment_id"):
        (own if est_id else shared).add(email)
    if scope.merged:
        own, shared = own | shared, set()
    shared -= own
    cond = Q(to__in=sorted(own)) if own else Q(pk__in=[])
    if shared and numbers:
        named = Q(pk__in=[])
        for number in numbers:
            named |= Q(subject__contains=number) | Q(body__contains=number)
        cond |= Q(to__in=sorted(shared)) & named
    if not own and not (shared and numbers):
        return []
    return [
        Event(
            at=m.created_at,
            category=MAIL,
            title=str(_("メール「%(subject)s」")) % {"subject": m.subject},
            detail=str(_("宛先 %(to)s・%(status)s")) % {"to": m.to, "status": m.get_status_display()},
            link=_admin(m),
        )
        for m in OutboxMessage.objects.filter(cond).only("pk", "created_at", "subject", "to", "status")
    ]


def _audit_rows(scope, memberships, applications, invoices, withdrawals, lapses, wanted, site) -> list[Event]:
    """Audit rows about the scope's records (one query): an application's status history under 申請と審査,
    everything else under 操作の記録."""
    targets = {Establishment: scope.ids}
    if scope.organisation is not None:
        targets[Organisation] = [scope.organisation.pk]
    if wanted(AUDIT):
        targets.update(
            {
                Membership: list(memberships),
                Invoice: list(invoices),
                WithdrawalRequest: list(withdrawals),
                Lapse: list(lapses),
            }
        )
    targets[Application] = list(applications)
    cts = ContentType.objects.get_for_models(*targets)
    cond = Q(pk__in=[])
    for model, pks in targets.items():
        if pks:
            cond |= Q(content_type=cts[model], object_id__in=[str(pk) for pk in pks])
    app_ct = cts[Application].pk
    out = []
    for row in AuditEvent.objects.filter(cond).select_related("actor"):
        is_app = row.content_type_id == app_ct
        if not wanted(APPLICATION if is_app else AUDIT):
            continue
        model = next(m for m in targets if cts[m].pk == row.content_type_id)
        obj = {
            Application: applications,
            Membership: memberships,
            Invoice: invoices,
            WithdrawalRequest: withdrawals,
            Lapse: lapses,
        }.get(model, {}).get(int(row.object_id))
        label = model._meta.verbose_name
        if is_app and obj is not None:
            label = str(_("申請 %(number)s（%(kind)s）")) % {
                "number": obj.receipt_number or f"#{obj.pk}",
                "kind": obj.get_kind_display(),
            }
        elif obj is not None:
            label = f"{label} {obj}"
        change = ""
        if row.from_status or row.to_status:
            choices = dict(model._meta.get_field("status").choices) if _has_status(model) else {}
            change = f"：{choices.get(row.from_status, row.from_status) or '—'} → {choices.get(row.to_status, row.to_status)}"
        est_id = getattr(obj, "establishment_id", None)
        if est_id is None and hasattr(obj, "membership_id"):
            m = memberships.get(obj.membership_id)
            est_id = m.establishment_id if m else None
        if model is Establishment:
            est_id = int(row.object_id)
        out.append(
            Event(
                at=row.created_at,
                category=APPLICATION if is_app else AUDIT,
                title=f"{label}{_action_label(row.action)}{change}",
                detail=row.note,
                site=site(est_id) if est_id else "",
                link=_admin(obj) if obj is not None else "",
                actor=_who(row.actor),
                sort_key=(row.pk,),
            )
        )
    return out


def _has_status(model) -> bool:
    try:
        model._meta.get_field("status")
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: no status to name
        return False
    return True


ACTIONS = {
    "created": _("を作成"),
    "edited": _("を編集"),
    "updated": _("を更新"),
    "saved": _("を保存"),
    "registered": _("を登録"),
    "issued": _("を発行"),
    "payment": _("に入金を記録"),
    "credit_note": _("に赤伝を発行"),
    "receipt": _("の領収書を発行"),
    "pdf_links_revoked": _("のPDFリンクを無効化"),
    "answers_saved": _("の回答を保存"),
    "document_uploaded": _("に書類を提出"),
    "document_removed": _("の書類を削除"),
    "pledges_accepted": _("の誓約に同意"),
    "code_added": _("に産業分類を追加"),
    "code_removed": _("から産業分類を削除"),
    "access_granted": _("の操作権限を付与"),
    "access_revoked": _("の操作権限を削除"),
    "support_granted": _("を登録支援機関に委任"),
    "support_revoked": _("の登録支援機関への委任を取消し"),
    "renewal_answer": _("の継続意思の回答"),
    "requested": _("の申出"),
    "lapsed": _("の失効"),
    "reinstated": _("の復活"),
    "anonymised": _("を匿名化"),
}


def _action_label(action: str) -> str:
    if action.startswith("status:"):
        return str(_("の状態を変更"))
    return str(ACTIONS.get(action, f"（{action}）"))
