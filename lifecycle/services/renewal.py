"""Renewal (F7, F8, R16): next year's direct-debit invoice and the renewal confirmation, and the member's answer."""

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from fees import services as fee_services
from fees import tasks as fee_tasks
from fees.models import Invoice
from jaim import bulk
from jaim.dates import fiscal_year_end, today
from jaim.errors import DomainError
from jaim.jobs import job_run
from jaim.mail import Mail, queue_mails
from jaim.queue import enqueue
from lifecycle import selectors
from lifecycle.models import RenewalNotice, RenewalSeason
from lifecycle.services import withdrawal
from lifecycle.services._common import batched, establishment_url, mail_each, reference_day
from lifecycle.services.terms import record_answer
from members.models import Membership, MembershipTerm

if TYPE_CHECKING:
    from members.models import User

RENEWAL_JOB = "lifecycle.renewal"
RENEWAL_MAIL = "lifecycle_renewal_notice"
CHUNK_SIZE = 1000  # memberships per chunk: a constant number of statements each, one transaction each


def run_renewal(*, on: dt.date | None = None, chunk_size: int = CHUNK_SIZE) -> dict:
    """The renewal job: for every due season, each ACTIVE membership not leaving at the end of the year gets next
    year's invoice (direct debit, F7), the invoice e-mail (billing contact, F10) and the renewal confirmation.
    Selects "due and not yet done" (no RenewalNotice yet), one transaction per chunk: safe to run twice, catches
    up after missed runs, and a run killed half-way is completed by the next one without duplicates."""
    on = reference_day(on)
    with job_run(RENEWAL_JOB, on) as counts, bulk.serial_plans():
        counts.update(dict.fromkeys(["due", "invoices_issued", "renewed", "mails", "statements"], 0))
        statement_orgs: set[int] = set()
        seasons = list(selectors.due_seasons(on))
        counts["seasons"] = len(seasons)
        upcoming = on.year if on.month < 4 else on.year + 1
        if on.month in (1, 2, 3) and not RenewalSeason.objects.filter(fiscal_year=upcoming).exists():
            counts["season_missing"] = upcoming  # staff must enter the dates (admin: 会員更新の日程)
        for season in seasons:
            ids = list(selectors.renewal_due(season).order_by("pk").values_list("pk", flat=True))
            counts["due"] += len(ids)
            for chunk in batched(ids, chunk_size):
                done = renew_chunk(season, chunk, on=on)
                counts["invoices_issued"] += done["issued"]
                counts["renewed"] += done["renewed"]
                counts["mails"] += done["mails"]
                statement_orgs |= done["statement_orgs"]
        # Head offices that chose one 請求明細書: one statement each for the whole run, after every chunk (their
        # sites' invoice mails were left out of the chunks), also those a stopped run left without theirs.
        statement_orgs |= fee_services.organisations_awaiting_statement(s.fiscal_year for s in seasons)
        counts["statements"] = fee_services.issue_statements(statement_orgs, issue_date=on)
    return dict(counts)


def renew_chunk(season: RenewalSeason, ids: list[int], *, on: dt.date) -> dict:
    """Renew one chunk of memberships, set-based: the invoices (fees' bulk issue, its own transaction, numbers
    reserved per chunk from the gapless counter; idempotent), then in one transaction the terms that carry the
    answer, every e-mail of the chunk (the invoice mails to the billing contacts and the renewal confirmations
    to the sites' people) in one outbox insert, and the RenewalNotice rows that mark the chunk done. A constant
    number of statements whatever the chunk's size; the PDFs and the sending are queued once per chunk."""
    year = season.fiscal_year
    result = fee_services.issue_renewal_invoices(
        year, memberships=ids, chunk_size=max(len(ids), 1), issue_date=on, notify=False, keep=True
    )
    issued = result["issued"]
    # Issued just now: with their memberships, establishments and organisations as read to issue them.
    fresh = {inv.membership_id: inv for inv in result["invoices"]}
    with transaction.atomic():
        active = set(
            Membership.objects.select_for_update(of=("self",))
            .filter(pk__any=ids, status=Membership.Status.ACTIVE)
            .values_list("pk", flat=True)
        )
        done = set(
            RenewalNotice.objects.filter(fiscal_year=year, membership_id__any=ids).values_list(
                "membership_id", flat=True
            )
        )
        live = dict(
            Invoice.objects.filter(membership_id__any=ids, fiscal_year=year)
            .exclude(status=Invoice.Status.CREDITED)
            .values_list("membership_id", "pk")
        )
        # Without a live invoice (e.g. WITHDRAW answered meanwhile) there is nothing to renew in this run.
        todo = sorted(i for i in active if i not in done and i in live)
        if not todo:
            return {"issued": issued, "renewed": 0, "mails": 0, "statement_orgs": set()}
        invoices = {i: fresh[i] for i in todo if i in fresh and fresh[i].pk == live[i]}
        earlier = [live[i] for i in todo if i not in invoices]  # issued by an earlier, interrupted run
        if earlier:
            for inv in Invoice.objects.filter(pk__any=earlier).select_related(
                "membership__establishment__organisation__billing_preference"
            ):
                invoices[inv.membership_id] = inv
        members = [invoices[i].membership for i in todo]
        MembershipTerm.objects.bulk_create(
            [MembershipTerm(membership_id=m.pk, fiscal_year=season.previous_year) for m in members],
            ignore_conflicts=True,
        )
        # Head offices that chose one statement get it after the run instead of these per-site mails (their
        # preference came with the organisations: no query more per chunk).
        statement_orgs = {
            m.establishment.organisation_id
            for m in members
            if invoices[m.pk].payer_id is None
            and fee_services.prefers_statement(m.establishment.organisation)
        }
        mails = fee_services.invoice_mails(
            invoices[m.pk]
            for m in members
            if invoices[m.pk].payer_id is not None or m.establishment.organisation_id not in statement_orgs
        )
        contacts = selectors.contacts_by_establishment(m.establishment_id for m in members)
        year_end = fiscal_year_end(season.previous_year)
        for m in members:
            mails += renewal_notice_mails(
                m, contacts.get(m.establishment_id, ()), invoices[m.pk], season, year_end
            )
        written = queue_mails(mails)
        bulk.write(
            bulk.Table(RenewalNotice, ["membership_id", "fiscal_year", "invoice_id", "sent_on"]),
            ((m.pk, year, invoices[m.pk].pk, on) for m in members),
        )
        enqueue(fee_tasks.render_invoice_documents, [invoices[m.pk].pk for m in members])
    notices = sum(1 for row in written if row.kind == RENEWAL_MAIL)
    return {"issued": issued, "renewed": len(members), "mails": notices, "statement_orgs": statement_orgs}


def renewal_notice_mails(membership, emails, invoice, season, year_end) -> list[Mail]:
    """The renewal confirmation (R16, F8) to each of the site's people, once per address and year."""
    return [
        Mail(
            to=email,
            template=RENEWAL_MAIL,
            context={
                "membership": membership,
                "establishment": membership.establishment,
                "invoice": invoice,
                "season": season,
                "year_end": year_end,
                "url": establishment_url(membership.establishment_id),
            },
            kind=RENEWAL_MAIL,
            dedupe_key=f"lifecycle-renewal:{season.fiscal_year}:{membership.pk}:{email}"[:200],
        )
        for email in dict.fromkeys(e for e in emails if e)
    ]


@transaction.atomic
def continue_membership(membership: Membership, *, by: "User | None") -> MembershipTerm:
    """The member answers the renewal confirmation with "continue" (F8). Before the deadline this also takes back
    an earlier "withdraw at the end of the year" answer: the membership stays and next year's invoice is issued
    again."""
    m = Membership.objects.select_for_update().get(pk=membership.pk)
    season = selectors.answerable_season(m, today())
    if season is None:
        raise DomainError(_("更新確認の回答期間ではありません。"), code="not_answerable")
    request = selectors.open_withdrawal(m)
    if request is not None:
        if request.source != request.Source.RENEWAL:
            raise DomainError(
                _("退会の申出中です。継続する場合は、先に退会の申出を取り消してください。"),
                code="withdrawal_open",
            )
        withdrawal.cancel_withdrawal(request, by=by, note=_("更新確認で「継続する」と回答"))
    elif m.status != Membership.Status.ACTIVE:
        raise DomainError(_("有効な会員資格がないため回答できません。"), code="not_active")
    term = record_answer(m, season.previous_year, MembershipTerm.Answer.CONTINUE, by=by)
    mail_each(
        selectors.contacts_by_establishment([m.establishment_id]).get(m.establishment_id, ()),
        template="lifecycle_renewal_continued",
        context={
            "membership": m,
            "establishment": m.establishment,
            "season": season,
            "url": establishment_url(m.establishment_id),
        },
        kind="lifecycle_renewal_continued",
        dedupe=None,
    )
    return term
