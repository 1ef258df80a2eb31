"""Reads for applications: access (another tenant's application or file is a 404), the wizard's steps, and the
checklist that says what an application still lacks before it can be submitted."""

import datetime as dt
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import (
    AddonAssociation,
    Application,
    Document,
    DocumentType,
    EvidenceTemplate,
    Kind,
    PledgeText,
    Requirement,
    kinds_contains,
)
from fees import services as fee_services
from jaim.dates import fiscal_year_of, japanese_date, today
from jaim.errors import DomainError
from jaim.security import staff_verified
from members import selectors as member_selectors
from members.models import AddOn, JsicCode

# --- access ---------------------------------------------------------------------------------------------


def is_reviewer(user) -> bool:
    """Staff who read applications: with a verified second factor in this session (jaim.middleware enforces it
    for every staff request; checked again here because this opens members' files)."""
    return bool(
        user.is_authenticated
        and user.is_staff
        and staff_verified(user)
        and user.has_perm("applications.view_application")
    )


def applications_for(user) -> QuerySet[Application]:
    """Applications of the establishments the user may act for."""
    return Application.objects.filter(establishment__in=member_selectors.establishments_for(user))


def get_application_for(user, pk) -> Application:
    """The application, or 404 when the user may not act for its establishment."""
    return get_object_or_404(
        applications_for(user).select_related("establishment__organisation", "association", "payer"), pk=pk
    )


def get_document_for(user, pk) -> Document:
    """A document the user may read: the applicant's side, or staff who may view applications. Else 404."""
    qs = Document.objects.select_related("application__establishment__organisation", "document_type")
    if is_reviewer(user):
        return get_object_or_404(qs, pk=pk)
    return get_object_or_404(qs, pk=pk, application__in=applications_for(user))


def establishment_applications(establishment) -> QuerySet[Application]:
    return establishment.applications.exclude(status=Application.Status.CANCELLED).order_by("-created_at")


def open_application(establishment, kind) -> Application | None:
    return establishment.applications.filter(kind=kind, status__in=Application.OPEN_STATUSES).first()


# --- the wizard -----------------------------------------------------------------------------------------

STEP_LABELS = {
    "establishment": gettext_lazy("事業所"),
    "codes": gettext_lazy("産業分類"),
    "addon": gettext_lazy("上乗せ要件・必要書類"),
    "shipment": gettext_lazy("出荷実績"),
    "images": gettext_lazy("製品・工場の画像"),
    "sme": gettext_lazy("中小企業の申告"),
    "association": gettext_lazy("所属団体"),
    "pledges": gettext_lazy("誓約"),
    "change": gettext_lazy("変更の内容"),
    "review": gettext_lazy("確認・提出"),
}
STEPS = {
    Kind.NEW: [
        "establishment",
        "codes",
        "addon",
        "shipment",
        "images",
        "sme",
        "association",
        "pledges",
        "review",
    ],
    Kind.ADD_CLASSIFICATION: ["establishment", "codes", "addon", "shipment", "images", "pledges", "review"],
    Kind.NAME_CHANGE: ["establishment", "change", "review"],
    Kind.RELOCATION: ["establishment", "change", "review"],
    Kind.WITHDRAWAL: [
        "establishment",
        "review",
    ],  # retired: only decided ones remain, read on their detail page
}


def steps_for(application) -> list[str]:
    return STEPS[Kind(application.kind)]


def next_step(application, step: str) -> str:
    steps = steps_for(application)
    i = steps.index(step)
    return steps[min(i + 1, len(steps) - 1)]


def previous_step(application, step: str) -> str | None:
    steps = steps_for(application)
    i = steps.index(step)
    return steps[i - 1] if i > 0 else None


def resume_step(application) -> str:
    """Where the applicant left off: the step after the furthest one saved (or the review when all are)."""
    steps = steps_for(application)
    if application.furthest_step in steps:
        return next_step(application, application.furthest_step)
    return steps[1] if len(steps) > 1 else steps[0]


def progress(application, current: str, needs: list | None = None) -> list[dict]:
    """The progress indicator: each step with done/current flags."""
    steps = steps_for(application)
    needs = checklist(application) if needs is None else needs
    unmet = {n.step for n in needs if not n.satisfied}
    furthest = steps.index(application.furthest_step) if application.furthest_step in steps else 0
    return [
        {
            "slug": s,
            "label": STEP_LABELS[s],
            "current": s == current,
            "done": i <= furthest and s not in unmet and s != "review",
            "reachable": i <= furthest + 1,
        }
        for i, s in enumerate(steps)
    ]


# --- rules ----------------------------------------------------------------------------------------------


def current_pledges(kind: str) -> list[PledgeText]:
    """The newest active version of each pledge that applies to this kind of application."""
    newest: dict[str, PledgeText] = {}
    for p in PledgeText.objects.filter(is_active=True).order_by("code", "-version"):
        if p.code not in newest:
            newest[p.code] = p
    return sorted(
        (p for p in newest.values() if kinds_contains(p.kinds, kind)), key=lambda p: (p.order, p.code)
    )


def requested_codes(application) -> list[JsicCode]:
    if application.pk is None:
        return []
    return list(application.requested_codes.order_by("code"))


def code_entries(application) -> dict:
    codes = [c.code for c in requested_codes(application)]
    return member_selectors.eligibility_map(codes) if codes else {}


def requested_addons(application, entries=None) -> set[str]:
    entries = code_entries(application) if entries is None else entries
    return {e.addon for e in entries.values() if e is not None and e.addon}


def ancestry_set(codes) -> set[str]:
    parents = dict(JsicCode.objects.values_list("code", "parent_id"))
    result = set()
    for c in codes:
        while c:
            result.add(c)
            c = parents.get(c)
    return result


def qualifying_associations(addon: str):
    return AddonAssociation.objects.filter(addon=addon).select_related("association")


def code_choice_reason(code: JsicCode, entry, *, existing=()) -> str:
    """Why a code cannot be picked ('' when it can)."""
    if code.level != JsicCode.Level.DETAIL:
        return _("細分類（4桁）を選んでください。")
    if entry is None:
        return _("工業製品製造業分野の対象となる産業分類ではありません。")
    if not entry.eligible:
        note = f"（{entry.note}）" if entry.note else ""
        return _("この分類は対象外です%(note)s。") % {"note": note}
    if code.code in existing:
        return _("既に会員として登録されている分類です。")
    return ""


def reference_date(application) -> dt.date:
    """The application date for validity checks: the first submission, or today for a draft."""
    if application.submitted_at:
        from django.utils import timezone

        return timezone.localdate(application.submitted_at)
    return today()


@dataclass
class Need:
    """One thing an application must have before it can be submitted."""

    key: str
    label: str
    step: str
    satisfied: bool
    problem: str = ""
    help_text: str = ""
    document_types: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    optional: bool = False


def _document_ok(doc: Document, *, ref: dt.date, requirement: Requirement | None) -> str:
    """'' when the document counts, else why not."""
    dtype = doc.document_type
    if dtype.requires_valid_until and not doc.valid_until:
        return _("「%(name)s」の有効期限が入力されていません。") % {"name": dtype.name}
    if dtype.min_months_valid and doc.valid_until:
        needed = ref + relativedelta(months=dtype.min_months_valid)
        if doc.valid_until < needed:
            return _("「%(name)s」は申請日から%(m)sか月以上有効である必要があります（%(d)s以降まで）。") % {
                "name": dtype.name,
                "m": dtype.min_months_valid,
                "d": japanese_date(needed),
            }
    if requirement is not None and requirement.association_must_qualify:
        allowed = set(
            AddonAssociation.objects.filter(addon=requirement.addon).values_list("association_id", flat=True)
        )
        if doc.association_id not in allowed:
            return _("「%(name)s」は対象団体が発行したものに限ります。") % {"name": dtype.name}
    return ""


def _doc_need(key, label, step, docs, types, *, ref, requirement=None, help_text="", optional=False):
    matching = [d for d in docs if d.document_type_id in {t.pk for t in types}]
    problems = [_document_ok(d, ref=ref, requirement=requirement) for d in matching]
    ok = any(p == "" for p in problems)
    problem = ""
    if not ok:
        problem = next((p for p in problems if p), "") or _("「%(label)s」の書類が提出されていません。") % {
            "label": label
        }
    return Need(
        key=key,
        label=label,
        step=step,
        satisfied=ok or optional,
        problem="" if optional else problem,
        help_text=help_text,
        document_types=list(types),
        documents=matching,
        optional=optional,
    )


def upload_warning(application, document: Document) -> str:
    """After an upload: why the checklist will not count this document ('' when it counts or when another
    document already satisfies its item) — the same judgement as the checklist's ✗, said at once."""
    for need in checklist(application):
        if need.satisfied or need.optional:
            continue
        if any(d.pk == document.pk for d in need.documents):
            return need.problem
    return ""


def _type(code: str) -> DocumentType | None:
    return DocumentType.objects.filter(code=code, is_active=True).first()


def template_label(code: str) -> str:
    """The shipment-evidence template as people call it (「その他の分類用」), never its code ("other")."""
    try:
        return str(EvidenceTemplate(code).label)
    except ValueError:
        return code


def evidence_templates(application, *, entries=None, docs=None) -> list[str]:
    """The shipment-evidence templates the requested codes need (FAQ 2-3-6). A document whose type switches the
    template (e.g. textile substitute documents → 11-substitute) switches it for that add-on's codes."""
    entries = code_entries(application) if entries is None else entries
    docs = list(application.documents.select_related("document_type")) if docs is None else docs
    overrides: dict[str, str] = {}
    for req in _matching_requirements(application, entries):
        if not req.addon:
            continue
        types = {t.pk: t for t in req.document_types.all()}
        for d in docs:
            t = types.get(d.document_type_id)
            if t and t.evidence_template_override:
                overrides[req.addon] = t.evidence_template_override
    templates = []
    for e in entries.values():
        if e is None or not e.eligible:
            continue
        t = overrides.get(e.addon, e.evidence_template) if e.addon else e.evidence_template
        if t and t not in templates:
            templates.append(t)
    return templates


def _matching_requirements(
    application, entries, *, stage: str = Requirement.Stage.APPLICATION
) -> list[Requirement]:
    addons = requested_addons(application, entries)
    ancestry = ancestry_set(entries.keys())
    result = []
    for req in Requirement.objects.filter(is_active=True, stage=stage).prefetch_related("document_types"):
        if not kinds_contains(req.kinds, application.kind):
            continue
        if req.addon and req.addon not in addons:
            continue
        if req.jsic_id and req.jsic_id not in ancestry:
            continue
        result.append(req)
    return result


def checklist(application) -> list[Need]:
    """Everything the application needs, each with satisfied or not and a message naming what is missing."""
    kind = application.kind
    ref = reference_date(application)
    needs: list[Need] = [representative_need(application.establishment.organisation)]
    docs = (
        list(application.documents.filter(is_follow_up=False).select_related("document_type"))
        if application.pk
        else []
    )

    if kind in (Kind.NEW, Kind.ADD_CLASSIFICATION):
        entries = code_entries(application)
        eligible = [c for c, e in entries.items() if e is not None and e.eligible]
        needs.append(
            Need(
                "codes",
                _("産業分類"),
                "codes",
                bool(eligible) and len(eligible) == len(entries),
                "" if eligible else _("申請する産業分類を1つ以上選んでください。"),
            )
        )
        for req in _matching_requirements(application, entries):
            needs.append(
                _doc_need(
                    f"req-{req.pk}",
                    req.label,
                    "addon",
                    docs,
                    list(req.document_types.all()),
                    ref=ref,
                    requirement=req,
                    help_text=req.help_text,
                )
            )
        for addon in requested_addons(application, entries):
            if addon in (AddOn.PRINTING, AddOn.PACKING) and not qualifying_associations(addon).exists():
                needs.append(
                    Need(
                        f"addon-assoc-{addon}",
                        _("上乗せ要件の対象団体"),
                        "addon",
                        False,
                        _("上乗せ要件の対象団体が登録されていません。事務局にお問い合わせください。"),
                    )
                )
        # R5: shipments in the last 12 months; the reason when amounts cannot be shown (FAQ 2-3-7, 3-2-4).
        if application.had_shipments is not True:
            needs.append(
                Need(
                    "had_shipments",
                    _("直近12か月の製造品出荷額等"),
                    "shipment",
                    False,
                    _(
                        "直近12か月に製造品出荷額等がある事業所だけが申請できます（稼働前の事業所は申請できません）。"
                    )
                    if application.had_shipments is False
                    else _("直近12か月の製造品出荷額等の有無を回答してください。"),
                )
            )
        if application.amounts_unavailable and not application.amounts_unavailable_reason.strip():
            needs.append(
                Need(
                    "amounts_reason",
                    _("金額を示せない理由"),
                    "shipment",
                    False,
                    _("出荷の金額を示せない理由を記入してください。"),
                )
            )
        evidence_type = _type("shipment_evidence")
        for template in evidence_templates(application, entries=entries, docs=docs):
            label = _("出荷実績の証明書類（様式：%(t)s）") % {"t": template_label(template)}
            matching = [
                d
                for d in docs
                if evidence_type
                and d.document_type_id == evidence_type.pk
                and d.evidence_template == template
            ]
            needs.append(
                Need(
                    f"shipment-{template}",
                    label,
                    "shipment",
                    bool(matching),
                    "" if matching else _("「%(label)s」が提出されていません。") % {"label": label},
                    document_types=[evidence_type] if evidence_type else [],
                    documents=matching,
                )
            )
        # FAQ 2-7-2: images, or the reason + an explanation of use (+ the contract if there is one).
        if application.images_restricted:
            if not application.images_restriction_reason.strip():
                needs.append(
                    Need(
                        "images_reason",
                        _("画像を提出できない理由"),
                        "images",
                        False,
                        _("画像を提出できない理由を記入してください。"),
                    )
                )
            if not application.product_use_explanation.strip():
                needs.append(
                    Need(
                        "use_explanation",
                        _("製造品の用途・機能の説明"),
                        "images",
                        False,
                        _("製造品が完成品のどの部分に使われ、どのような機能を果たすかを記入してください。"),
                    )
                )
            contract = _type("image_restriction_contract")
            if contract:
                needs.append(
                    _doc_need(
                        "images-contract", contract.name, "images", docs, [contract], ref=ref, optional=True
                    )
                )
        else:
            for code in ("product_image", "factory_image"):
                t = _type(code)
                if t:
                    needs.append(_doc_need(f"images-{code}", t.name, "images", docs, [t], ref=ref))

    if kind == Kind.NEW:
        needs.extend(_sme_needs(application, docs, ref))
        needs.extend(_association_needs(application, docs, ref))

    if kind in (Kind.NAME_CHANGE, Kind.RELOCATION):
        missing = []
        if kind == Kind.NAME_CHANGE and not application.new_organisation_name.strip():
            missing.append(_("新しい法人名"))
        if kind == Kind.RELOCATION:
            for f, label in (
                ("new_postal_code", _("移転先の郵便番号")),
                ("new_prefecture", _("移転先の都道府県")),
                ("new_city", _("移転先の市区町村")),
                ("new_address_line", _("移転先の町域・番地")),
            ):
                if not getattr(application, f):
                    missing.append(label)
        if not application.change_expected_on:
            missing.append(_("稼働予定日"))
        needs.append(
            Need(
                "change",
                _("変更の内容"),
                "change",
                not missing,
                _("次の項目を入力してください：%(f)s") % {"f": "、".join(str(m) for m in missing)}
                if missing
                else "",
            )
        )
        for req in _matching_requirements(application, {}):
            needs.append(
                _doc_need(
                    f"req-{req.pk}",
                    req.label,
                    "change",
                    docs,
                    list(req.document_types.all()),
                    ref=ref,
                    requirement=req,
                    help_text=req.help_text,
                )
            )

    pledges = current_pledges(kind) if "pledges" in STEPS[Kind(kind)] else []
    if pledges:
        accepted = set(application.pledges.values_list("pledge_id", flat=True)) if application.pk else set()
        for p in pledges:
            ok = p.pk in accepted
            needs.append(
                Need(
                    f"pledge-{p.code}",
                    p.title,
                    "pledges",
                    ok,
                    "" if ok else _("「%(t)s」に同意してください。") % {"t": p.title},
                )
            )
    return needs


def representative_need(organisation) -> Need:
    """R8 (FAQ 2-4-7): forms 1–4 name the organisation's legal representative, taken from the organisation —
    which therefore needs a title from the list of its kind (old free text that could not be mapped does not)."""
    ok = organisation.representative_title_id is not None and bool(organisation.representative_name.strip())
    return Need(
        "representative",
        _("代表者（会社の代表者）"),
        "establishment",
        ok,
        ""
        if ok
        else _(
            "法人情報の代表者役職が一覧から選ばれていません。法人情報を編集し、会社の代表者（代表取締役など）を"
            "選んでください（FAQ 2-4-7）。"
        ),
    )


# --- after approval: the follow-up documents of a merger or relocation (R13, R14) ---------------------------


def identity_change_of(application):
    """The merger/relocation this approved application recorded, or None."""
    if application.kind not in (Kind.NAME_CHANGE, Kind.RELOCATION) or not application.identity_change_id:
        return None
    return application.identity_change


def follow_up_needs(application) -> list[Need]:
    """The documents due once the new company / site operates (requirement rules of the stage AFTER_CHANGE),
    each satisfied by a follow-up document of an accepted type. Empty before staff confirmed the operation."""
    change = identity_change_of(application)
    if change is None or change.effective_on is None:
        return []
    docs = list(application.documents.filter(is_follow_up=True).select_related("document_type"))
    ref = change.effective_on
    return [
        _doc_need(
            f"follow-up-{req.pk}",
            req.label,
            "follow_up",
            docs,
            list(req.document_types.all()),
            ref=ref,
            requirement=req,
            help_text=req.help_text,
        )
        for req in _matching_requirements(application, {}, stage=Requirement.Stage.AFTER_CHANGE)
    ]


def follow_up_document_types(application, needs=None) -> list[DocumentType]:
    needs = follow_up_needs(application) if needs is None else needs
    seen, result = set(), []
    for n in needs:
        for t in n.document_types:
            if t.pk not in seen and t.is_active:
                seen.add(t.pk)
                result.append(t)
    return result


def open_identity_changes_for(establishment):
    """Approved change applications of the establishment whose change is pending or has follow-up documents
    open (for the establishment page)."""
    return [
        a
        for a in establishment.applications.filter(
            kind__in=[Kind.NAME_CHANGE, Kind.RELOCATION],
            status=Application.Status.APPROVED,
            identity_change__isnull=False,
            identity_change__follow_up_done_on__isnull=True,
        )
        .select_related("identity_change")
        .order_by("-decided_at")
    ]


def _sme_needs(application, docs, ref) -> list[Need]:
    if not application.sme_claimed:
        return []
    needs = []
    cap, emp = application.capital_yen, application.regular_employees
    if cap is None and emp is None:
        needs.append(
            Need(
                "sme",
                _("中小企業の申告"),
                "sme",
                False,
                _("資本金または常時使用する従業員数を入力してください。"),
            )
        )
    elif not fee_services.meets_sme_thresholds(cap, emp):
        needs.append(
            Need(
                "sme",
                _("中小企業の申告"),
                "sme",
                False,
                _(
                    "製造業の中小企業の基準（資本金3億円以下または従業員300人以下）を満たしていません。"
                    "中小企業割引を申請しない場合は、「中小企業割引を申請する」のチェックを外してください"
                    "（会費は通常の金額になります）。"
                ),
            )
        )
    if not application.sme_proof_type:
        needs.append(
            Need(
                "sme_proof_type",
                _("中小企業の証明書類の種類"),
                "sme",
                False,
                _("証明書類の種類を選んでください。"),
            )
        )
    t = _type("sme_proof")
    if t:
        needs.append(_doc_need("sme-proof", t.name, "sme", docs, [t], ref=ref))
    return needs


def _association_needs(application, docs, ref) -> list[Need]:
    assoc = application.association
    if assoc is None or not assoc.proof_required:
        return []
    t = _type("association_proof")
    if not t:
        return []
    return [_doc_need("association-proof", t.name, "association", docs, [t], ref=ref)]


def missing(application) -> list[Need]:
    return [n for n in checklist(application) if not n.satisfied]


def document_types_for_step(application, step: str, needs=None) -> list[DocumentType]:
    """Document types the applicant may upload on a step (those some need asks for)."""
    needs = checklist(application) if needs is None else needs
    seen, result = set(), []
    for n in needs:
        if n.step != step:
            continue
        for t in n.document_types:
            if t.pk not in seen:
                seen.add(t.pk)
                result.append(t)
    return result


def fee_estimate(application, *, on: dt.date | None = None):
    """What approving a new-membership application on `on` (default today: the fee-notice date is the day review
    ends, FAQ 2-5-1) will bill, its SME and association claims taken as declared (F3, F4, F6): (quote, None), or
    (None, why not) when there is nothing to bill or no fee schedule for that year. Other kinds bill nothing."""
    return fee_estimates([application], on=on)[application.pk]


def fee_estimates(applications, *, on: dt.date | None = None) -> dict:
    """fee_estimate for several applications at one fee-notice date, in a fixed number of queries (My Page):
    {application.pk: (quote, problem)}. Load them with establishment__organisation and association."""
    on = on or today()
    result = {a.pk: (None, "") for a in applications}
    new = [a for a in applications if a.kind == Kind.NEW]
    if not new:
        return result
    claims = [
        (
            a.establishment,
            reference_date(a),
            (a.capital_yen, a.regular_employees) if a.sme_claimed else None,
            (a.association, a.association_complete_on) if a.association_id else None,
        )
        for a in new
    ]
    try:
        quotes = fee_services.quotes_with_claims(claims, notice_date=on)
    except DomainError as exc:
        return {**result, **{a.pk: (None, exc.message) for a in new}}
    return {**result, **{a.pk: (q, "") for a, q in zip(new, quotes, strict=True)}}


# --- the fee before deciding, for the applicant ------------------------------------------------------------

NOTICE_MONTHS_AHEAD = 6  # the months an applicant may pick; review normally takes 2–3 months (FAQ 2-4-1)


@dataclass(frozen=True)
class ApplicantQuote:
    """The first-year fee an applicant sees before submitting or while waiting (a 見込み, F3, F4, F6, F9): the
    quote if the fee notice is dated `notice_on` (the day review ends), or why it cannot be shown yet."""

    quote: object | None  # fees.services.Quote
    problem: str
    notice_on: dt.date
    month: str  # "2027-01": the notice month shown
    months: tuple[tuple[str, dt.date], ...]  # the months the applicant may pick: ("2027-01", 1 Jan 2027)


def notice_months(on: dt.date, *, ahead: int = NOTICE_MONTHS_AHEAD) -> list[tuple[str, dt.date]]:
    """This month and the next ones, as ("YYYY-MM", first day) pairs."""
    first = on.replace(day=1)
    return [
        ((first + relativedelta(months=n)).strftime("%Y-%m"), first + relativedelta(months=n))
        for n in range(ahead)
    ]


def _notice_day(month: str | None, on: dt.date) -> dt.date:
    """The fee-notice day of a picked month: today in this month, the 1st of a later one; anything else → today."""
    for value, first in notice_months(on):
        if value == month:
            return max(first, on)
    return on


def _applicant_problem(notice_on: dt.date) -> str:
    return _(
        "%(fy)d年度の会費表がまだ登録されていないため、%(month)d月に審査が終わった場合の金額は表示できません。"
    ) % {"fy": fiscal_year_of(notice_on), "month": notice_on.month}


def applicant_fee_quotes(applications, *, month: str | None = None) -> dict:
    """{application.pk: ApplicantQuote} for new-membership applications (others bill nothing and are left out), the
    notice in `month` ("YYYY-MM", this month or one of the next ones; default this month). A fixed number of
    queries whatever their number: load them with establishment__organisation and association."""
    on = today()
    notice_on = _notice_day(month, on)
    picked = notice_on.strftime("%Y-%m")
    months = tuple(notice_months(on))
    new = [a for a in applications if a.kind == Kind.NEW]
    estimates = fee_estimates(new, on=notice_on) if new else {}
    return {
        a.pk: ApplicantQuote(
            quote=estimates[a.pk][0],
            problem=_applicant_problem(notice_on) if estimates[a.pk][0] is None else "",
            notice_on=notice_on,
            month=picked,
            months=months,
        )
        for a in new
    }


def applicant_fee_quote(application, *, month: str | None = None) -> ApplicantQuote | None:
    """The applicant's fee estimate of one application (None for kinds that bill nothing)."""
    return applicant_fee_quotes([application], month=month).get(application.pk)
