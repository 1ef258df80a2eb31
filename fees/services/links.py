"""Links that open one invoice's PDF without signing in (the invoice mail, read on a phone).

A link carries the invoice number and its link version, signed with Django's TimestampSigner (SECRET_KEY, a salt
of its own): valid JAIM_PDF_LINK_DAYS days from when the mail was written, for that one invoice only, and revoked
by raising the invoice's `pdf_link_version` (every link sent before is then refused). Everything else on the
portal still needs sign-in."""

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from fees.models import Invoice
from jaim.errors import DomainError
from jaim.links import absolute_url
from jaim.states import audit

if TYPE_CHECKING:
    from members.models import User

SALT = "fees.invoice-pdf-link"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def pdf_link_token(invoice: Invoice) -> str:
    return _signer().sign_object({"n": invoice.number, "v": invoice.pdf_link_version})


def invoice_pdf_link(invoice: Invoice) -> str:
    """The absolute link to the invoice's PDF, for a mail."""
    return absolute_url("fees:invoice_link", pdf_link_token(invoice))


def link_days() -> int:
    return settings.JAIM_PDF_LINK_DAYS


def pdf_link_context(invoice: Invoice) -> dict:
    """What the invoice mail says about its link: the link and for how many days it works."""
    return {"pdf_link": invoice_pdf_link(invoice), "pdf_link_days": link_days()}


def invoice_for_link(token: str) -> Invoice:
    """The invoice a link opens, or a DomainError (code expired, revoked or invalid) with the member's message."""
    try:
        data = _signer().unsign_object(token, max_age=dt.timedelta(days=link_days()))
    except signing.SignatureExpired as exc:
        raise DomainError(
            _("このリンクの有効期限（%(days)s日）が過ぎています。") % {"days": link_days()}, code="expired"
        ) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise DomainError(_("このリンクは正しくありません。"), code="invalid") from exc
    number = data.get("n") if isinstance(data, dict) else None
    invoice = Invoice.objects.filter(number=str(number)).first() if number else None
    if invoice is None:
        raise DomainError(_("このリンクは正しくありません。"), code="invalid")
    if data.get("v") != invoice.pdf_link_version:
        raise DomainError(_("このリンクは事務局により無効にされています。"), code="revoked")
    return invoice


@transaction.atomic
def revoke_pdf_links(invoices, *, by: "User | None") -> int:
    """Refuse every link to these invoices' PDFs sent so far (a mail forwarded to the wrong person, say)."""
    ids = [inv.pk for inv in invoices]
    Invoice.objects.filter(pk__in=ids).update(pdf_link_version=F("pdf_link_version") + 1)
    for invoice in Invoice.objects.filter(pk__in=ids):
        audit(invoice, "pdf_links_revoked", actor=by, note=str(invoice.pdf_link_version))
    return len(ids)
