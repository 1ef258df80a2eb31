"""Billing contacts (F10): the 請求書送付先 of an establishment or its organisation, and the e-mail about money
that goes to it."""

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fees.models import BillingContact, Invoice
from fees.selectors import billing_contact_for
from jaim.errors import DomainError
from jaim.mail import Mail, queue_mail
from jaim.states import audit
from members.models import Access, Establishment

if TYPE_CHECKING:
    from members.models import User

BILLING_FIELDS = [
    "addressee",
    "department",
    "person_name",
    "email",
    "postal_code",
    "prefecture",
    "city",
    "address_line",
    "phone",
]


@dataclass(frozen=True)
class Recipient:
    name: str
    department: str
    person: str
    postal_code: str
    address: str
    emails: tuple[str, ...]


def _manager_emails(organisation_ids) -> dict[int, tuple[str, ...]]:
    out = defaultdict(list)
    for org_id, email in (
        Access.objects.filter(
            organisation_id__any=list(organisation_ids), can_manage=True, user__is_active=True
        )
        .order_by("created_at")
        .values_list("organisation_id", "user__email")
    ):
        out[org_id].append(email)
    return {k: tuple(v) for k, v in out.items()}


def _recipient(establishment, contact, payer, managers: dict) -> Recipient:
    if contact is not None:
        return Recipient(
            contact.addressee,
            contact.department,
            contact.person_name,
            contact.postal_code,
            contact.full_address,
            (contact.email,),
        )
    org = payer or establishment.organisation
    return Recipient(org.name, "", "", org.postal_code, org.full_address, managers.get(org.pk, ()))


@transaction.atomic
def save_billing_contact(
    establishment: Establishment, *, data: dict, for_organisation: bool = False, by: "User | None"
) -> BillingContact:
    """Set the 請求書送付先 of one establishment, or of its whole organisation (head office only)."""
    from members import selectors

    if for_organisation:
        if not selectors.organisations_for(by).filter(pk=establishment.organisation_id).exists():
            raise DomainError(_("法人全体の送付先を設定する権限がありません。"), code="forbidden")
        contact = (
            BillingContact.objects.select_for_update()
            .filter(organisation_id=establishment.organisation_id)
            .first()
        )
        contact = contact or BillingContact(organisation_id=establishment.organisation_id)
    else:
        contact = BillingContact.objects.select_for_update().filter(establishment=establishment).first()
        contact = contact or BillingContact(establishment=establishment)
    for f in BILLING_FIELDS:
        if f in data:
            setattr(contact, f, data[f] or "")
    try:
        contact.full_clean()
    except ValidationError as exc:
        raise DomainError("; ".join(exc.messages), code="invalid") from exc
    contact.save()
    audit(contact, "saved", actor=by)
    return contact


def _mail_billing(inv: Invoice, template: str, *, kind: str, dedupe: str, extra: dict | None = None) -> None:
    """E-mail about money goes to the billing contact only (F10); without one, to the payer's managers."""
    est = inv.membership.establishment
    contact = billing_contact_for(est)
    if contact:
        emails = [contact.email]
    else:
        org_id = inv.payer_id or est.organisation_id
        emails = list(_manager_emails([org_id]).get(org_id, ()))
    for email in emails:
        queue_mail(
            to=email,
            template=template,
            context={"invoice": inv, "establishment": est, **(extra or {})},
            kind=kind,
            dedupe_key=f"{dedupe}:{email}",
        )


def billing_mails(invoices, template: str, *, kind: str, dedupe) -> list[Mail]:
    """The messages _mail_billing writes, for many invoices at once (F10: the billing contact only, the
    establishment's own before its organisation's; without one, the payer's managers): two queries whatever
    the number of invoices. `invoices` come with membership__establishment__organisation; `dedupe(invoice)` is
    the key each message's address is appended to. Queue them with jaim.mail.queue_mails."""
    invoices = list(invoices)
    if not invoices:
        return []
    establishments = [inv.membership.establishment for inv in invoices]
    own, org = {}, {}
    for c in BillingContact.objects.filter(
        Q(establishment_id__any={e.pk for e in establishments})
        | Q(organisation_id__any={e.organisation_id for e in establishments})
    ):
        if c.establishment_id:
            own[c.establishment_id] = c
        else:
            org[c.organisation_id] = c
    contact_of = {e.pk: own.get(e.pk) or org.get(e.organisation_id) for e in establishments}
    orphans = {inv.payer_id or est.organisation_id for inv, est in zip(invoices, establishments, strict=True)
               if contact_of[est.pk] is None}  # fmt: skip
    managers = _manager_emails(orphans) if orphans else {}
    mails = []
    for inv, est in zip(invoices, establishments, strict=True):
        contact = contact_of[est.pk]
        emails = [contact.email] if contact else list(managers.get(inv.payer_id or est.organisation_id, ()))
        key = dedupe(inv)
        mails += [
            Mail(
                to=email,
                template=template,
                context={"invoice": inv, "establishment": est},
                kind=kind,
                dedupe_key=f"{key}:{email}",
            )
            for email in emails
        ]
    return mails
