"""Reads reused across apps: above all, who may act for which organisation and establishment."""

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from members.models import (
    Access,
    Establishment,
    FieldEligibility,
    JsicCode,
    Membership,
    Organisation,
    SupportGrant,
)


def organisations_for(user) -> QuerySet[Organisation]:
    """Organisations the user may act for as a whole (head-office access)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(accesses__user=user).distinct()


def establishments_for(user) -> QuerySet[Establishment]:
    """Establishments the user may act for: through its organisation, directly (site staff), or as a user of a
    support organisation the establishment granted access to."""
    if not user.is_authenticated:
        return Establishment.objects.none()
    # One UNION of the three ways in, each answered from an index: an OR of EXISTS made PostgreSQL walk the whole
    # establishment table (350 ms at 210,000 rows for a 50-establishment company; 0.7 ms this way).
    through_org = Establishment.objects.filter(
        organisation_id__in=Access.objects.filter(user=user, organisation__isnull=False).values(
            "organisation_id"
        )
    )
    site = Access.objects.filter(user=user, establishment__isnull=False).values("establishment_id")
    support = SupportGrant.objects.filter(
        revoked_at__isnull=True, support_organisation__accesses__user=user
    ).values("establishment_id")
    return Establishment.objects.filter(pk__in=through_org.order_by().values("pk").union(site, support))


def get_organisation_for(user, pk) -> Organisation:
    """The organisation, or 404 when the user may not act for it."""
    return get_object_or_404(organisations_for(user), pk=pk)


def get_establishment_for(user, pk) -> Establishment:
    """The establishment, or 404 when the user may not act for it."""
    return get_object_or_404(establishments_for(user).select_related("organisation"), pk=pk)


def can_manage_organisation(user, organisation) -> bool:
    return Access.objects.filter(user=user, organisation=organisation, can_manage=True).exists()


def can_manage_establishment(user, establishment) -> bool:
    """Head-office managers of the owning organisation, or site managers of this establishment."""
    return Access.objects.filter(
        Q(organisation_id=establishment.organisation_id) | Q(establishment=establishment),
        user=user,
        can_manage=True,
    ).exists()


def may_manage(request, establishment) -> bool:
    """can_manage_establishment for the signed-in user, asked once per request and establishment (the page and
    its sections all ask)."""
    cache = request.__dict__.setdefault("_jaim_may_manage", {})
    if establishment.pk not in cache:
        cache[establishment.pk] = request.user.is_authenticated and can_manage_establishment(
            request.user, establishment
        )
    return cache[establishment.pk]


def get_managed_establishment_for(request, pk) -> Establishment:
    """For the acts that bind an establishment or its money — withdrawing it, its direct-debit account and its
    billing contact (docs/decisions.md, "Who may withdraw…"): the establishment as get_establishment_for finds it
    (another tenant's → 404), and 403 unless the user manages it (head-office or site manager). Other people acting
    for it — staff without the manage right, support organisations — apply, upload, answer and pay, but not these."""
    est = get_establishment_for(request.user, pk)
    if not may_manage(request, est):
        raise PermissionDenied(
            _(
                "この手続きは、事業所の権限管理者（本社または事業所の管理担当者）だけが行えます。"
                "管理担当者に依頼するか、権限の付与を依頼してください。"
            )
        )
    return est


def mypage_establishments(user) -> QuerySet[Establishment]:
    return (
        establishments_for(user)
        .select_related("organisation")
        .order_by("organisation__name_kana", "name_kana")
    )


def open_membership(establishment) -> Membership | None:
    return establishment.memberships.filter(status__in=Membership.OPEN_STATUSES).first()


# --- JSIC and eligibility ------------------------------------------------------------------------------


def jsic_ancestry(code: str) -> list[str]:
    """The code and its ancestors, nearest first: '2591' -> ['2591', '259', '25', 'E']."""
    chain = []
    current = JsicCode.objects.filter(code=code).values("code", "parent_id").first()
    while current:
        chain.append(current["code"])
        parent = current["parent_id"]
        current = JsicCode.objects.filter(code=parent).values("code", "parent_id").first() if parent else None
    return chain


def eligibility_of(code: str) -> FieldEligibility | None:
    """The field-list entry that decides a code: the nearest among the code and its ancestors.
    None means no entry above it: not eligible."""
    chain = jsic_ancestry(code)
    entries = {e.jsic_id: e for e in FieldEligibility.objects.filter(jsic_id__in=chain)}
    for c in chain:
        if c in entries:
            return entries[c]
    return None


def is_eligible(code: str) -> bool:
    entry = eligibility_of(code)
    return bool(entry and entry.eligible)


def eligibility_map(codes=None) -> dict[str, FieldEligibility | None]:
    """Deciding entry for many codes in two queries (the hierarchy is small enough to hold in memory)."""
    parents = dict(JsicCode.objects.values_list("code", "parent_id"))
    entries = {e.jsic_id: e for e in FieldEligibility.objects.all()}
    result = {}
    for code in codes if codes is not None else parents.keys():
        c = code
        decided = None
        while c:
            if c in entries:
                decided = entries[c]
                break
            c = parents.get(c)
        result[code] = decided
    return result


def contacts_by_establishment(establishment_ids) -> dict[int, list[str]]:
    """E-mail addresses for lifecycle notices, per establishment: the people who act for the site itself and the
    head-office managers of its organisation (active accounts only). Two queries whatever the number of sites."""
    ids = list({int(i) for i in establishment_ids if i})
    if not ids:
        return {}
    org_of = dict(Establishment.objects.filter(pk__any=ids).values_list("pk", "organisation_id"))
    by_est: dict[int, list[str]] = defaultdict(list)
    by_org: dict[int, list[str]] = defaultdict(list)
    for est_id, org_id, email in (
        Access.objects.filter(
            Q(establishment_id__any=ids) | Q(organisation_id__any=set(org_of.values()), can_manage=True),
            user__is_active=True,
        )
        .order_by("created_at", "pk")
        .values_list("establishment_id", "organisation_id", "user__email")
    ):
        (by_est[est_id] if est_id else by_org[org_id]).append(email)
    return {e: list(dict.fromkeys(by_est[e] + by_org[org_of[e]])) for e in org_of}


def contact_emails(establishment) -> list[str]:
    """The addresses that hear about one establishment (see contacts_by_establishment)."""
    return contacts_by_establishment([establishment.pk]).get(establishment.pk, [])


def legal_representative(form_code: str, title: str):
    """A legal representative's title of a kind of organisation (data, R8): for seeding and imports."""
    from members.models import RepresentativeTitle

    return RepresentativeTitle.objects.select_related("legal_form").get(
        legal_form__code=form_code, title=title
    )


def representative_fields(form_code: str, title: str) -> dict:
    """legal_form and representative_title for an organisation's data dict (create_organisation)."""
    t = legal_representative(form_code, title)
    return {"legal_form": t.legal_form, "representative_title": t}
