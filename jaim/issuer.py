"""JAIM as the issuer of its documents: the version of the issuer profile in force at a given moment."""

import datetime as dt

from django.conf import settings

from jaim.models import IssuerProfile


def issuer_at(moment: dt.datetime | None = None) -> dict:
    """What a document made at `moment` (None: now) prints as its issuer. The latest profile registered at or
    before that moment; before any profile exists, the configured defaults (JAIM_ISSUER)."""
    qs = IssuerProfile.objects.all()
    if moment is not None:
        qs = qs.filter(created_at__lte=moment)
    profile = qs.order_by("-created_at", "-id").first()
    if profile is None:
        fallback = settings.JAIM_ISSUER
        return {
            "name": fallback["name"],
            "department": "",
            "postal_code": fallback.get("postal_code", ""),
            "address": fallback.get("address", ""),
            "phone": fallback.get("phone", ""),
            "email": "",
            "lines": list(fallback.get("lines", [])),
            "tax_note": str(IssuerProfile._meta.get_field("tax_note").get_default()),
            "seal": None,
            "profile": None,
        }
    seal = None
    if profile.seal:
        try:
            with profile.seal.open("rb") as fh:
                seal = fh.read()
        except OSError:  # a missing file must not stop an invoice: it is printed without the seal
            seal = None
    return {
        "name": profile.name,
        "department": profile.department,
        "postal_code": profile.postal_code,
        "address": profile.address,
        "phone": profile.phone,
        "email": profile.email,
        "lines": [profile.department] if profile.department else [],
        "tax_note": profile.tax_note,
        "seal": seal,
        "profile": profile,
    }
