"""Writes for members: accounts, organisations, establishments, access grants, memberships, identity changes."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaim.dates import japanese_date, today
from jaim.errors import DomainError
from jaim.links import absolute_url
from jaim.mail import queue_mail
from jaim.sequences import next_value
from jaim.states import audit, move
from members import selectors
from members.models import (
    Access,
    Establishment,
    IdentityChange,
    JsicCode,
    Membership,
    Organisation,
    SupportGrant,
    User,
)
from members.signals import establishment_updated, identity_changed, membership_status_changed

VERIFY_SALT = "members.verify-email"

# --- accounts -------------------------------------------------------------------------------------------


@transaction.atomic
def register_user(*, email: str, password: str, full_name: str = "") -> User | None:
    """Create an inactive account and send the verification link; the account opens when the link is used.

    An address that is already registered gets a notice instead (at most one a day) and None is returned: the
    sign-up page answers the same either way, so it never tells a stranger which addresses have accounts."""
    email = email.strip().lower()
    # The password is hashed before the address is looked up, on both paths: the hash is nearly all of the work,
    # so a known address answers as slowly as a new one and timing does not tell them apart either.
    encoded = make_password(password)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        queue_mail(
            to=existing.email,
            template="signup_existing",
            kind="signup_existing",
            context={
                "user": existing,
                "login_url": absolute_url("login"),
                "reset_url": absolute_url("password_reset"),
            },
            dedupe_key=f"signup-existing:{existing.pk}:{today().isoformat()}",
        )
        return None
    user = User(email=email, full_name=full_name.strip(), is_active=False, password=encoded)
    user.full_clean(exclude=["password"])
    user.save()
    audit(user, "registered", actor=user)
    send_verification_mail(user)
    return user


def verification_token(user) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def send_verification_mail(user) -> None:
    url = absolute_url("verify_email", verification_token(user))
    queue_mail(
        to=user.email, template="verify_email", context={"user": user, "url": url}, kind="verify_email"
    )


@transaction.atomic
def verify_email(token: str) -> User:
    """Open the account named by a verification link (valid JAIM_VERIFY_MAX_AGE seconds). Safe to repeat."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.JAIM_VERIFY_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError(
            _("確認リンクの有効期限が切れています。もう一度登録してください。"), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise DomainError(_("確認リンクが正しくありません。"), code="bad_token") from exc
    user = User.objects.select_for_update().filter(pk=data["u"], email=data["e"]).first()
    if user is None:
        raise DomainError(_("確認リンクが正しくありません。"), code="bad_token")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.is_active = True
        user.save(update_fields=["email_verified_at", "is_active"])
        audit(user, "email_verified", actor=user)
    return user


# --- organisations and establishments -------------------------------------------------------------------

ORGANISATION_FIELDS = [
    "kind",
    "corporate_number",
    "name",
    "name_kana",
    "legal_form",
    "representative_title",
    "representative_name",
    "representative_since",
    "postal_code",
    "prefecture",
    "city",
    "address_line",
    "phone",
    "capital_yen",
    "regular_employees",
    "is_support_organisation",
    "support_registration_number",
]
ESTABLISHMENT_FIELDS = [
    "name",
    "name_kana",
    "postal_code",
    "prefecture",
    "city",
    "address_line",
    "phone",
    "employment_insurance_number",
    "operating_since",
]


def _assign(obj, data: dict, fields: list[str]) -> list[str]:
    changed = []
    for f in fields:
        if f in data and getattr(obj, f) != data[f]:
            setattr(obj, f, data[f])
            changed.append(f)
    return changed


def _save_clean(obj, update_fields=None):
    try:
        obj.full_clean()
        obj.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise DomainError(_("同じ内容が既に登録されています。"), code="integrity") from exc


REPRESENTATIVE_FIELDS = ("representative_title", "representative_name")


def _require_representative(org: Organisation) -> None:
    """R8 (FAQ 2-4-7): the representative is the company's legal representative — a title from the list of the
    organisation's kind, never free text (the list is data: members.RepresentativeTitle)."""
    legal_form = org.legal_form
    if legal_form is None:
        raise DomainError(_("法人の種類を選んでください。"), code="legal_form_required")
    title = org.representative_title
    if title is None:
        raise DomainError(
            _("代表者役職を%(form)sの代表者の役職から選んでください。") % {"form": legal_form.name},
            code="representative_title_required",
        )
    if not title.is_active or not legal_form.is_active:
        raise DomainError(
            _("「%(title)s」は現在選べない役職です。一覧から選び直してください。") % {"title": title.title},
            code="representative_title_inactive",
        )


def _kind_from_legal_form(org: Organisation) -> None:
    if org.legal_form is not None:
        org.kind = org.legal_form.kind


@transaction.atomic
def create_organisation(*, by: User, data: dict) -> Organisation:
    """Register an organisation; its creator may act for it and manage access (head office). The representative
    is the legal representative (R8): a title of the organisation's kind."""
    org = Organisation()
    _assign(org, data, ORGANISATION_FIELDS)
    _kind_from_legal_form(org)
    if org.kind == Organisation.Kind.SOLE_PROPRIETOR:
        org.corporate_number = None
    _require_representative(org)
    if org.corporate_number and Organisation.objects.filter(corporate_number=org.corporate_number).exists():
        raise DomainError(_("この法人番号の法人は既に登録されています。"), code="duplicate_corporate_number")
    _save_clean(org)
    Access.objects.create(user=by, organisation=org, can_manage=True, granted_by=by)
    audit(org, "created", actor=by)
    return org


@transaction.atomic
def update_organisation(organisation: Organisation, *, by: User | None, data: dict) -> Organisation:
    """Edit an organisation. A new representative (title or name) is recorded with the day they took office
    (representative_since, today when not given) in the organisation's history and an audit row (R8)."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = org.representative_display
    changed = _assign(org, data, ORGANISATION_FIELDS)
    old_kind = org.kind
    _kind_from_legal_form(org)
    if org.kind != old_kind:
        changed.append("kind")
    if org.kind == Organisation.Kind.SOLE_PROPRIETOR and org.corporate_number:
        org.corporate_number = None
        changed.append("corporate_number")
    representative_changed = any(f in changed for f in REPRESENTATIVE_FIELDS)
    if representative_changed and ("representative_since" not in changed or org.representative_since is None):
        org.representative_since = today()
        changed.append("representative_since")
    if changed:
        _require_representative(org)
        _save_clean(org)
        audit(org, "updated", actor=by, note=", ".join(sorted(set(changed))))
        if representative_changed:
            since = org.representative_since
            assert since is not None  # today above when not given
            audit(
                org,
                "representative_changed",
                actor=by,
                note=f"{before} → {org.representative_display}（{japanese_date(since)}から）",
            )
        for est in org.establishments.all():
            establishment_updated.send(sender=Establishment, establishment=est)
    return org


@transaction.atomic
def create_establishment(organisation: Organisation, *, by: User | None, data: dict) -> Establishment:
    """Register a site of an organisation (R1: each site joins on its own)."""
    est = Establishment(organisation=organisation)
    _assign(est, data, ESTABLISHMENT_FIELDS)
    _save_clean(est)
    audit(est, "created", actor=by)
    return est


@transaction.atomic
def update_establishment(establishment: Establishment, *, by: User | None, data: dict) -> Establishment:
    est = Establishment.objects.select_for_update().get(pk=establishment.pk)
    changed = _assign(est, data, ESTABLISHMENT_FIELDS)
    if changed:
        _save_clean(est)
        audit(est, "updated", actor=by, note=", ".join(changed))
        establishment_updated.send(sender=Establishment, establishment=est)
    return est


# --- access ---------------------------------------------------------------------------------------------


def _user_by_email(email: str):
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise DomainError(
            _("このメールアドレスのユーザーは登録されていません。先に利用者登録をしてもらってください。"),
            code="unknown_user",
        )
    return user


@transaction.atomic
def grant_organisation_access(
    organisation: Organisation, *, email: str, can_manage: bool, by: User | None
) -> Access:
    """Let a colleague act for the whole organisation (only a manager of it may do this)."""
    if not selectors.can_manage_organisation(by, organisation):
        raise DomainError(_("権限を付与する権限がありません。"), code="forbidden")
    user = _user_by_email(email)
    access, created = Access.objects.get_or_create(
        user=user, organisation=organisation, defaults={"can_manage": can_manage, "granted_by": by}
    )
    if not created:
        raise DomainError(_("このユーザーには既に権限があります。"), code="duplicate")
    audit(organisation, "access_granted", actor=by, note=user.email)
    return access


@transaction.atomic
def grant_establishment_access(
    establishment: Establishment, *, email: str, can_manage: bool, by: User | None
) -> Access:
    """Let a colleague act for one site only."""
    if not selectors.can_manage_establishment(by, establishment):
        raise DomainError(_("権限を付与する権限がありません。"), code="forbidden")
    user = _user_by_email(email)
    access, created = Access.objects.get_or_create(
        user=user, establishment=establishment, defaults={"can_manage": can_manage, "granted_by": by}
    )
    if not created:
        raise DomainError(_("このユーザーには既に権限があります。"), code="duplicate")
    audit(establishment, "access_granted", actor=by, note=user.email)
    return access


@transaction.atomic
def revoke_access(access: Access, *, by: User) -> None:
    target = access.organisation or access.establishment
    allowed = (
        selectors.can_manage_organisation(by, access.organisation)
        if access.organisation_id
        else selectors.can_manage_establishment(by, access.establishment)
    )
    if not allowed:
        raise DomainError(_("権限を削除する権限がありません。"), code="forbidden")
    if access.user_id == by.pk and access.can_manage:
        # One of the two ids is None: filter(x=None) is IS NULL, which the stubs do not accept.
        others = Access.objects.filter(  # type: ignore[misc]
            organisation_id=access.organisation_id, establishment_id=access.establishment_id, can_manage=True
        ).exclude(pk=access.pk)
        if not others.exists():
            raise DomainError(_("最後の管理者の権限は削除できません。"), code="last_manager")
    audit(target, "access_revoked", actor=by, note=access.user.email)
    access.delete()


@transaction.atomic
def grant_support_access(
    establishment: Establishment, *, support_organisation: Organisation, by: User | None
) -> SupportGrant:
    """The client lets a registered support organisation act and pay for this establishment (FAQ 2-5-12)."""
    if not selectors.can_manage_establishment(by, establishment):
        raise DomainError(_("権限を付与する権限がありません。"), code="forbidden")
    if not support_organisation.is_support_organisation:
        raise DomainError(_("登録支援機関として登録された団体ではありません。"), code="not_support_org")
    if SupportGrant.objects.filter(
        establishment=establishment, support_organisation=support_organisation, revoked_at__isnull=True
    ).exists():
        raise DomainError(_("この登録支援機関には既に委任しています。"), code="duplicate")
    grant = SupportGrant.objects.create(
        establishment=establishment, support_organisation=support_organisation, granted_by=by
    )
    audit(establishment, "support_granted", actor=by, note=support_organisation.name)
    return grant


@transaction.atomic
def revoke_support_access(grant: SupportGrant, *, by: User | None) -> None:
    if not selectors.can_manage_establishment(by, grant.establishment):
        raise DomainError(_("権限を削除する権限がありません。"), code="forbidden")
    grant = SupportGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit(grant.establishment, "support_revoked", actor=by, note=grant.support_organisation.name)


# --- memberships ----------------------------------------------------------------------------------------

MEMBER_NUMBER_PREFIX = "member"


def format_member_number(value: int) -> str:
    return f"J{value:07d}"


@transaction.atomic
def create_membership(
    establishment: Establishment, *, jsic_codes, fee_notice_date: dt.date, by: User | None = None
) -> Membership:
    """A new membership awaiting its first payment (R9: listed only once paid). One open per site (R1)."""
    establishment = Establishment.objects.select_for_update().get(pk=establishment.pk)
    if selectors.open_membership(establishment):
        raise DomainError(_("この事業所には既に有効な会員資格があります。"), code="membership_exists")
    codes = list(JsicCode.objects.filter(code__in=list(jsic_codes)))
    if not codes:
        raise DomainError(_("産業分類が指定されていません。"), code="no_jsic")
    for code in codes:
        if not selectors.is_eligible(code.code):
            raise DomainError(_("分類 %(code)s は対象外です。") % {"code": code.code}, code="ineligible")
    membership = Membership.objects.create(
        establishment=establishment,
        member_number=format_member_number(next_value(MEMBER_NUMBER_PREFIX)),
        fee_notice_date=fee_notice_date,
    )
    membership.jsic_codes.set(codes)
    audit(membership, "status:AWAITING_PAYMENT", actor=by, to_status=membership.status)
    return membership


def _move_membership(membership, to, *, by: User | None, on, note="", fields=()):
    old = membership.status
    move(membership, to, transitions=Membership.TRANSITIONS, actor=by, note=note)
    membership.full_clean()
    membership.save(update_fields=["status", *fields])
    membership_status_changed.send(
        sender=Membership, membership=membership, old_status=old, new_status=to, effective_on=on
    )
    return membership


def _locked(membership) -> Membership:
    return Membership.objects.select_for_update().get(pk=membership.pk)


@transaction.atomic
def activate_membership(
    membership: Membership, *, on: dt.date | None = None, by: User | None = None
) -> Membership:
    """First fee paid: ACTIVE and listed on the roster from that day (R9). Idempotent for ACTIVE."""
    m = _locked(membership)
    if m.status == Membership.Status.ACTIVE:
        return m
    on = on or today()
    if m.status == Membership.Status.AWAITING_PAYMENT:
        m.activated_on = on
    return _move_membership(m, Membership.Status.ACTIVE, by=by, on=on, fields=["activated_on"])


# --- moves after admission: primitives of lifecycle.services ------------------------------------------------
# The membership's status and dates, and the roster signal. The decisions (who may, when, unpaid invoices, the
# renewal answer, mail) are lifecycle's: call lifecycle.services (request_withdrawal, confirm_withdrawal,
# cancel_withdrawal, lapse_unpaid_memberships, reinstate_membership), never these.


@transaction.atomic
def _request_withdrawal(
    membership: Membership, *, by: User | None, effective_on: dt.date, reason: str
) -> Membership:
    """退会する (R11): the member asks; staff confirm. Still listed until the withdrawal date."""
    m = _locked(membership)
    if not reason.strip():
        raise DomainError(_("退会理由を入力してください。"), code="reason_required")
    if effective_on < today():
        raise DomainError(_("退会日は今日以降の日付を指定してください。"), code="past_date")
    m.withdrawal_requested_at = timezone.now()
    m.withdrawal_effective_on = effective_on
    m.withdrawal_reason = reason.strip()
    return _move_membership(
        m,
        Membership.Status.WITHDRAWAL_REQUESTED,
        by=by,
        on=today(),
        fields=["withdrawal_requested_at", "withdrawal_effective_on", "withdrawal_reason"],
    )


@transaction.atomic
def _cancel_withdrawal_request(
    membership: Membership, *, by: User | None = None, note: str = ""
) -> Membership:
    """WITHDRAWAL_REQUESTED → ACTIVE: the member (or the secretariat) took the request back before the withdrawal
    day. It was listed all along, so the roster does not change."""
    m = _locked(membership)
    if m.status != Membership.Status.WITHDRAWAL_REQUESTED:
        raise DomainError(_("退会の申出中ではありません。"), code="not_requested")
    m.withdrawal_requested_at = None
    m.withdrawal_effective_on = None
    return _move_membership(
        m,
        Membership.Status.ACTIVE,
        by=by,
        on=today(),
        note=note,
        fields=["withdrawal_requested_at", "withdrawal_effective_on"],
    )


@transaction.atomic
def _withdraw_membership(
    membership: Membership, *, on: dt.date, by: User | None = None, note: str = ""
) -> Membership:
    """WITHDRAWN on `on`: delisted that day; no refund (R11, F13). Siblings are untouched (FAQ 3-1-5)."""
    m = _locked(membership)
    if m.status == Membership.Status.WITHDRAWN:
        return m
    if m.activated_on and on < m.activated_on:
        raise DomainError(_("退会日は会員開始日より前にできません。"), code="before_activation")
    m.withdrawn_on = on
    return _move_membership(m, Membership.Status.WITHDRAWN, by=by, on=on, note=note, fields=["withdrawn_on"])


@transaction.atomic
def _lapse_membership(
    membership: Membership, *, on: dt.date, by: User | None = None, note: str = ""
) -> Membership:
    """Renewal fee unpaid past the grace period: LAPSED and delisted from `on`."""
    m = _locked(membership)
    if m.status == Membership.Status.LAPSED:
        return m
    m.lapsed_on = on
    return _move_membership(m, Membership.Status.LAPSED, by=by, on=on, note=note, fields=["lapsed_on"])


@transaction.atomic
def _reinstate_membership(
    membership: Membership, *, on: dt.date, by: User | None = None, note: str = ""
) -> Membership:
    """Finance reinstates a lapsed membership when the payment arrives; the roster shows the gap."""
    m = _locked(membership)
    if m.status != Membership.Status.LAPSED:
        raise DomainError(_("失効中の会員資格のみ復活できます。"), code="not_lapsed")
    m.lapsed_on = None
    return _move_membership(m, Membership.Status.ACTIVE, by=by, on=on, note=note, fields=["lapsed_on"])


@transaction.atomic
def add_jsic_codes(membership: Membership, codes, *, by: User | None = None) -> Membership:
    """R4: classifications added to an existing member (after an approved application). One fee still (R3)."""
    m = _locked(membership)
    codes = list(codes)
    new = list(JsicCode.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {c.code for c in new})
    ineligible = [c.code for c in new if not selectors.is_eligible(c.code)]
    if unknown or ineligible:
        raise DomainError(
            _("分類 %(code)s は対象外です。") % {"code": "、".join(unknown + ineligible)}, code="ineligible"
        )
    m.jsic_codes.add(*new)
    audit(m, "jsic_added", actor=by, note=",".join(c.code for c in new))
    establishment_updated.send(sender=Establishment, establishment=m.establishment)
    return m


# --- identity changes (R13 merger/split, R14 relocation) -------------------------------------------------


@transaction.atomic
def record_identity_change(
    establishment: Establishment,
    *,
    kind: str,
    new_organisation_name: str,
    new_establishment_name: str,
    accepted_on: dt.date,
    new_postal_code: str = "",
    new_prefecture: str = "",
    new_city: str = "",
    new_address_line: str = "",
    by: User | None = None,
) -> IdentityChange:
    """Accept a merger/split or relocation: old and new names are shown side by side until staff confirm the new
    company / site operating (complete_identity_change), which makes the follow-up documents due."""
    est = Establishment.objects.select_for_update().select_related("organisation").get(pk=establishment.pk)
    if est.identity_changes.filter(effective_on__isnull=True).exists():
        raise DomainError(_("この事業所には処理中の名称変更・移転があります。"), code="pending_change")
    change = IdentityChange(
        establishment=est,
        kind=kind,
        old_organisation_name=est.organisation.name,
        old_establishment_name=est.name,
        old_address=est.full_address,
        new_organisation_name=new_organisation_name or est.organisation.name,
        new_establishment_name=new_establishment_name or est.name,
        new_postal_code=new_postal_code,
        new_prefecture=new_prefecture,
        new_city=new_city,
        new_address_line=new_address_line,
        accepted_on=accepted_on,
    )
    change.full_clean()
    change.save()
    audit(change, "accepted", actor=by)
    identity_changed.send(sender=IdentityChange, change=change)
    return change


def follow_up_days() -> int:
    """Days after the new company / site operates within which the follow-up documents are due ("as soon as
    possible", FAQ 3-2-2, 3-2-3): a setting, JAIM_IDENTITY_FOLLOW_UP_DAYS (default 30)."""
    return int(getattr(settings, "JAIM_IDENTITY_FOLLOW_UP_DAYS", 30))


def _locked_change(change: IdentityChange) -> IdentityChange:
    return IdentityChange.objects.select_for_update().get(pk=change.pk)


@transaction.atomic
def complete_identity_change(
    change: IdentityChange,
    *,
    effective_on: dt.date,
    by: User | None = None,
    follow_up_due_on: dt.date | None = None,
) -> IdentityChange:
    """The new company exists / the new site operates (R13, R14), confirmed by staff: from effective_on the new
    names (and the new address) are the establishment's and organisation's, the roster shows only the new names
    from that day (earlier days keep the old ones), and the follow-up documents become due. Safe to run twice:
    the same date again changes nothing; another date is refused."""
    ch = _locked_change(change)
    if ch.effective_on is not None:
        if ch.effective_on == effective_on:
            return ch
        raise DomainError(
            _("この変更は既に%(date)s付けで稼働を確認済みです。")
            % {"date": f"{ch.effective_on:%Y年%-m月%-d日}"},
            code="already_effective",
        )
    if effective_on < ch.accepted_on:
        raise DomainError(
            _("稼働日は受理日（%(date)s）より前にできません。")
            % {"date": f"{ch.accepted_on:%Y年%-m月%-d日}"},
            code="before_accepted",
        )
    if effective_on > today():
        raise DomainError(
            _("稼働日に未来の日付は指定できません。稼働した日以降に確認してください。"), code="future_date"
        )
    due = follow_up_due_on or effective_on + dt.timedelta(days=follow_up_days())
    if due < effective_on:
        raise DomainError(
            _("追加書類の提出期限は稼働日以降の日付にしてください。"), code="due_before_effective"
        )
    est = Establishment.objects.select_for_update().select_related("organisation").get(pk=ch.establishment_id)
    ch.effective_on = effective_on
    ch.completed_at, ch.completed_by = timezone.now(), by
    ch.follow_up_due_on = due
    ch.full_clean()
    ch.save(update_fields=["effective_on", "completed_at", "completed_by", "follow_up_due_on"])
    est.name = ch.new_establishment_name
    if ch.kind == IdentityChange.Kind.RELOCATION and ch.new_postal_code:
        est.postal_code, est.prefecture = ch.new_postal_code, ch.new_prefecture
        est.city, est.address_line = ch.new_city, ch.new_address_line
    _save_clean(est)
    org = est.organisation
    if org.name != ch.new_organisation_name:
        org.name = ch.new_organisation_name
        org.save(update_fields=["name", "updated_at"])
    audit(
        ch,
        "effective",
        actor=by,
        note=f"{japanese_date(effective_on)}から・追加書類の期限 {japanese_date(due)}",
    )
    identity_changed.send(sender=IdentityChange, change=ch)
    # The outbox row commits with the change (sent after commit): the member is asked for the documents at once.
    url = absolute_url("members:establishment_detail", est.pk) + "#identity-change"
    for email in selectors.contact_emails(est):
        queue_mail(
            to=email,
            template="identity_change_effective",
            context={"change": ch, "establishment": est, "url": url},
            kind="identity_change_effective",
            dedupe_key=f"identity-effective:{ch.pk}:{email}",
        )
    return ch


@transaction.atomic
def report_identity_change_effective(
    change: IdentityChange, *, effective_on: dt.date, by: User | None
) -> IdentityChange:
    """The member reports 「新会社で事業を開始しました」/「新事業所が稼働しました」 with the day: it waits in the staff
    queue for confirmation and never finishes the change on its own. A later report replaces an earlier one."""
    ch = _locked_change(change)
    if ch.effective_on is not None:
        raise DomainError(_("この変更は既に事務局が稼働を確認しています。"), code="already_effective")
    if effective_on > today():
        raise DomainError(_("稼働日に未来の日付は指定できません。"), code="future_date")
    if effective_on < ch.accepted_on:
        raise DomainError(
            _("稼働日は受理日（%(date)s）より前にできません。")
            % {"date": f"{ch.accepted_on:%Y年%-m月%-d日}"},
            code="before_accepted",
        )
    if ch.reported_effective_on == effective_on:
        return ch
    ch.reported_effective_on, ch.reported_at, ch.reported_by = effective_on, timezone.now(), by
    ch.save(update_fields=["reported_effective_on", "reported_at", "reported_by"])
    audit(ch, "effective_reported", actor=by, note=effective_on.isoformat())
    return ch


@transaction.atomic
def record_follow_up_submitted(change: IdentityChange, *, by: User | None = None) -> IdentityChange:
    """Every follow-up document is in (the caller checked): reminders stop and staff check them. Idempotent."""
    ch = _locked_change(change)
    if ch.effective_on is None:
        raise DomainError(_("稼働の確認前は追加書類を提出できません。"), code="not_effective")
    if ch.follow_up_submitted_at is None:
        ch.follow_up_submitted_at = timezone.now()
        ch.save(update_fields=["follow_up_submitted_at"])
        audit(ch, "follow_up_submitted", actor=by)
    return ch


@transaction.atomic
def record_follow_up_done(change: IdentityChange, *, on: dt.date, by: User | None = None) -> IdentityChange:
    """Staff accepted the follow-up documents (R13, R14): the requirement is settled. Idempotent."""
    ch = _locked_change(change)
    if ch.effective_on is None:
        raise DomainError(_("稼働の確認前は追加書類を確認済みにできません。"), code="not_effective")
    if ch.follow_up_done_on is None:
        ch.follow_up_done_on = on
        ch.save(update_fields=["follow_up_done_on"])
        audit(ch, "follow_up_done", actor=by)
    return ch


@transaction.atomic
def flag_overdue_follow_ups(*, on: dt.date) -> int:
    """Follow-up documents past their due date and not all in: flagged for staff once (follow_up_overdue_on,
    the first day past the due date), whatever the number of runs. Returns how many were flagged now."""
    qs = IdentityChange.objects.select_for_update(skip_locked=True).filter(
        effective_on__isnull=False,
        follow_up_due_on__lt=on,
        follow_up_submitted_at__isnull=True,
        follow_up_done_on__isnull=True,
        follow_up_overdue_on__isnull=True,
    )
    flagged = 0
    for ch in qs:
        due = ch.follow_up_due_on
        assert due is not None  # follow_up_due_on__lt excludes changes without a due day
        ch.follow_up_overdue_on = due + dt.timedelta(days=1)
        ch.save(update_fields=["follow_up_overdue_on"])
        audit(ch, "follow_up_overdue", note=due.isoformat())
        flagged += 1
    return flagged


# --- declarations made in an approved application (applications calls these) -----------------------------


@transaction.atomic
def record_sme_declaration(
    organisation: Organisation,
    *,
    capital_yen: int | None,
    regular_employees: int | None,
    by: User | None = None,
    note: str = "",
) -> Organisation:
    """Apply a verified SME declaration (F3: capital, regular employees) to the organisation so fee quotes see it.
    Called when the proof document was accepted in review: it also stamps sme_verified_on (SME discount needs it)."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = []
    if org.sme_verified_on is None:
        org.sme_verified_on = today()
        changed.append("sme_verified_on")
    for f, value in (("capital_yen", capital_yen), ("regular_employees", regular_employees)):
        if value is not None and getattr(org, f) != value:
            setattr(org, f, value)
            changed.append(f)
    if changed:
        _save_clean(org, update_fields=[*changed, "updated_at"])
        audit(org, "sme_declared", actor=by, note=note or ", ".join(changed))
    return org


@transaction.atomic
def record_association_membership(
    organisation: Organisation,
    *,
    association,
    applied_on: dt.date | None = None,
    complete_on: dt.date | None = None,
    by: User | None = None,
    note: str = "",
):
    """Record an organisation's membership of an association declared in an application (F4). Dates already
    recorded (e.g. checked by staff against the association's member list) are never overwritten."""
    from members.models import AssociationMembership

    am, created = AssociationMembership.objects.select_for_update().get_or_create(
        organisation=organisation,
        association=association,
        defaults={"applied_on": applied_on, "complete_on": complete_on},
    )
    if not created:
        changed = []
        if am.applied_on is None and applied_on is not None:
            am.applied_on = applied_on
            changed.append("applied_on")
        if am.complete_on is None and complete_on is not None:
            am.complete_on = complete_on
            changed.append("complete_on")
        if changed:
            am.full_clean()
            am.save(update_fields=changed)
    audit(organisation, "association_recorded", actor=by, note=note or association.name)
    return am


# --- retention: anonymise personal data after the retention period (security) ------------------------------

ANONYMISED = "（匿名化済み）"
ANONYMISED_PHONE = "0000000000"


def anonymised_email(user) -> str:
    return f"anonymised-{user.pk}@invalid.jaim.example"


def retention_end(establishment: Establishment):
    """When the establishment's last membership ended (withdrawal or lapse), or None while one is open or
    it never had one (then the retention clock has not started)."""
    ends: list[dt.date] = []
    for m in establishment.memberships.all():
        if m.status in Membership.OPEN_STATUSES:
            return None
        end = m.withdrawn_on or m.lapsed_on
        if end is None:
            return None
        ends.append(end)
    return max(ends) if ends else None


def past_retention(establishment: Establishment, *, on: dt.date | None = None) -> bool:
    from jaim.models import RetentionPolicy

    end = retention_end(establishment)
    return end is not None and end < RetentionPolicy.current().cutoff(on or today())


def _anonymise_user(user) -> None:
    from django.db.models import Value
    from django.db.models.functions import Replace

    from jaim.models import AuditEvent, OutboxMessage

    old_email, new_email = user.email, anonymised_email(user)
    user.email, user.full_name = new_email, ""
    user.is_active = False
    user.email_verified_at = None
    user.set_unusable_password()
    user.save(update_fields=["email", "full_name", "is_active", "email_verified_at", "password"])
    user.history.all().update(email=new_email, full_name="")
    AuditEvent.objects.filter(note__contains=old_email).update(
        note=Replace("note", Value(old_email), Value(new_email))
    )
    OutboxMessage.objects.filter(to__iexact=old_email).update(to=new_email, body=ANONYMISED + "\n")
    from django.apps import apps

    if apps.is_installed("axes"):  # login attempts and logs name the address
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
            try:
                apps.get_model("axes", name).objects.filter(username__iexact=old_email).delete()
            except LookupError:
                pass


@transaction.atomic
def anonymise_establishment(
    establishment: Establishment, *, by: User | None, on: dt.date | None = None
) -> dict:
    """Past the retention period after withdrawal: remove the personal data of an establishment's people — the
    site's phone, withdrawal reasons, the users who acted only for it (names, e-mail addresses, logins), and, once
    every site of the organisation is past retention, the representative's name and the phone. Names of the
    organisation and site, invoices, the roster history and member numbers stay. Safe to run twice."""
    from django.db.models import Q

    est = Establishment.objects.select_for_update().select_related("organisation").get(pk=establishment.pk)
    if not past_retention(est, on=on):
        raise DomainError(
            _("「%(name)s」は退会後の保存期間が過ぎていないため匿名化できません。") % {"name": est.name},
            code="retention_not_over",
        )
    org = est.organisation
    org_done = all(past_retention(e, on=on) for e in org.establishments.exclude(pk=est.pk))

    est.phone = ANONYMISED_PHONE
    est.employment_insurance_number = ""
    _save_clean(est)
    est.history.all().update(phone=ANONYMISED_PHONE, employment_insurance_number="")
    memberships = Membership.objects.filter(establishment=est)
    memberships.update(withdrawal_reason="")
    Membership.history.filter(establishment_id=est.pk).update(withdrawal_reason="")

    scopes = Access.objects.filter(establishment=est)
    if org_done:
        org.representative_name = ANONYMISED
        org.phone = ANONYMISED_PHONE
        _save_clean(org)
        org.history.all().update(representative_name=ANONYMISED, phone=ANONYMISED_PHONE)
        scopes = Access.objects.filter(
            Q(establishment=est) | Q(organisation=org) | Q(establishment__organisation=org)
        )
    # People who acted only for what is anonymised now (or earlier); anyone with another live scope is kept.
    candidates = User.objects.filter(pk__in=scopes.values("user_id"), is_staff=False).distinct()
    users = []
    for user in candidates:
        other = Access.objects.filter(user=user).exclude(pk__in=scopes.values("pk"))
        if not other.exists() and not user.email.endswith("@invalid.jaim.example"):
            _anonymise_user(user)
            users.append(user)
    from members.signals import establishment_anonymised

    establishment_anonymised.send(sender=Establishment, establishment=est, users=users)
    counts = {"users": len(users), "organisation": org_done}
    audit(est, "anonymised", actor=by, note=f"users={len(users)} organisation={'yes' if org_done else 'no'}")
    return counts


# --- association member lists sent by the associations (backoffice imports) -------------------------


@transaction.atomic
def sync_association_memberships(entries, *, by: User | None = None, note: str = "") -> dict:
    """Apply an association's own member list (F4, FAQ 2-4-6): entries are (organisation_id, association_id,
    complete_on, ended_on). The list is the association's record, so its dates win over what an application
    declared; an entry that already says the same is not touched (no write, no audit row: importing the same list
    twice changes nothing). Returns {(organisation_id, association_id): (outcome, previous dates or None)} with
    outcome "created", "updated" or "unchanged"."""
    from members.models import AssociationMembership

    entries = list(entries)
    if not entries:
        return {}
    existing = {
        (am.organisation_id, am.association_id): am
        for am in AssociationMembership.objects.select_for_update().filter(
            organisation_id__in={e[0] for e in entries}, association_id__in={e[1] for e in entries}
        )
    }
    result: dict[tuple[int, int], tuple[str, dict | None]] = {}
    new, changed = [], []
    for org_id, assoc_id, complete_on, ended_on in entries:
        am = existing.get((org_id, assoc_id))
        if am is None:
            am = AssociationMembership(
                organisation_id=org_id, association_id=assoc_id, complete_on=complete_on, ended_on=ended_on
            )
            am.full_clean(validate_unique=False, validate_constraints=False)
            existing[(org_id, assoc_id)] = am
            new.append(am)
            result[(org_id, assoc_id)] = ("created", None)
        elif (am.complete_on, am.ended_on) != (complete_on, ended_on):
            result[(org_id, assoc_id)] = ("updated", {"complete_on": am.complete_on, "ended_on": am.ended_on})
            am.complete_on, am.ended_on = complete_on, ended_on
            changed.append(am)
        else:
            result.setdefault((org_id, assoc_id), ("unchanged", None))
    AssociationMembership.objects.bulk_create(new)
    AssociationMembership.objects.bulk_update(changed, ["complete_on", "ended_on"])
    for am in [*new, *changed]:
        audit(
            am,
            "association_list_imported",
            actor=by,
            note=f"{note} 加入完了日 {japanese_date(am.complete_on) or '—'}・終了日 {japanese_date(am.ended_on) or '—'}".strip(),
        )
    return result
