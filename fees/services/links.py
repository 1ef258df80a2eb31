"""Links that open one invoice's or one statement's (請求明細書) PDF without signing in (the mail, read on a phone).

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

from fees.models import Invoice, Statement
from jaim.errors import DomainError
from jaim.links import absolute_url
from jaim.states import audit

if TYPE_CHECKING:
    from members.models import User

SALT = "fees.invoice-pdf-link"


def link_signer() -> signing.TimestampSigner:
    """The links' signer (made once for a batch's many links: see pdf_link_token)."""
    return signing.TimestampSigner(salt=SALT)


def pdf_link_token(document: Invoice | Statement, signer: signing.TimestampSigner | None = None) -> str:
    """The signed token of an invoice or a statement ("k": "s"; invoice tokens carry no kind, as before).
    signer: one for a batch of links (made once)."""
    data = {"n": document.number, "v": document.pdf_link_version}
    if isinstance(document, Statement):
        data["k"] = "s"
    return (signer or link_signer()).sign_object(data)


def invoice_pdf_link(invoice: Invoice, signer: signing.TimestampSigner | None = None) -> str:
    """The absolute link to the invoice's PDF, for a mail."""
    return absolute_url("fees:invoice_link", pdf_link_token(invoice, signer))


def link_days() -> int:
    return settings.JAIM_PDF_LINK_DAYS


def statement_pdf_link(statement: Statement) -> str:
    """The absolute link to the statement's PDF, for the statement mail."""
    return absolute_url("fees:statement_link", pdf_link_token(statement))


def pdf_link_context(document: Invoice | Statement, signer: signing.TimestampSigner | None = None) -> dict:
    """What the mail says about its link: the link and for how many days it works (signer: see
    pdf_link_token)."""
    link = (
        statement_pdf_link(document)
        if isinstance(document, Statement)
        else invoice_pdf_link(document, signer)
    )
    return {"pdf_link": link, "pdf_link_days": link_days()}


def invoice_for_link(token: str) -> Invoice:
    """The invoice a link opens, or a DomainError (code expired, revoked or invalid) with the member's message."""
    document = _document_for_link(token, Invoice)
    assert isinstance(document, Invoice)
    return document


def statement_for_link(token: str) -> Statement:
    """The statement a link opens (a link to an invoice opens no statement, and the other way round)."""
    document = _document_for_link(token, Statement)
    assert isinstance(document, Statement)
    return document


def _document_for_link(token: str, model: type[Invoice] | type[Statement]) -> Invoice | Statement:
    try:
        data = link_signer().unsign_object(token, max_age=dt.timedelta(days=link_days()))
    except signing.SignatureExpired as exc:
        raise DomainError(
            _("このリンクの有効期限（%(days)s日）が過ぎています。") % {"days": link_days()}, code="expired"
        ) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise DomainError(_("このリンクは正しくありません。"), code="invalid") from exc
    number = data.get("n") if isinstance(data, dict) else None
    kind = "s" if model is Statement else None
    document = model.objects.filter(number=str(number)).first() if number and data.get("k") == kind else None
    if document is None:
        raise DomainError(_("このリンクは正しくありません。"), code="invalid")
    if data.get("v") != document.pdf_link_version:
        raise DomainError(_("このリンクは事務局により無効にされています。"), code="revoked")
    return document


@transaction.atomic
def revoke_pdf_links(documents, *, by: "User | None") -> int:
    """Refuse every link to these invoices' or statements' PDFs sent so far (a mail forwarded to the wrong person,
    say). `documents` are all invoices or all statements; a new mail of the same document carries a working link."""
    documents = list(documents)
    if not documents:
        return 0
    model = type(documents[0])
    ids = [doc.pk for doc in documents]
    model.objects.filter(pk__in=ids).update(pdf_link_version=F("pdf_link_version") + 1)
    for document in model.objects.filter(pk__in=ids):
        audit(document, "pdf_links_revoked", actor=by, note=str(document.pdf_link_version))
    return len(ids)
