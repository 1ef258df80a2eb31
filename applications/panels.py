"""Sections this app adds to the establishment page and My Page (members.panels)."""

from applications import guide, selectors
from applications.models import Application, Kind
from members import selectors as member_selectors


def establishment_panel(request, establishment):
    """The establishment's applications, returned ones with the reviewer's message, and what it can apply for."""
    apps = list(selectors.establishment_applications(establishment).order_by("-created_at")[:20])
    membership = member_selectors.open_membership(establishment)
    open_kinds = {a.kind for a in apps if a.status in Application.OPEN_STATUSES}
    can_apply_new = membership is None and Kind.NEW not in open_kinds
    change_kinds = []
    if membership is not None:
        change_kinds = [(k, label) for k, label in Kind.applicable() if k != Kind.NEW and k not in open_kinds]
    return (
        "applications/panel_establishment.html",
        {
            "est": establishment,
            "applications": apps,
            "returned": [a for a in apps if a.status == Application.Status.RETURNED],
            "can_apply_new": can_apply_new,
            "change_kinds": change_kinds,
            "membership": membership,
            "identity_changes": selectors.open_identity_changes_for(establishment),
        },
    )


def mypage_panel(request):
    """Applications that need the user's attention (returned, drafts) and those waiting for review."""
    apps = list(
        selectors.applications_for(request.user)
        .exclude(status__in=[Application.Status.CANCELLED])
        .select_related("establishment__organisation", "association")
        .order_by("-updated_at")[:30]
    )
    ests = list(member_selectors.mypage_establishments(request.user).prefetch_related("memberships"))
    if not apps and not ests:
        return None
    open_new = {
        a.establishment_id for a in apps if a.kind == Kind.NEW and a.status in Application.OPEN_STATUSES
    }
    can_apply = [
        e
        for e in ests
        if e.pk not in open_new
        and not any(
            m.status in ("AWAITING_PAYMENT", "ACTIVE", "WITHDRAWAL_REQUESTED") for m in e.memberships.all()
        )
    ]
    # Sent and not yet decided (so not yet invoiced): the fee it would bill, as a 見込み (F3, F4, F6).
    waiting = [
        a
        for a in apps
        if a.status
        in (Application.Status.SUBMITTED, Application.Status.IN_REVIEW, Application.Status.RETURNED)
    ]
    fees = selectors.applicant_fee_quotes(waiting)
    for a in waiting:
        a.fee = fees.get(a.pk)
    return (
        "applications/panel_mypage.html",
        {
            "returned": [a for a in apps if a.status == Application.Status.RETURNED],
            "drafts": [a for a in apps if a.status == Application.Status.DRAFT],
            "waiting": [a for a in waiting if a.status != Application.Status.RETURNED],
            "decided": [a for a in apps if a.is_decided][:5],
            "can_apply": can_apply,
        },
    )


def guide_panel(request):
    """The next step first, then each establishment's place on 法人 → 事業所 → 申請 → 審査 → 入金 → 名簿掲載."""
    return ("applications/panel_guide.html", {"guide": guide.guide_for(request.user)})


def establishment_guide_panel(request, establishment):
    """At the top of the establishment page: where it stands on 法人 → 事業所 → 申請 → 審査 → 入金 → 名簿掲載, what is
    missing and the next action (as on My Page)."""
    return (
        "applications/panel_guide_establishment.html",
        {"place": guide.place_for_establishment(establishment)},
    )
