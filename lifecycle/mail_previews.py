"""Previews of mails on a real member, for the administrators' mail wording pages (jaim.mailtemplates.PREVIEWS):
the context each mail's caller builds, from the member number's membership. Read only."""

from applications.models import Application
from fees.models import Invoice
from jaim.dates import fiscal_year_end
from jaim.links import absolute_url
from jaim.mailtemplates import preview
from lifecycle.models import RenewalSeason
from lifecycle.services._common import establishment_url
from members.models import Membership


def _membership(member_number: str) -> Membership | None:
    return (
        Membership.objects.select_related("establishment__organisation")
        .filter(member_number=member_number)
        .first()
    )


def _invoice(m: Membership) -> Invoice | None:
    return Invoice.objects.filter(membership=m).order_by("-fiscal_year", "-pk").first()


@preview("lifecycle_renewal_notice")
def renewal_notice(member_number: str) -> dict | None:
    m = _membership(member_number)
    season = RenewalSeason.objects.order_by("-fiscal_year").first()
    invoice = _invoice(m) if m else None
    if m is None or season is None or invoice is None:
        return None
    return {
        "membership": m, "establishment": m.establishment, "invoice": invoice, "season": season,
        "year_end": fiscal_year_end(season.previous_year), "url": establishment_url(m.establishment_id),
    }  # fmt: skip


@preview("fees_invoice_issued")
def invoice_issued(member_number: str) -> dict | None:
    m = _membership(member_number)
    invoice = _invoice(m) if m else None
    return None if invoice is None else {"invoice": invoice, "pdf_link": "", "pdf_link_days": 0}


def _application(member_number: str) -> dict | None:
    m = _membership(member_number)
    app = (
        Application.objects.filter(establishment_id=m.establishment_id).order_by("-pk").first() if m else None
    )
    if app is None:
        return None
    url = absolute_url("applications:detail", app.pk)
    return {"application": app, "establishment": m.establishment, "url": url, "resubmission": False}


preview("application_received")(_application)
preview("application_approved")(_application)
