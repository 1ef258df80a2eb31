"""Writes for applications: the applicant's wizard (answers, codes, documents, pledges, submit, cancel) and the
secretariat's review (start, return, approve, reject). Every status move goes through jaim.states.move."""

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import selectors
from applications.models import Application, Document, DocumentType, Kind, PledgeAcceptance
from fees import services as fee_services
from jaim.dates import fiscal_year_of, today
from jaim.errors import DomainError
from jaim.links import absolute_url
from jaim.mail import queue_mail
from jaim.sequences import next_value
from jaim.states import audit, move
from jaim.uploads import inspect_upload
from members import selectors as member_selectors
from members import services as member_services
from members.models import Establishment, JsicCode, Membership, Organisation, SupportGrant

if TYPE_CHECKING:
    from members.models import User

S = Application.Status

STEP_FIELDS = {
    "establishment": ["payer"],
    "codes": [],
    "addon": [],
    "shipment": [
        "had_shipments",
        "ships_within_company",
        "amounts_unavailable",
        "amounts_unavailable_reason",
    ],
    "images": ["images_restricted", "images_restriction_reason", "product_use_explanation"],
    "sme": ["sme_claimed", "capital_yen", "regular_employees", "sme_proof_type"],
    "association": ["association", "association_applied_on", "association_complete_on"],
    "pledges": [],
    "change": [
        "new_organisation_name",
        "new_establishment_name",
        "new_postal_code",
        "new_prefecture",
        "new_city",
        "new_address_line",
        "change_expected_on",
        "change_description",
    ],
    "review": [],
}


# --- helpers --------------------------------------------------------------------------------------------


def _locked(application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("establishment__organisation", "association", "payer")
        .get(pk=application.pk)
    )


def _editable(app: Application) -> None:
    if not app.is_editable:
        raise DomainError(
            _("この申請は「%(status)s」のため変更できません。") % {"status": app.get_status_display()},
            code="not_editable",
        )


def _undecided(app: Application) -> None:
    """A decision already taken wins: the second reviewer gets a clear message, never a 500."""
    if app.status in Application.DECIDED_STATUSES or app.status == S.CANCELLED:
        who = f"（{app.decided_by}）" if app.decided_by_id else ""
        raise DomainError(
            _("この申請は既に決定済みです：%(status)s%(who)s。画面を更新して確認してください。")
            % {"status": app.get_status_display(), "who": who},
            code="already_decided",
        )


def _save(app: Application, fields: list[str]) -> Application:
    app.full_clean(exclude=["requested_codes"])
    app.save(update_fields=[*fields, "updated_at"])
    return app


def _move(app: Application, to: str, *, by: "User | None", note: str = "", fields=()) -> Application:
    move(app, to, transitions=Application.TRANSITIONS, actor=by, note=note)
    return _save(app, ["status", *fields])


def _applicant_email(app: Application) -> str:
    user = app.submitted_by or app.created_by
    return user.email


def _mail(app: Application, template: str, **extra) -> None:
    url = absolute_url("applications:detail", app.pk)
    queue_mail(
        to=_applicant_email(app),
        template=template,
        context={"application": app, "establishment": app.establishment, "url": url, **extra},
        kind=template,
    )


def _membership_for_change(establishment) -> Membership:
    m = member_selectors.open_membership(establishment)
    if m is None:
        raise DomainError(
            _("この事業所には有効な会員資格がありません。先に入会申請をしてください。"), code="not_a_member"
        )
    return m


def _advance(app: Application, step: str) -> list[str]:
    steps = selectors.steps_for(app)
    if step in steps and (
        app.furthest_step not in steps or steps.index(step) > steps.index(app.furthest_step)
    ):
        app.furthest_step = step
        return ["furthest_step"]
    return []


# --- the applicant --------------------------------------------------------------------------------------


@transaction.atomic
def create_application(establishment: Establishment, *, kind: str, by: "User | None") -> Application:
    """Start a draft. R1: one open NEW application and one membership per establishment; changes need a member."""
    est = Establishment.objects.select_for_update().select_related("organisation").get(pk=establishment.pk)
    if kind == Kind.WITHDRAWAL:
        raise DomainError(
            _("退会は申請ではなく、事業所の画面の「退会する」から申し出てください（事務局が確認します）。"),
            code="withdrawal_is_a_request",
        )
    if kind not in Kind.values:
        raise DomainError(_("申請の種類が正しくありません。"), code="bad_kind")
    existing = selectors.open_application(est, kind)
    if existing is not None:
        raise DomainError(
            _("この事業所には手続中の「%(kind)s」があります（%(status)s）。")
            % {"kind": existing.get_kind_display(), "status": existing.get_status_display()},
            code="open_application_exists",
        )
    if kind == Kind.NEW:
        if member_selectors.open_membership(est):
            raise DomainError(
                _("この事業所は既に会員です。分類の追加や変更は会員向けの申請から行ってください。"),
                code="membership_exists",
            )
    else:
        _membership_for_change(est)
    org = est.organisation
    app = Application(
        establishment=est,
        kind=kind,
        created_by=by,
        furthest_step="establishment",
        capital_yen=org.capital_yen if kind == Kind.NEW else None,
        regular_employees=org.regular_employees if kind == Kind.NEW else None,
        new_organisation_name=org.name if kind == Kind.NAME_CHANGE else "",
        new_establishment_name=est.name if kind in (Kind.NAME_CHANGE, Kind.RELOCATION) else "",
    )
    app.full_clean(exclude=["requested_codes"])
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError as exc:  # a double-clicked start: the first one won
        raise DomainError(
            _("この事業所には手続中の同じ種類の申請があります。"), code="open_application_exists"
        ) from exc
    audit(app, "created", actor=by, to_status=app.status)
    return app


def _check_answers(app: Application, step: str) -> None:
    if step == "establishment" and app.payer_id:
        if not SupportGrant.objects.filter(
            establishment_id=app.establishment_id,
            support_organisation_id=app.payer_id,
            revoked_at__isnull=True,
        ).exists():
            raise DomainError(
                _("会費を支払う登録支援機関は、この事業所が委任している登録支援機関から選んでください。"),
                code="payer_not_granted",
            )
    if step == "association" and app.association is not None:
        if not (app.association.is_active and app.association.is_regular_member):
            raise DomainError(
                _("団体割引の対象となる正会員団体を選んでください。"), code="not_regular_member"
            )
        if app.association_complete_on and app.association_complete_on > today():
            raise DomainError(_("団体への加入完了日に未来の日付は指定できません。"), code="future_date")
    if step == "association" and not app.association_id:
        app.association_applied_on = app.association_complete_on = None
    if step == "sme" and not app.sme_claimed:
        app.sme_proof_type = ""
    if step == "shipment" and not app.amounts_unavailable:
        app.amounts_unavailable_reason = ""


@transaction.atomic
def save_answers(application: Application, *, step: str, data: dict, by: "User | None") -> Application:
    """Save one wizard step's answers to the draft (only that step's fields). Everything saved earlier stays."""
    app = _locked(application)
    _editable(app)
    if step not in STEP_FIELDS or step not in selectors.steps_for(app):
        raise DomainError(_("この申請にはない入力画面です。"), code="bad_step")
    fields = [f for f in STEP_FIELDS[step] if f in data]
    for f in fields:
        setattr(app, f, data[f])
    _check_answers(app, step)
    changed = fields + _advance(app, step)
    if step == "association":
        changed += ["association_applied_on", "association_complete_on"]
    if step == "sme":
        changed.append("sme_proof_type")
    if step == "shipment":
        changed.append("amounts_unavailable_reason")
    _save(app, sorted(set(changed)))
    if fields:
        audit(app, "answers_saved", actor=by, note=step)
    return app


def _addon_summary(app: Application) -> str:
    return ",".join(sorted(selectors.requested_addons(app)))


@transaction.atomic
def add_requested_code(application: Application, code: str, *, by: "User | None") -> Application:
    """Add a JSIC code to the request: detail level, eligible, not already the member's (R4)."""
    app = _locked(application)
    _editable(app)
    if app.kind not in (Kind.NEW, Kind.ADD_CLASSIFICATION):
        raise DomainError(_("この申請では産業分類を選びません。"), code="bad_step")
    jsic = JsicCode.objects.filter(code=code).first()
    if jsic is None:
        raise DomainError(_("産業分類 %(code)s は存在しません。") % {"code": code}, code="unknown_code")
    existing: set[str] = set()
    if app.kind == Kind.ADD_CLASSIFICATION:
        m = _membership_for_change(app.establishment)
        existing = set(m.jsic_codes.values_list("code", flat=True))
    reason = selectors.code_choice_reason(jsic, member_selectors.eligibility_of(code), existing=existing)
    if reason:
        raise DomainError(reason, code="ineligible")
    app.requested_codes.add(jsic)
    app.addon_summary = _addon_summary(app)
    _save(app, ["addon_summary", *_advance(app, "codes")])
    audit(app, "code_added", actor=by, note=code)
    return app


@transaction.atomic
def remove_requested_code(application: Application, code: str, *, by: "User | None") -> Application:
    app = _locked(application)
    _editable(app)
    app.requested_codes.remove(*app.requested_codes.filter(code=code))
    app.addon_summary = _addon_summary(app)
    _save(app, ["addon_summary"])
    audit(app, "code_removed", actor=by, note=code)
    return app


def _delete_files_after_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def _delete():
        for name in names:
            try:
                default_storage.delete(name)
            except Exception:  # noqa: BLE001, S110 - a leftover file is harmless; the row is gone
                pass

    transaction.on_commit(_delete)


def upload_document(
    application: Application,
    *,
    by: "User | None",
    document_type: DocumentType,
    uploaded,
    issuer: str = "",
    number: str = "",
    valid_until: dt.date | None = None,
    association=None,
    evidence_template: str = "",
    note: str = "",
) -> Document:
    """Store one checked file (PDF/JPEG/PNG by content; images re-encoded) under a random name. A refused file
    changes nothing: the previous accepted file of a single-file type is replaced only once the new one is accepted
    and stored. Checked before the transaction, so a virus detection is recorded even though the upload fails."""
    inspected = inspect_upload(uploaded, where=_("申請書類"), by=by)  # raises before anything is written
    return _check_and_store_document(
        application,
        by=by,
        document_type=document_type,
        inspected=inspected,
        issuer=issuer,
        number=number,
        valid_until=valid_until,
        association=association,
        evidence_template=evidence_template,
        note=note,
    )


@transaction.atomic
def _check_and_store_document(
    application,
    *,
    by: "User | None",
    document_type,
    inspected,
    issuer,
    number,
    valid_until,
    association,
    evidence_template,
    note,
) -> Document:
    app = _locked(application)
    _editable(app)
    if not document_type.is_active:
        raise DomainError(_("この種類の書類は現在受け付けていません。"), code="inactive_type")
    if document_type.requires_valid_until and not valid_until:
        raise DomainError(
            _("「%(name)s」の有効期限を入力してください。") % {"name": document_type.name}, code="valid_until"
        )
    if document_type.requires_association and association is None:
        raise DomainError(
            _("「%(name)s」を発行した団体を選んでください。") % {"name": document_type.name},
            code="association_required",
        )
    if document_type.code == "shipment_evidence":
        templates = selectors.evidence_templates(app)
        if evidence_template not in templates:
            raise DomainError(_("出荷実績の様式を選んでください。"), code="template_required")
    return _store_document(
        app,
        inspected,
        by=by,
        document_type=document_type,
        issuer=issuer,
        number=number,
        valid_until=valid_until,
        association=association,
        evidence_template=evidence_template,
        note=note,
    )


def _store_document(
    app, inspected, *, by: "User | None", document_type, is_follow_up=False, **fields
) -> Document:
    """Store a checked file on the (locked) application: the per-application size limit, the single-file types
    replaced only once the new file is stored, an audit row."""
    evidence_template = fields.get("evidence_template", "")
    replaced = []
    if not document_type.multiple:
        replaced = list(
            app.documents.filter(
                document_type=document_type, evidence_template=evidence_template, is_follow_up=is_follow_up
            )
        )
    used = sum(d.size_bytes for d in app.documents.all() if d not in replaced)
    limit = settings.JAIM_APPLICATION_MAX_BYTES
    if used + inspected.size > limit:
        raise DomainError(
            _(
                "1件の申請に添付できるファイルの合計（%(mb)s MB）を超えます。不要なファイルを削除してください。"
            )
            % {"mb": f"{limit / 1024 / 1024:g}"},
            code="application_too_large",
        )
    doc = Document(
        application=app,
        document_type=document_type,
        original_name=inspected.original_name,
        content_type=inspected.content_type,
        size_bytes=inspected.size,
        sha256=inspected.sha256,
        is_follow_up=is_follow_up,
        uploaded_by=by,
        **fields,
    )
    doc.file.save(f"upload.{inspected.extension}", ContentFile(inspected.content), save=False)
    try:
        doc.full_clean()
        doc.save()
    except Exception:
        doc.file.storage.delete(doc.file.name)
        raise
    for old in replaced:
        old.delete()
    _delete_files_after_commit([o.file.name for o in replaced])
    audit(app, "document_uploaded", actor=by, note=f"{document_type.code}: {doc.original_name}")
    return doc


# --- after approval: a merger or relocation finished (R13, R14) ---------------------------------------------


def _change_of(app: Application):
    change = selectors.identity_change_of(app)
    if app.status != S.APPROVED or change is None:
        raise DomainError(_("この申請には名称変更・移転の手続がありません。"), code="no_identity_change")
    return change


@transaction.atomic
def report_change_effective(application: Application, *, effective_on: dt.date, by: "User | None"):
    """The member reports 「新会社で事業を開始しました」/「新事業所が稼働しました」: it waits for staff to confirm."""
    app = _locked(application)
    return member_services.report_identity_change_effective(_change_of(app), effective_on=effective_on, by=by)


@transaction.atomic
def confirm_change_effective(
    application: Application, *, reviewer, effective_on: dt.date, follow_up_due_on=None
):
    """Staff confirm the new company / site operating from the review screen: the same service as on the identity
    change itself (members.services.complete_identity_change)."""
    app = _locked(application)
    return member_services.complete_identity_change(
        _change_of(app), effective_on=effective_on, by=reviewer, follow_up_due_on=follow_up_due_on
    )


def upload_follow_up_document(
    application: Application, *, by: "User | None", document_type: DocumentType, uploaded, note: str = ""
) -> Document:
    """A follow-up document of a finished merger or relocation (R13, R14), through the same checks as every
    upload (the file's content decides its type). Once every follow-up requirement is met, the change is marked
    submitted: reminders stop and staff check the documents. Checked before the transaction, so a virus
    detection is recorded even though the upload fails."""
    inspected = inspect_upload(uploaded, where=_("追加書類"), by=by)  # raises before anything is written
    return _store_follow_up_document(
        application, by=by, document_type=document_type, inspected=inspected, note=note
    )


@transaction.atomic
def _store_follow_up_document(application, *, by: "User | None", document_type, inspected, note) -> Document:
    app = _locked(application)
    change = _change_of(app)
    if change.effective_on is None:
        raise DomainError(_("事務局が稼働を確認した後に、追加書類を提出できます。"), code="not_effective")
    if change.follow_up_done_on is not None:
        raise DomainError(_("追加書類は事務局の確認が済んでいます。"), code="follow_up_done")
    allowed = {t.pk for t in selectors.follow_up_document_types(app)}
    if document_type.pk not in allowed:
        raise DomainError(_("この書類は追加書類として受け付けていません。"), code="bad_type")
    doc = _store_document(app, inspected, by=by, document_type=document_type, is_follow_up=True, note=note)
    if not [n for n in selectors.follow_up_needs(app) if not n.satisfied]:
        member_services.record_follow_up_submitted(change, by=by)
    return doc


@transaction.atomic
def accept_follow_up(application: Application, *, reviewer):
    """Staff checked the follow-up documents: the requirement is settled (R13, R14)."""
    app = _locked(application)
    change = _change_of(app)
    if [n for n in selectors.follow_up_needs(app) if not n.satisfied]:
        raise DomainError(_("追加書類がまだそろっていません。"), code="follow_up_missing")
    return member_services.record_follow_up_done(change, on=today(), by=reviewer)


@transaction.atomic
def remove_document(document: Document, *, by: "User | None") -> None:
    app = _locked(document.application)
    _editable(app)
    name = document.file.name
    Document.objects.filter(pk=document.pk).delete()
    _delete_files_after_commit([name])
    audit(app, "document_removed", actor=by, note=f"{document.document_type.code}: {document.original_name}")


@transaction.atomic
def accept_pledges(application: Application, *, pledge_ids, by: "User | None") -> Application:
    """R6: record which version of each pledge this user accepted, and when. All current pledges are required."""
    app = _locked(application)
    _editable(app)
    current = selectors.current_pledges(app.kind)
    wanted = {int(p) for p in pledge_ids}
    missing = [p.title for p in current if p.pk not in wanted]
    if missing:
        raise DomainError(
            _("次の誓約に同意してください：%(t)s") % {"t": "、".join(missing)}, code="pledge_required"
        )
    for p in current:
        PledgeAcceptance.objects.get_or_create(application=app, pledge=p, defaults={"accepted_by": by})
    _save(app, _advance(app, "pledges"))
    audit(app, "pledges_accepted", actor=by, note=",".join(f"{p.code}@{p.version}" for p in current))
    return app


@transaction.atomic
def mark_step_done(application: Application, *, step: str, by: "User | None") -> Application:
    """A step without answers of its own (e.g. documents only) was completed: remember it for resuming."""
    app = _locked(application)
    _editable(app)
    _save(app, _advance(app, step))
    return app


def _check_kind_rules(app: Application) -> None:
    est = app.establishment
    if app.kind == Kind.NEW and member_selectors.open_membership(est):
        raise DomainError(_("この事業所は既に会員です。"), code="membership_exists")
    if app.kind != Kind.NEW:
        _membership_for_change(est)


@transaction.atomic
def submit_application(application: Application, *, by: "User | None") -> Application:
    """DRAFT/RETURNED → SUBMITTED. The first submission stamps submitted_at (queue order, kept on resubmission)
    and the receipt number, and queues the receipt mail. Submitting a submitted one raises (code already_submitted)."""
    app = _locked(application)
    if app.status in (S.SUBMITTED, S.IN_REVIEW):
        # e.g. a double-clicked submit: the first click won; the view shows the submitted application.
        raise DomainError(_("この申請は既に提出されています。"), code="already_submitted")
    if app.status not in Application.EDITABLE_STATUSES:
        move(app, S.SUBMITTED, transitions=Application.TRANSITIONS, actor=by)  # raises the illegal move
    _check_kind_rules(app)
    missing = selectors.missing(app)
    if missing:
        raise DomainError(
            _("提出できません。次の不足があります：%(items)s")
            % {"items": " ／ ".join(n.problem or n.label for n in missing)},
            code="incomplete",
        )
    now = timezone.now()
    resubmission = app.status == S.RETURNED
    fields = []
    if app.submitted_at is None:
        app.submitted_at = now
        fy = fiscal_year_of(timezone.localdate(now))
        app.receipt_number = f"A{fy}-{next_value(f'application-{fy}'):06d}"
        fields += ["submitted_at", "receipt_number"]
    else:
        app.resubmitted_at = now
        fields.append("resubmitted_at")
    app.submitted_by = by
    fields += ["submitted_by", *_advance(app, "review")]
    _move(app, S.SUBMITTED, by=by, note=_("再提出") if resubmission else "", fields=fields)
    _mail(app, "application_received", resubmission=resubmission)
    return app


@transaction.atomic
def cancel_application(application: Application, *, by: "User | None", note: str = "") -> Application:
    """DRAFT/RETURNED → CANCELLED (the applicant withdraws it, or the deadline passed)."""
    app = _locked(application)
    app.cancelled_at = timezone.now()
    return _move(app, S.CANCELLED, by=by, note=note, fields=["cancelled_at"])


def run_deadline_job(*, on: dt.date | None = None) -> int:
    """The scheduled job: cancel overdue returned applications and record the run (jaim.jobs.job_run)."""
    from jaim.jobs import job_run

    on = on or today()
    with job_run("applications.cancel_overdue_returned", on) as counts:
        counts["cancelled"] = cancel_overdue_returned(on=on)
    return counts["cancelled"]


def cancel_overdue_returned(*, on: dt.date | None = None) -> int:
    """The deadline job: RETURNED applications whose correction deadline has passed become CANCELLED (safe to run
    twice; catches up after a missed run). The applicant is told."""
    on = on or today()
    count = 0
    ids = list(
        Application.objects.filter(status=S.RETURNED, return_deadline__lt=on).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            app = _locked(Application(pk=pk))
            if app.status != S.RETURNED or not app.return_deadline or app.return_deadline >= on:
                continue
            app.cancelled_at = timezone.now()
            _move(app, S.CANCELLED, by=None, note=_("修正期限切れ"), fields=["cancelled_at"])
            _mail(app, "application_cancelled")
            count += 1
    return count


# --- the secretariat ------------------------------------------------------------------------------------


@transaction.atomic
def start_review(application: Application, *, reviewer) -> Application:
    """SUBMITTED → IN_REVIEW, assigned to this reviewer."""
    app = _locked(application)
    _undecided(app)
    if app.status == S.IN_REVIEW:
        if app.reviewer_id == reviewer.pk:
            return app
        raise DomainError(
            _("この申請は既に審査中です（担当：%(who)s）。") % {"who": app.reviewer}, code="already_in_review"
        )
    app.reviewer = reviewer
    app.review_started_at = timezone.now()
    return _move(app, S.IN_REVIEW, by=reviewer, fields=["reviewer", "review_started_at"])


@transaction.atomic
def return_application(application: Application, *, reviewer, message: str, deadline: dt.date) -> Application:
    """IN_REVIEW → RETURNED with the deficiencies and a deadline (R7). The applicant is e-mailed and sees the
    message on My Page; the queue keeps the original receipt order when it comes back."""
    app = _locked(application)
    _undecided(app)
    message = (message or "").strip()
    if not message:
        raise DomainError(_("差戻しの内容を入力してください。"), code="message_required")
    if deadline is None or deadline <= today():
        raise DomainError(_("修正の期限は明日以降の日付を指定してください。"), code="bad_deadline")
    app.return_message, app.return_deadline, app.returned_at = message, deadline, timezone.now()
    _move(
        app,
        S.RETURNED,
        by=reviewer,
        note=message,
        fields=["return_message", "return_deadline", "returned_at"],
    )
    app.review_messages.create(kind="RETURN", message=message, deadline=deadline, author=reviewer)
    _mail(app, "application_returned", message=message, deadline=deadline)
    return app


def _approve_new(app: Application, *, reviewer, notice_date: dt.date) -> Membership:
    org = app.establishment.organisation
    if app.sme_claimed:
        member_services.record_sme_declaration(
            org,
            capital_yen=app.capital_yen,
            regular_employees=app.regular_employees,
            by=reviewer,
            note=f"{app.receipt_number}: {app.get_sme_proof_type_display()}",
        )
    if app.association is not None:
        member_services.record_association_membership(
            org,
            association=app.association,
            applied_on=app.association_applied_on,
            complete_on=app.association_complete_on,
            by=reviewer,
            note=f"{app.receipt_number}: {app.association.name}",
        )
    membership = member_services.create_membership(
        app.establishment,
        jsic_codes=[c.code for c in app.requested_codes.all()],
        fee_notice_date=notice_date,
        by=reviewer,
    )
    payer = None
    if (
        app.payer_id
        and SupportGrant.objects.filter(
            establishment_id=app.establishment_id,
            support_organisation_id=app.payer_id,
            revoked_at__isnull=True,
        ).exists()
    ):
        payer = Organisation.objects.get(pk=app.payer_id)
    fee_services.bill_new_membership(
        membership,
        notice_date=notice_date,
        application_date=selectors.reference_date(app),
        payer=payer,
        by=reviewer,
    )
    return membership


@transaction.atomic
def approve_application(application: Application, *, reviewer) -> Application:
    """IN_REVIEW → APPROVED, and what the approval means for the kind: NEW → membership awaiting payment and the
    first-year bill (fee-notice date = the day review ends, FAQ 2-5-1); ADD_CLASSIFICATION → codes added (R4);
    NAME_CHANGE/RELOCATION → old and new names side by side until staff confirm the new company / site operating,
    which makes the follow-up documents due (R13, R14). Withdrawal is not an application (lifecycle's request, R11).
    Two reviewers at once: one wins (row lock)."""
    app = _locked(application)
    _undecided(app)
    if app.status != S.IN_REVIEW:
        move(app, S.APPROVED, transitions=Application.TRANSITIONS, actor=reviewer)  # raises
    decided_on = today()
    est = app.establishment
    note = ""
    fields = ["decided_at", "decided_by", "decided_on"]
    if app.kind == Kind.NEW:
        membership = _approve_new(app, reviewer=reviewer, notice_date=decided_on)
        note = membership.member_number
    elif app.kind == Kind.ADD_CLASSIFICATION:
        m = member_services.add_jsic_codes(
            _membership_for_change(est), [c.code for c in app.requested_codes.all()], by=reviewer
        )
        note = m.member_number
    elif app.kind in (Kind.NAME_CHANGE, Kind.RELOCATION):
        _membership_for_change(est)
        relocation = app.kind == Kind.RELOCATION
        app.identity_change = member_services.record_identity_change(
            est,
            kind=app.kind,
            new_organisation_name=app.new_organisation_name or est.organisation.name,
            new_establishment_name=app.new_establishment_name or est.name,
            accepted_on=decided_on,
            new_postal_code=app.new_postal_code if relocation else "",
            new_prefecture=app.new_prefecture if relocation else "",
            new_city=app.new_city if relocation else "",
            new_address_line=app.new_address_line if relocation else "",
            by=reviewer,
        )
        fields.append("identity_change")
        note = app.new_establishment_name or est.name
    else:
        raise DomainError(
            _("退会は申請では承認できません。事業所の「退会の申出」として事務局が確認します。"),
            code="withdrawal_is_a_request",
        )
    app.decided_at, app.decided_by, app.decided_on = timezone.now(), reviewer, decided_on
    _move(app, S.APPROVED, by=reviewer, note=note, fields=fields)
    app.review_messages.create(kind="APPROVE", message=note or _("承認"), author=reviewer)
    _mail(app, "application_approved")
    return app


@transaction.atomic
def reject_application(application: Application, *, reviewer, reason: str) -> Application:
    """IN_REVIEW → REJECTED with the reason the applicant is told."""
    app = _locked(application)
    _undecided(app)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("却下の理由を入力してください。"), code="reason_required")
    app.rejection_reason = reason
    app.decided_at, app.decided_by, app.decided_on = timezone.now(), reviewer, today()
    _move(
        app,
        S.REJECTED,
        by=reviewer,
        note=reason,
        fields=["rejection_reason", "decided_at", "decided_by", "decided_on"],
    )
    app.review_messages.create(kind="REJECT", message=reason, author=reviewer)
    _mail(app, "application_rejected", reason=reason)
    return app
