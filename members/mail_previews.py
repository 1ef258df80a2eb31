"""Previews of the members app's mails on a real member, for the administrators' mail wording pages
(jaim.mailtemplates.PREVIEWS): the context each mail's caller builds, from the member number. Read only.

The sign-up and password mails are shown for a person who acts for the member, with a placeholder instead of the
link: a preview never makes a working token."""

from jaim.links import absolute_url
from jaim.mailtemplates import preview
from members.models import Access, IdentityChange, Membership, User

PREVIEW_LINK = "https://jaim.example.jp/（プレビューのため実際のリンクは作りません）/"


def membership(member_number: str) -> Membership | None:
    """The membership a member number names (with its establishment and organisation), or None."""
    return (
        Membership.objects.select_related("establishment__organisation")
        .filter(member_number=member_number)
        .first()
    )


def _person(member_number: str) -> User | None:
    m = membership(member_number)
    if m is None:
        return None
    access = (
        Access.objects.select_related("user")
        .filter(user__is_active=True)
        .filter(establishment_id=m.establishment_id)
        .order_by("created_at", "pk")
        .first()
    ) or (
        Access.objects.select_related("user")
        .filter(user__is_active=True, organisation_id=m.establishment.organisation_id)
        .order_by("created_at", "pk")
        .first()
    )
    return access.user if access else None


@preview("verify_email")
@preview("password_reset")
def user_link(member_number: str) -> dict | None:
    user = _person(member_number)
    return None if user is None else {"user": user, "url": PREVIEW_LINK}


@preview("signup_existing")
def signup_existing(member_number: str) -> dict | None:
    user = _person(member_number)
    if user is None:
        return None
    return {"user": user, "login_url": absolute_url("login"), "reset_url": absolute_url("password_reset")}


@preview("identity_change_effective")
def identity_change_effective(member_number: str) -> dict | None:
    m = membership(member_number)
    change = (
        IdentityChange.objects.filter(establishment_id=m.establishment_id).order_by("-pk").first()
        if m
        else None
    )
    if m is None or change is None:
        return None
    url = absolute_url("members:establishment_detail", m.establishment_id) + "#identity-change"
    return {"change": change, "establishment": m.establishment, "url": url}
