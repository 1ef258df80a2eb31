"""The role matrix: what each staff role — reviewer (審査担当), finance (経理担当), administrator (管理者) — may see
and do, in the domain's words. One table, read by

- the group sync (`sync_staff_groups`, after every migrate): each group gets exactly the Django permissions the
  matrix derives, anything else is taken away;
- the admin: custom admin views, staff pages and portal document views name the permission they need here
  (`STAFF_PAGES`), admin actions declare theirs and are listed in `ADMIN_ACTIONS`;
- the tests (tests/security/test_role_matrix.py): every admin URL and action, discovered from the admin
  registry and the URL resolver, answers each role as this table says; a page or action missing here fails;
- the docs: `manage.py roles_table --write docs/roles.md`.

Superuser is break-glass only: `manage.py createsuperuser`, never from the admin (members.admin.UserAdmin)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

REVIEWER, FINANCE, ADMINISTRATOR = "reviewer", "finance", "administrator"
ROLES = (REVIEWER, FINANCE, ADMINISTRATOR)
ROLE_LABELS = {REVIEWER: _("審査担当"), FINANCE: _("経理担当"), ADMINISTRATOR: _("管理者")}
GROUP_LABELS = ROLE_LABELS  # the Django group of a role has the role's name

# The levels of a grant on an area. "change" includes "view"; the others are listed explicitly.
VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
LEVELS = (VIEW, ADD, CHANGE, DELETE)
LEVEL_LABELS = {VIEW: _("閲覧"), ADD: _("追加"), CHANGE: _("変更"), DELETE: _("削除")}

R = (VIEW,)
RW = (VIEW, ADD, CHANGE)
RWD = (VIEW, ADD, CHANGE, DELETE)


@dataclass(frozen=True)
class Area:
    """One thing staff work on, in the domain's words, with the models that hold it.

    `grants`: role -> levels (view/add/change/delete, applied to every model of the area) and custom
    permissions by codename ("complete_identitychange"), which belong to the area's first model's app.
    A model with field history (simple_history) follows its model: the history table gets "view" only."""

    label: str
    models: tuple[str, ...]
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    section: str = ""


def _area(section, label, models, reviewer=(), finance=(), administrator=()):
    grants = {
        role: tuple(g)
        for role, g in ((REVIEWER, reviewer), (FINANCE, finance), (ADMINISTRATOR, administrator))
    }
    return Area(label=label, models=tuple(models), grants=grants, section=section)


S_REVIEW = _("審査")
S_MEMBERS = _("会員・事業所")
S_MONEY = _("会費・経理")
S_LIFECYCLE = _("更新・退会・失効")
S_ROSTER = _("会員名簿")
S_OFFICE = _("事務局の業務")
S_SYSTEM = _("利用者・セキュリティ・システム")

AREAS: tuple[Area, ...] = (
    # --- review ----------------------------------------------------------------------------------------------
    _area(
        S_REVIEW,
        _("申請の審査キューと審査の判断（開始・差戻し・承認・却下）"),
        ["applications.application", "applications.reviewmessage", "applications.pledgeacceptance"],
        reviewer=RW,
        finance=R,
        administrator=RWD,
    ),
    _area(
        S_REVIEW,
        _("申請書類"),
        ["applications.document"],
        reviewer=RW,
        finance=R,
        administrator=RWD,
    ),
    _area(
        S_REVIEW,
        _("必要書類の規則と書類の種類・上乗せ要件の団体・誓約文"),
        [
            "applications.requirement",
            "applications.documenttype",
            "applications.addonassociation",
            "applications.pledgetext",
        ],
        reviewer=RW,
        finance=R,
        administrator=RWD,
    ),
    _area(
        S_REVIEW,
        _("正会員団体への所属（団体割引の判定に使う）"),
        ["members.associationmembership"],
        reviewer=RW,
        finance=RW,
        administrator=RWD,
    ),
    _area(
        S_REVIEW,
        _("新会社の事業開始・新事業所の稼働の確認（合併・移転）"),
        ["members.identitychange"],
        reviewer=(VIEW, "complete_identitychange"),
        finance=R,
        administrator=(*RWD, "complete_identitychange"),
    ),
    # --- members ---------------------------------------------------------------------------------------------
    _area(
        S_MEMBERS,
        _("法人・事業所・会員資格"),
        [
            "members.organisation",
            "members.establishment",
            "members.membership",
            "members.membershipterm",
        ],
        reviewer=R,
        finance=R,
        administrator=RWD,
    ),
    _area(
        S_MEMBERS,
        _("代理権限（誰がどの事業所のために手続きできるか）と登録支援機関への委任"),
        ["members.access", "members.supportgrant"],
        reviewer=R,
        finance=R,
        administrator=RWD,
    ),
    _area(
        S_MEMBERS,
        _("正会員団体・産業分類（JSIC）・対象分野・法人の種類と代表者の役職"),
        [
            "members.association",
            "members.jsiccode",
            "members.fieldeligibility",
            "members.legalform",
            "members.representativetitle",
        ],
        reviewer=R,
        finance=R,
        administrator=RWD,
    ),
    # --- money -----------------------------------------------------------------------------------------------
    _area(
        S_MONEY,
        _("請求書・入金・入金の割当て（発行済みの請求書は変更しない）"),
        ["fees.invoice", "fees.invoiceline", "fees.payment", "fees.paymentallocation"],
        reviewer=R,
        finance=RW,
        administrator=RW,
    ),
    _area(
        S_MONEY,
        _("銀行の入出金明細の取込みと照合"),
        ["fees.bankstatementimport", "fees.bankstatementline"],
        reviewer=R,
        finance=RW,
        administrator=RW,
    ),
    _area(
        S_MONEY,
        _("口座振替（依頼データ・結果・口座振替依頼書・委託者）"),
        ["fees.debitrun", "fees.debititem", "fees.debitmandate", "fees.debitoriginator"],
        reviewer=R,
        finance=RW,
        administrator=RW,
    ),
    _area(
        S_MONEY,
        _("返金に代わる減額（クレジットノート）・領収書・請求書送付先・請求明細書"),
        [
            "fees.creditnote",
            "fees.receipt",
            "fees.billingcontact",
            "fees.statement",
            "fees.statementitem",
            "fees.billingpreference",
        ],
        reviewer=R,
        finance=RW,
        administrator=RW,
    ),
    _area(
        S_MONEY,
        _("年度ごとの会費表と初年度の月割り"),
        ["fees.feeschedule", "fees.firstyearrate"],
        reviewer=R,
        finance=RW,
        administrator=RW,
    ),
    # --- lifecycle -------------------------------------------------------------------------------------------
    _area(
        S_LIFECYCLE,
        _("更新の時期（通知日・回答期限・猶予）と更新の通知"),
        ["lifecycle.renewalseason", "lifecycle.renewalnotice"],
        reviewer=R,
        finance=RW,
        administrator=RWD,
    ),
    _area(
        S_LIFECYCLE,
        _("退会の申出の確認と取消し"),
        ["lifecycle.withdrawalrequest"],
        reviewer=R,
        finance=(VIEW, CHANGE),
        administrator=(VIEW, CHANGE),
    ),
    _area(
        S_LIFECYCLE,
        _("会費未納による失効と会員資格の復活"),
        ["lifecycle.lapse"],
        reviewer=R,
        finance=(VIEW, CHANGE),
        administrator=(VIEW, CHANGE),
    ),
    _area(
        S_LIFECYCLE,
        _("督促・期限のお知らせの規則と送信済みのお知らせ"),
        ["lifecycle.reminderrule", "lifecycle.reminder"],
        reviewer=R,
        finance=RW,
        administrator=RWD,
    ),
    _area(
        S_LIFECYCLE,
        _("賃上げ報告・その証跡・報告期間と目標"),
        ["lifecycle.wagereport", "lifecycle.wageevidence", "lifecycle.wagereportperiod"],
        reviewer=R,
        finance=R,
        administrator=RW,
    ),
    # --- roster ----------------------------------------------------------------------------------------------
    _area(
        S_ROSTER,
        _("会員名簿の掲載・名称の履歴・名簿の出力"),
        [
            "roster.rosterentry",
            "roster.listingperiod",
            "roster.nameversion",
            "roster.rosterline",
            "roster.rosterexport",
        ],
        reviewer=R,
        finance=R,
        administrator=RWD,
    ),
    # --- office ----------------------------------------------------------------------------------------------
    _area(
        S_OFFICE,
        _("データの取込み（協議会の会員データ・正会員団体の会員名簿）と協議会の記録"),
        ["backoffice.importrun", "backoffice.councilrecord"],
        reviewer=R,
        finance=(VIEW, "import_association"),
        administrator=(*RWD, "import_council", "import_association"),
    ),
    _area(
        S_OFFICE,
        _("一覧の出力と集計レポート"),
        ["backoffice.exportjob"],
        reviewer=(VIEW, "view_reports"),
        finance=(VIEW, "view_reports"),
        administrator=(*RWD, "view_reports"),
    ),
    _area(
        S_OFFICE,
        _("お知らせ（公開・メール送信）・情報配信の登録者・会員向け資料"),
        [
            "backoffice.announcement",
            "backoffice.announcementdispatch",
            "backoffice.infosubscriber",
            "backoffice.memberresource",
        ],
        administrator=(*RWD, "send_announcement"),
    ),
    _area(
        S_OFFICE,
        _("職員メモ（事業所の対応履歴：記入・記入者による修正・取消線。削除はだれもできない）"),
        ["backoffice.staffnote"],
        reviewer=RW,
        finance=RW,
        administrator=RW,
    ),
    _area(
        S_OFFICE,
        _("送信メール・定期処理の実行記録・監査ログ・採番"),
        ["jaim.outboxmessage", "jaim.outboxattempt", "jaim.jobrun", "jaim.auditevent", "jaim.sequence"],
        reviewer=R,
        finance=R,
        administrator=RW,
    ),
    # --- users, security, system ----------------------------------------------------------------------------
    _area(
        S_SYSTEM,
        _("利用者（職員を含む）：職員にする・役割（グループ）を割り当てる"),
        ["members.user"],
        administrator=RWD,
    ),
    _area(
        S_SYSTEM,
        _("役割（グループ）の権限（この表から自動で設定され、画面では変更しない）"),
        ["auth.group"],
        administrator=R,
    ),
    _area(
        S_SYSTEM,
        _("2段階認証の端末と回復コード（紛失時の再設定）"),
        ["otp_totp.totpdevice", "otp_static.staticdevice", "otp_static.statictoken"],
        administrator=(VIEW, DELETE),
    ),
    _area(
        S_SYSTEM,
        _("サインインの失敗とロック（解除）"),
        ["axes.accessattempt", "axes.accessattemptexpiration", "axes.accessfailurelog", "axes.accesslog"],
        administrator=(VIEW, DELETE),
    ),
    _area(
        S_SYSTEM,
        _("個人情報の保存期間と匿名化"),
        ["jaim.retentionpolicy"],
        reviewer=R,
        finance=R,
        administrator=(VIEW, CHANGE),
    ),
    _area(
        S_MONEY,
        _("請求書・領収書の発行者情報（住所・電話・角印）：変更は新しい版として登録"),
        ["jaim.issuerprofile"],
        reviewer=R,
        finance=R,
        administrator=(VIEW, ADD),
    ),
    _area(
        S_OFFICE,
        _("メールの文面（変更は新しい版として登録・版の履歴・プレビュー・自分宛てのテスト送信）"),
        ["jaim.mailtemplate", "jaim.mailtemplateversion"],
        administrator=(VIEW, CHANGE),
    ),
    _area(
        S_SYSTEM,
        _("ウイルス検出の記録"),
        ["jaim.virusdetection"],
        administrator=R,
    ),
)

# Models with permissions that no role gets (Django's own bookkeeping): listed so that "not classified" stays an
# error for every other model.
NO_ROLE_MODELS = ("auth.permission", "contenttypes.contenttype", "sessions.session", "admin.logentry")

# Staff pages outside the generic admin URLs — custom admin views (ModelAdmin.get_urls), backoffice's staff pages
# and the portal views staff may open — each with the one permission it needs. The permission is checked by the
# view; the role-matrix test checks every role's answer against the roles' permissions derived above.
# None: any staff member with a verified second factor (the admin's own pages). NOBODY: closed to every role and
# to the superuser too (django-otp's pages that would show a device's secret again: OTP_ADMIN_HIDE_SENSITIVE_DATA).
NOBODY = "nobody"
STAFF_PAGES: dict[str, str | None] = {
    "admin:index": None,
    "admin:password_change": None,
    "admin:password_change_done": None,
    "admin:jsi18n": None,
    "admin:autocomplete": None,
    "admin:app_list": None,  # lists only what the role may view
    "admin:auth_user_password_change": "members.change_user",  # nosec B105 - a permission name, not a password
    "admin:otp_totp_totpdevice_config": NOBODY,
    "admin:otp_totp_totpdevice_qrcode": NOBODY,
    "admin:jaim_mailtemplate_diff": "jaim.change_mailtemplate",
    "admin:jaim_mailtemplate_preview": "jaim.change_mailtemplate",
    "admin:jaim_mailtemplate_test_send": "jaim.change_mailtemplate",
    "admin:fees_invoice_pdf": "fees.view_invoice",
    "admin:fees_invoice_payment": "fees.add_payment",
    "admin:fees_invoice_credit": "fees.add_creditnote",
    "admin:fees_creditnote_pdf": "fees.view_creditnote",
    "admin:fees_statement_upload": "fees.add_payment",
    "admin:fees_statementline_review": "fees.add_payment",
    "admin:fees_debitrun_export": "fees.add_payment",
    "admin:fees_debitrun_file": "fees.add_payment",
    "admin:fees_debitrun_result": "fees.add_payment",
    "admin:applications_application_start": "applications.change_application",
    "admin:applications_application_return": "applications.change_application",
    "admin:applications_application_approve": "applications.change_application",
    "admin:applications_application_reject": "applications.change_application",
    "admin:applications_application_confirm_change": "members.complete_identitychange",
    "admin:applications_application_accept_follow_up": "members.complete_identitychange",
    "admin:members_identitychange_confirm": "members.complete_identitychange",
    "backoffice:import_upload": "backoffice.import_association",  # any import right (backoffice.permissions)
    "backoffice:import_template": "backoffice.import_association",  # the template of an import one may run
    "backoffice:import_preview": "backoffice.view_importrun",
    "backoffice:import_commit": "backoffice.import_association",  # an association import
    "backoffice:import_discard": "backoffice.import_association",
    "backoffice:import_report": "backoffice.view_importrun",
    # the list's own view permission; the page as classified is the organisation list (the role-matrix test also
    # asks for the user list, which only administrators may export)
    "backoffice:export": "members.view_organisation",
    "backoffice:exports": None,  # the requester's own exports
    "backoffice:export_download": None,  # the requester's own exports
    "backoffice:reports": "backoffice.view_reports",
    "backoffice:report": "backoffice.view_reports",
    "backoffice:announcement_send": "backoffice.send_announcement",
    # the timeline of a member: every role that may see the member (writing a note: backoffice.add_staffnote)
    "backoffice:timeline_establishment": "members.view_establishment",
    "backoffice:timeline_organisation": "members.view_organisation",
    "backoffice:note_edit": "backoffice.change_staffnote",  # and only its author, within the edit window
    "backoffice:note_strike": "backoffice.change_staffnote",
    "backoffice:note_attachment": "backoffice.view_staffnote",
    # portal pages that show a member's file to staff (after the second factor: jaim.middleware)
    "applications:document": "applications.view_application",
    "lifecycle:wage_evidence": "lifecycle.view_wagereport",
}
STAFF_PAGE_LABELS = {
    "admin:auth_user_password_change": _("他の利用者のパスワードの設定"),
    "admin:otp_totp_totpdevice_config": _("2段階認証の端末の設定の表示"),
    "admin:fees_invoice_pdf": _("請求書・会費通知のPDF"),
    "admin:fees_invoice_payment": _("入金の記録"),
    "admin:fees_invoice_credit": _("クレジットノートの発行"),
    "admin:fees_statement_upload": _("入出金明細の取込み"),
    "admin:fees_statementline_review": _("入出金明細の照合"),
    "admin:fees_debitrun_export": _("口座振替の依頼データの作成"),
    "admin:fees_debitrun_result": _("口座振替の結果の取込み"),
    "admin:applications_application_start": _("審査の開始"),
    "admin:applications_application_return": _("申請の差戻し"),
    "admin:applications_application_approve": _("申請の承認"),
    "admin:applications_application_reject": _("申請の却下"),
    "admin:applications_application_confirm_change": _("新会社の事業開始・新事業所の稼働の確認"),
    "backoffice:import_upload": _("データの取込み"),
    "backoffice:exports": _("一覧の出力"),
    "backoffice:reports": _("集計レポート"),
    "backoffice:announcement_send": _("お知らせのメール送信"),
    "backoffice:timeline_establishment": _("事業所の対応履歴（職員メモの記入）"),
    "backoffice:timeline_organisation": _("法人の対応履歴（全事業所）"),
    "backoffice:note_edit": _("職員メモの修正（記入者のみ・記入直後のみ）"),
    "backoffice:note_strike": _("職員メモに取消線を引く"),
    "backoffice:note_attachment": _("職員メモの添付ファイルのダウンロード"),
    "applications:document": _("会員の申請書類のダウンロード"),
    "lifecycle:wage_evidence": _("賃上げ報告の証跡のダウンロード"),
}

# Every admin action ("app_label.model_name.action"), with the permission it needs: the ModelAdmin declares it
# (@admin.action(permissions=[...])) and tests/security/test_role_matrix.py checks both agree.
ADMIN_ACTIONS: dict[str, str] = {}


def _declare_actions():
    for model in (
        "applications.addonassociation",
        "applications.application",
        "applications.documenttype",
        "applications.pledgetext",
        "applications.requirement",
        "auth.group",
        "axes.accessattempt",
        "axes.accessfailurelog",
        "axes.accesslog",
        "backoffice.announcement",
        "backoffice.councilrecord",
        "backoffice.exportjob",
        "backoffice.importrun",
        "backoffice.infosubscriber",
        "backoffice.memberresource",
        "backoffice.staffnote",  # offered to nobody: a note is never deleted
        "fees.bankstatementimport",
        "fees.bankstatementline",
        "fees.billingcontact",
        "fees.creditnote",
        "fees.debitmandate",
        "fees.debitoriginator",
        "fees.debitrun",
        "fees.feeschedule",
        "fees.invoice",
        "fees.payment",
        "fees.receipt",
        "fees.statement",
        "jaim.auditevent",
        "jaim.issuerprofile",
        "jaim.jobrun",
        "jaim.mailtemplate",
        "jaim.outboxmessage",
        "jaim.retentionpolicy",
        "jaim.sequence",
        "jaim.virusdetection",
        "lifecycle.lapse",
        "lifecycle.reminder",
        "lifecycle.reminderrule",
        "lifecycle.renewalnotice",
        "lifecycle.renewalseason",
        "lifecycle.wagereport",
        "lifecycle.wagereportperiod",
        "lifecycle.withdrawalrequest",
        "members.access",
        "members.association",
        "members.associationmembership",
        "members.establishment",
        "members.fieldeligibility",
        "members.identitychange",
        "members.jsiccode",
        "members.legalform",
        "members.membership",
        "members.organisation",
        "members.supportgrant",
        "members.user",
        "otp_static.staticdevice",
        "otp_totp.totpdevice",
        "roster.rosterentry",
        "roster.rosterexport",
    ):
        app, name = model.split(".")
        ADMIN_ACTIONS[f"{model}.delete_selected"] = f"{app}.delete_{name}"


_declare_actions()
ADMIN_ACTIONS.update(
    {
        "applications.application.start_review_action": "applications.change_application",
        "axes.accessattempt.cleanup_expired_attempts": "axes.delete_accessattempt",
        "backoffice.announcement.publish": "backoffice.change_announcement",
        "backoffice.announcement.withdraw": "backoffice.change_announcement",
        "backoffice.councilrecord.relink": "backoffice.change_councilrecord",
        "backoffice.infosubscriber.stop": "backoffice.change_infosubscriber",
        "backoffice.memberresource.publish": "backoffice.change_memberresource",
        "backoffice.memberresource.unpublish": "backoffice.change_memberresource",
        "fees.debitmandate.revoke": "fees.change_debitmandate",
        "fees.invoice.rerender_pdfs": "fees.change_invoice",
        "fees.invoice.revoke_pdf_links": "fees.change_invoice",
        "fees.invoice.issue_statements": "fees.add_statement",
        "fees.statement.revoke_pdf_links": "fees.change_invoice",
        "jaim.outboxmessage.resend": "jaim.change_outboxmessage",
        "lifecycle.lapse.reinstate": "lifecycle.change_lapse",
        "lifecycle.withdrawalrequest.confirm": "lifecycle.change_withdrawalrequest",
        "lifecycle.withdrawalrequest.cancel": "lifecycle.change_withdrawalrequest",
        "members.establishment.anonymise_past_retention": "members.delete_establishment",
        "members.identitychange.confirm_effective_action": "members.complete_identitychange",
    }
)


def area_of(model_label: str) -> Area | None:
    for area in AREAS:
        if model_label in area.models:
            return area
    return None


def permissions_of(role: str) -> set[str]:
    """The Django permissions ("app_label.codename") the matrix gives `role`, history tables included."""
    from django.apps import apps

    perms: set[str] = set()
    for area in AREAS:
        grants = area.grants.get(role, ())
        if CHANGE in grants and VIEW not in grants:
            grants = (*grants, VIEW)
        first_app = area.models[0].split(".")[0]
        for label in area.models:
            app, name = label.split(".")
            for g in grants:
                if g in LEVELS:
                    perms.add(f"{app}.{g}_{name}")
            if VIEW in grants:
                try:
                    model = apps.get_model(label)
                except LookupError:
                    continue
                history = getattr(model, "history", None)
                historical = getattr(getattr(history, "model", None), "_meta", None)
                if historical is not None:
                    perms.add(f"{historical.app_label}.view_{historical.model_name}")
        perms |= {f"{first_app}.{g}" for g in grants if g not in LEVELS}
    return perms


def historical_models() -> set[str]:
    """Labels of the history tables of the models in the matrix (they follow their model)."""
    from django.apps import apps

    out = set()
    for area in AREAS:
        for label in area.models:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            history = getattr(model, "history", None)
            meta = getattr(getattr(history, "model", None), "_meta", None)
            if meta is not None:
                out.add(meta.label_lower)
    return out


def unclassified_models() -> set[str]:
    """Models with permissions that the matrix does not name (neither an area, a history table nor NO_ROLE)."""
    from django.apps import apps

    named = {m for a in AREAS for m in a.models} | set(NO_ROLE_MODELS) | historical_models()
    return {m._meta.label_lower for m in apps.get_models() if m._meta.default_permissions} - named


def role_of(user) -> str | None:
    """The user's staff role (the strongest of their groups), or None."""
    if not getattr(user, "is_staff", False):
        return None
    names = set(user.groups.values_list("name", flat=True))
    for role in (ADMINISTRATOR, FINANCE, REVIEWER):
        if role in names:
            return role
    return None


def is_administrator(user) -> bool:
    """Administers users: a superuser (break-glass) or a staff member of the administrator role."""
    return bool(user.is_active and (user.is_superuser or role_of(user) == ADMINISTRATOR))


def sync_staff_groups(sender=None, **kwargs):
    """Each role's group gets exactly the permissions the matrix derives (after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    every = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        wanted = {every[p] for p in permissions_of(role) if p in every}
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)


def table_markdown() -> str:
    """docs/roles.md, rendered from the matrix (`manage.py roles_table --write docs/roles.md`)."""
    from django.utils import translation

    def cell(grants):
        levels = [str(LEVEL_LABELS[g]) for g in LEVELS if g in grants or (g == VIEW and CHANGE in grants)]
        extra = [g for g in grants if g not in LEVELS]
        return "・".join(levels + [f"`{e}`" for e in extra]) or "—"

    with translation.override("ja"):
        lines = [
            "# 職員の役割と権限（role matrix）",
            "",
            "This file is generated from `jaim/roles.py` by `manage.py roles_table --write docs/roles.md`; a test",
            "fails when it is out of date. Superuser (スーパーユーザー) is break-glass only: `manage.py createsuperuser`,",
            "never set from the admin. Nobody changes their own staff flag, superuser flag, groups or permissions;",
            "only administrators open the user admin, make staff or set another user's password.",
            "",
            "Every staff page needs a verified second factor (TOTP) in the session (`jaim.middleware`).",
            "",
            f"| {_('区分')} | {_('業務')} | {' | '.join(str(ROLE_LABELS[r]) for r in ROLES)} | models |",
            "|---|---|---|---|---|---|",
        ]
        for area in AREAS:
            row = [str(area.section), str(area.label), *(cell(area.grants.get(r, ())) for r in ROLES)]
            row.append(", ".join(f"`{m}`" for m in area.models))
            lines.append("| " + " | ".join(row) + " |")
        lines += [
            "",
            f"## {_('個別の画面')}",
            "",
            f"| {_('画面')} | URL name | permission | "
            + " | ".join(str(ROLE_LABELS[r]) for r in ROLES)
            + " |",
            "|---|---|---|---|---|---|",
        ]
        perms = {r: permissions_of(r) for r in ROLES}
        for name, perm in STAFF_PAGES.items():
            label = str(STAFF_PAGE_LABELS.get(name, "")) or "—"
            marks = ["○" if perm is None or perm in perms[r] else "×" for r in ROLES]
            lines.append(f"| {label} | `{name}` | `{perm or 'staff'}` | " + " | ".join(marks) + " |")
        lines += [
            "",
            f"## {_('一括操作（管理画面のアクション）')}",
            "",
            "| action | permission | " + " | ".join(str(ROLE_LABELS[r]) for r in ROLES) + " |",
            "|---|---|---|---|---|",
        ]
        for name, perm in sorted(ADMIN_ACTIONS.items()):
            if name.endswith(".delete_selected"):
                continue
            marks = ["○" if perm in perms[r] else "×" for r in ROLES]
            lines.append(f"| `{name}` | `{perm}` | " + " | ".join(marks) + " |")
        lines += [
            "",
            "Every model's 「選択した…の削除」 (`delete_selected`) needs the model's delete permission.",
            "",
        ]
    return "\n".join(lines)
