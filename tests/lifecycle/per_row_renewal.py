"""The renewal chunk as it was written before it became set-based, kept as the reference the set-based path is
compared with (tests/lifecycle/test_renewal_bulk.py): each invoice mail and each renewal confirmation written
through jaim.mail.queue_mail one at a time (a savepoint and an insert per message), the contacts looked up per
invoice. Not used by the application."""

import datetime as dt

from django.db import transaction

from fees import services as fee_services
from fees.models import Invoice
from fees.services.contacts import _mail_billing
from fees.services.links import pdf_link_context
from jaim.dates import fiscal_year_end
from lifecycle import selectors
from lifecycle.models import RenewalNotice, RenewalSeason
from lifecycle.services._common import batched, establishment_url, mail_each
from members.models import Membership, MembershipTerm


def send_invoice_mails_one_by_one(invoice_ids) -> int:
    sent = 0
    for inv in Invoice.objects.filter(pk__in=list(invoice_ids)).select_related(
        "membership__establishment__organisation"
    ):
        with transaction.atomic():
            _mail_billing(
                inv,
                "fees_invoice_issued",
                kind="fees_invoice_issued",
                dedupe=f"fees-invoice:{inv.number}",
                extra=pdf_link_context(inv),
            )
        sent += 1
    return sent


def renew_chunk_per_row(season: RenewalSeason, ids: list[int], *, on: dt.date) -> dict:
    year = season.fiscal_year
    issued = fee_services.issue_renewal_invoices(
        year, memberships=ids, chunk_size=max(len(ids), 1), issue_date=on, notify=False
    )["issued"]
    mails = 0
    with transaction.atomic():
        members = list(
            Membership.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status=Membership.Status.ACTIVE)
            .select_related("establishment__organisation")
            .order_by("pk")
        )
        done = set(
            RenewalNotice.objects.filter(fiscal_year=year, membership_id__in=ids).values_list(
                "membership_id", flat=True
            )
        )
        invoices = {
            inv.membership_id: inv
            for inv in Invoice.objects.filter(membership_id__in=ids, fiscal_year=year).exclude(
                status=Invoice.Status.CREDITED
            )
        }
        members = [m for m in members if m.pk not in done and m.pk in invoices]
        if not members:
            return {"issued": issued, "renewed": 0, "mails": 0}
        MembershipTerm.objects.bulk_create(
            [MembershipTerm(membership=m, fiscal_year=season.previous_year) for m in members],
            ignore_conflicts=True,
        )
        send_invoice_mails_one_by_one([invoices[m.pk].pk for m in members])
        contacts = selectors.contacts_by_establishment(m.establishment_id for m in members)
        for m in members:
            mails += mail_each(
                contacts.get(m.establishment_id, ()),
                template="lifecycle_renewal_notice",
                context={
                    "membership": m,
                    "establishment": m.establishment,
                    "invoice": invoices[m.pk],
                    "season": season,
                    "year_end": fiscal_year_end(season.previous_year),
                    "url": establishment_url(m.establishment_id),
                },
                kind="lifecycle_renewal_notice",
                dedupe=f"lifecycle-renewal:{year}:{m.pk}",
            )
        RenewalNotice.objects.bulk_create(
            [
                RenewalNotice(membership=m, fiscal_year=year, invoice=invoices[m.pk], sent_on=on)
                for m in members
            ]
        )
    return {"issued": issued, "renewed": len(members), "mails": mails}


def run_per_row(season: RenewalSeason, *, on: dt.date, chunk_size: int) -> dict:
    totals = {"issued": 0, "renewed": 0, "mails": 0}
    ids = list(selectors.renewal_due(season).order_by("pk").values_list("pk", flat=True))
    for chunk in batched(ids, chunk_size):
        for key, value in renew_chunk_per_row(season, chunk, on=on).items():
            totals[key] += value
    return totals
