"""Reads: who receives an announcement, who may see member resources, what the public archive lists."""

import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from backoffice.models import Announcement, Audience, InfoSubscriber, MemberResource
from members import selectors as member_selectors
from members.models import Access, Membership, SupportGrant

User = get_user_model()
ANONYMISED_DOMAIN = "@invalid.jaim.example"  # members.services.anonymised_email

# A member is a person acting for an establishment whose membership is in force: paid and not withdrawn. One that
# asked to withdraw stays a member until the withdrawal takes effect (R11).
MEMBER_STATUSES = (Membership.Status.ACTIVE, Membership.Status.WITHDRAWAL_REQUESTED)


# --- audiences ----------------------------------------------------------------------------------------------


def supporting_member_users() -> QuerySet:
    """Users who may act for an establishment with an open membership (賛助会員): head office, site staff, and a
    support organisation's users acting for it."""
    open_statuses = Membership.OPEN_STATUSES
    org = Access.objects.filter(
        user_id=OuterRef("pk"), organisation__establishments__memberships__status__in=open_statuses
    )
    site = Access.objects.filter(user_id=OuterRef("pk"), establishment__memberships__status__in=open_statuses)
    support = SupportGrant.objects.filter(
        revoked_at__isnull=True,
        establishment__memberships__status__in=open_statuses,
        support_organisation__accesses__user_id=OuterRef("pk"),
    )
    return User.objects.filter(is_active=True).filter(Q(Exists(org)) | Q(Exists(site)) | Q(Exists(support)))


def information_member_users() -> QuerySet:
    """Users of registered support organisations (情報会員・協力機関, free)."""
    support = Access.objects.filter(user_id=OuterRef("pk"), organisation__is_support_organisation=True)
    return User.objects.filter(is_active=True).filter(Exists(support))


def active_subscribers() -> QuerySet:
    return InfoSubscriber.objects.filter(status=InfoSubscriber.Status.ACTIVE)


@dataclass(frozen=True)
class Recipient:
    email: str
    subscriber_id: (
        int | None
    )  # set when the address receives it as a subscriber: the mail carries an unsubscribe link


def recipients(audiences) -> list[Recipient]:
    """Everyone in the chosen audiences, once per e-mail address (compared in lower case)."""
    emails: dict[str, int | None] = {}
    if Audience.SUPPORTING in audiences:
        for email in supporting_member_users().values_list("email", flat=True).iterator():
            emails.setdefault(email.lower(), None)
    if Audience.INFORMATION in audiences:
        for email in information_member_users().values_list("email", flat=True).iterator():
            emails.setdefault(email.lower(), None)
    if Audience.SUBSCRIBERS in audiences:
        for pk, email in active_subscribers().values_list("pk", "email").iterator():
            emails[email.lower()] = pk
    return [
        Recipient(email, sub)
        for email, sub in sorted(emails.items())
        if not email.endswith(ANONYMISED_DOMAIN)
    ]


def dedupe_key(announcement, email: str) -> str:
    """One e-mail per announcement and address, however often it is sent."""
    return f"announcement:{announcement.pk}:{hashlib.sha256(email.lower().encode()).hexdigest()[:40]}"


# --- public archive -------------------------------------------------------------------------------------------


def public_announcements() -> QuerySet:
    return Announcement.objects.filter(status=Announcement.Status.PUBLISHED, is_public=True).order_by(
        "-published_at", "-id"
    )


# --- member resources -----------------------------------------------------------------------------------------


def is_member_user(user) -> bool:
    """The user acts for at least one establishment whose membership is in force."""
    if not user.is_authenticated:
        return False
    return member_selectors.establishments_for(user).filter(memberships__status__in=MEMBER_STATUSES).exists()


def resources_for(user) -> QuerySet:
    """Published resources, for members only (anyone else: none)."""
    if not is_member_user(user):
        return MemberResource.objects.none()
    return MemberResource.objects.filter(status=MemberResource.Status.PUBLISHED).order_by(
        "order", "-published_at", "id"
    )


def get_resource_for(user, pk) -> MemberResource:
    """The resource, or 404 for anyone who is not a member (and for unpublished ones)."""
    return get_object_or_404(resources_for(user), pk=pk)


def subscriber_for_email(email: str) -> InfoSubscriber | None:
    return InfoSubscriber.objects.filter(email__iexact=email).first()


def council_records_for(establishment, *, limit: int = 10) -> list:
    """Former council (協議会) records that may concern an establishment (R17): linked to it, or of the same 法人番号
    and not yet linked to another site. Newest first."""
    from backoffice.models import CouncilRecord

    match = Q(establishment=establishment)
    corporate_number = establishment.organisation.corporate_number
    if corporate_number:
        match |= Q(corporate_number=corporate_number, establishment__isnull=True)
    return list(CouncilRecord.objects.filter(match).order_by("-council_joined_on", "-pk")[:limit])
