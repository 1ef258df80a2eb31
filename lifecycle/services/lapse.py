"""Lapse (design §4): a renewal fee still unpaid after the grace period → LAPSED and delisted; finance reinstates
the membership when the payment arrives, and the roster keeps the gap."""

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from fees.models import Invoice
from jaim.dates import japanese_date, today
from jaim.errors import DomainError
from jaim.jobs import job_run
from jaim.states import audit
from lifecycle import selectors
from lifecycle.models import Lapse, RenewalSeason
from lifecycle.services._common import establishment_url, mail_each, reference_day
from members import services as member_services
from members.models import Membership

if TYPE_CHECKING:
    from members.models import User

LAPSE_JOB = "lifecycle.lapse"


def lapse_due(on: dt.date) -> list[tuple[int, dt.date]]:
    """(invoice id, lapse day) of renewal invoices still open whose membership is ACTIVE and whose grace period
    ended on or before `on` — every one not lapsed yet, whatever day the grace ended (catch-up). The grace runs
    from the debit date, or from the issue date for an invoice issued after it (a member renewed late)."""
    seasons = {s.fiscal_year: s for s in RenewalSeason.objects.all()}
    rows = (
        Invoice.objects.filter(
            kind=Invoice.Kind.ANNUAL,
            status__in=Invoice.OPEN_STATUSES,
            membership__status=Membership.Status.ACTIVE,
            fiscal_year__in=list(seasons),
            due_date__lte=on,
        )
        .order_by("due_date", "pk")
        .values_list("pk", "fiscal_year", "due_date", "issue_date")
    )
    out = []
    for pk, year, due, issued in rows:
        day = seasons[year].lapse_day(max(due, issued))
        if day <= on:
            out.append((pk, day))
    return out


def lapse_unpaid_memberships(*, on: dt.date | None = None) -> dict:
    """The lapse job: each membership whose renewal invoice is still unpaid when its grace period ends becomes
    LAPSED from the day the grace ended (delisted that day) and is told. One transaction per membership; a
    second run finds nothing to do."""
    on = reference_day(on)
    with job_run(LAPSE_JOB, on) as counts:
        counts["lapsed"] += 0
        for pk, day in lapse_due(on):
            with transaction.atomic():
                inv = (
                    Invoice.objects.select_for_update().select_related("membership__establishment").get(pk=pk)
                )
                m = Membership.objects.select_for_update().get(pk=inv.membership_id)
                if inv.status not in Invoice.OPEN_STATUSES or m.status != Membership.Status.ACTIVE:
                    continue
                member_services._lapse_membership(
                    m, on=day, note=_("会費未納（請求書 %(number)s）") % {"number": inv.number}
                )
                lapse = Lapse.objects.create(membership=m, invoice=inv, lapsed_on=day)
                audit(lapse, "lapsed", note=inv.number)
                est_id = m.establishment_id
                emails = [
                    *selectors.contacts_by_establishment([est_id]).get(est_id, ()),
                    *selectors.billing_emails_by_establishment([est_id]).values(),
                ]
                mail_each(
                    emails,
                    template="lifecycle_lapsed",
                    context={
                        "membership": m,
                        "establishment": inv.membership.establishment,
                        "invoice": inv,
                        "lapse": lapse,
                        "url": establishment_url(est_id),
                    },
                    kind="lifecycle_lapsed",
                    dedupe=f"lifecycle-lapsed:{inv.pk}",
                )
                counts["lapsed"] += 1
    return dict(counts)


@transaction.atomic
def reinstate_membership(lapse: Lapse, *, by: "User | None", on: dt.date | None = None) -> Lapse:
    """Finance reinstates a lapsed membership once nothing is left unpaid: ACTIVE and listed again from `on`
    (today by default). The roster shows the gap between the lapse and this day."""
    lp = Lapse.objects.select_for_update().select_related("membership", "invoice").get(pk=lapse.pk)
    if lp.reinstated_on is not None:
        raise DomainError(_("この失効は既に復活の処理が済んでいます。"), code="already_reinstated")
    open_numbers = list(
        Invoice.objects.filter(membership_id=lp.membership_id, status__in=Invoice.OPEN_STATUSES).values_list(
            "number", flat=True
        )
    )
    if open_numbers:
        raise DomainError(
            _("未納の請求書があるため復活できません（%(numbers)s）。入金を記録してから処理してください。")
            % {"numbers": "、".join(open_numbers)},
            code="unpaid",
        )
    on = on or today()
    if on < lp.lapsed_on:
        raise DomainError(_("復活日は失効日以降の日付にしてください。"), code="bad_date")
    m = member_services._reinstate_membership(
        lp.membership,
        on=on,
        by=by,
        note=_("入金確認による復活（請求書 %(number)s）") % {"number": lp.invoice.number},
    )
    lp.reinstated_on, lp.reinstated_by = on, by
    lp.full_clean()
    lp.save(update_fields=["reinstated_on", "reinstated_by"])
    audit(lp, "reinstated", actor=by, note=japanese_date(on))
    mail_each(
        selectors.contacts_by_establishment([m.establishment_id]).get(m.establishment_id, ()),
        template="lifecycle_reinstated",
        context={
            "membership": m,
            "establishment": m.establishment,
            "lapse": lp,
            "url": establishment_url(m.establishment_id),
        },
        kind="lifecycle_reinstated",
        dedupe=f"lifecycle-reinstated:{lp.pk}",
    )
    return lp
