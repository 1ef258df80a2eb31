"""JAIM as the issuer of its documents: versions of the issuer profile, and the version in force at a moment."""

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from jaim.models import IssuerProfile

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

FIELDS = ("name", "department", "postal_code", "address", "phone", "email", "tax_note")


def current_profile() -> IssuerProfile | None:
    return IssuerProfile.objects.order_by("-created_at", "-id").first()


def default_profile() -> IssuerProfile:
    """Before any version is registered: the configured defaults (JAIM_ISSUER), unsaved."""
    fallback = settings.JAIM_ISSUER
    return IssuerProfile(
        name=fallback["name"],
        department="".join(fallback.get("lines", [])[:1]),
        postal_code=fallback.get("postal_code", ""),
        address=fallback.get("address", ""),
        phone=fallback.get("phone", ""),
    )


@transaction.atomic
def register_version(
    data: dict, *, seal=None, remove_seal: bool = False, by: "AbstractBaseUser | None" = None
) -> IssuerProfile:
    """A change of the issuer is a new version, never an edit. `seal`: an already checked file (jaim.uploads) for
    this version; without one the current version's seal carries over, unless `remove_seal`."""
    profile = IssuerProfile(
        **{f: data[f] for f in FIELDS if f in data}, created_by_id=by.pk if by is not None else None
    )
    if seal:
        profile.seal = seal
    elif not remove_seal:
        current = current_profile()
        if current is not None and current.seal:
            profile.seal = current.seal.name
    profile.full_clean(exclude=["seal", "created_by"])
    profile.save()
    return profile


def issuer_at(moment: dt.datetime | None = None) -> dict:
    """What a document made at `moment` (None: now) prints as its issuer: the latest version registered at or before
    that moment, or the configured defaults before any exists. `seal` holds the image's bytes (or None)."""
    qs = (
        IssuerProfile.objects.all()
        if moment is None
        else IssuerProfile.objects.filter(created_at__lte=moment)
    )
    profile = qs.order_by("-created_at", "-id").first() or default_profile()
    seal = None
    if profile.seal:
        try:
            with profile.seal.open("rb") as fh:
                seal = fh.read()
        except OSError:  # a missing file must not stop an invoice: it is printed without the seal
            seal = None
    return {
        **{f: getattr(profile, f) for f in FIELDS},
        "lines": [profile.department] if profile.department else [],
        "seal": seal,
    }
