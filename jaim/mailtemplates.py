"""Mail wording as data: the administrators' versions of a mail's text, rendered in jinja2's sandbox.

An editable template never sees the model instances the mail's caller passes (jaim.mail.Mail.context): each kind
declares the variables it offers (KINDS: name, description, example, and the dotted path it is read from in the
caller's context), and `plain_context` builds a dict of str/int/date values from those paths with getattr on
attributes only (no calls, nothing starting with "_"). The sandbox has no loader (include/import/extends fail), no
`range`, a few filters (yen, date, datetime, comma), StrictUndefined, and a cap on the output's size. `check`
refuses, before a version is saved, anything but the declared variables, tags other than if/for, loops over
anything but a declared list, function calls and arithmetic; then renders the text against the examples.

A kind without a version sends its built-in text (templates/mail/<kind>.txt); `starter_text` turns that text into
the first version's form. Higher apps offer a preview on a real member by a `mail_previews` module (PREVIEWS)."""

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NoReturn

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.template.loader import get_template
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from jaim.dates import japanese_date
from jaim.errors import DomainError
from jaim.formats import yen
from jaim.models import MailTemplate, MailTemplateVersion

MAX_OUTPUT = 20_000  # characters of one rendered mail (subject and body)
MAX_SOURCE = 20_000


@dataclass(frozen=True)
class Var:
    """One variable a kind's template may use: `name` as written in the template ("invoice.number"), read from
    `path` in the caller's context (default: the name). `display`: the label of a field's choice."""

    name: str
    description: str | Promise
    example: object
    path: str = ""
    display: bool = False
    required: bool = False

    @property
    def source(self) -> str:
        return self.path or self.name


@dataclass(frozen=True)
class ListVar:
    """A list the template may loop over: {% for line in lines %}{{ line.name }}{% endfor %}."""

    name: str
    description: str | Promise
    fields: tuple[Var, ...] = field(default_factory=tuple)
    path: str = ""


SITE_URL = Var("site_url", _("サイトのURL"), "https://jaim.example.jp")
_ORG = Var("establishment.organisation.name", _("法人名"), "株式会社見本製作所")
_EST = Var("establishment.name", _("事業所名"), "本社工場")
_URL = Var("url", _("マイページの該当ページのURL"), "https://jaim.example.jp/mypage/")
_MNO = Var("membership.member_number", _("会員番号"), "J0000123")
_SITE = (_ORG, _EST)
_APP = (
    Var("application.receipt_number", _("受付番号"), "A2026-000123"),
    Var("application.kind", _("申請の種類"), "入会申請", display=True),
    Var("application.submitted_at", _("受付日時"), dt.datetime(2026, 12, 2, 10, 30)),
    Var("application.decided_on", _("決定日"), dt.date(2026, 12, 2)),
    Var("application.return_deadline", _("修正の期限"), dt.date(2026, 12, 25)),
    Var("application.is_new", _("入会申請か（はい・いいえ）"), True),
    Var("application.is_add_classification", _("産業分類の追加の申請か"), False),
    Var("application.is_name_change", _("名称変更の申請か"), False),
    Var("application.is_relocation", _("移転の申請か"), False),
)
_APP_URL = Var("url", _("申請の画面のURL"), "https://jaim.example.jp/applications/123/")
_INV = (
    Var("invoice.number", _("請求書番号"), "2027-000123"),
    Var("invoice.fiscal_year", _("対象年度"), 2027),
    Var("invoice.buyer_name", _("宛名"), "株式会社見本製作所"),
    Var("invoice.buyer_department", _("部署名"), "総務部"),
    Var("invoice.buyer_person", _("担当者名"), "見本 太郎"),
    Var("invoice.member_number", _("会員番号"), "J0000123"),
    Var("invoice.establishment_name", _("対象事業所"), "本社工場"),
    Var("invoice.total_yen", _("請求金額（円）"), 120000),
    Var("invoice.due_date", _("支払期限（口座振替日）"), dt.date(2027, 4, 27)),
    Var("invoice.is_transfer", _("銀行振込か（いいえなら口座振替）"), False),
    Var("invoice.is_debit", _("口座振替か"), True),
)
_PDF = (
    Var("pdf_link", _("PDFをログインせずに開くリンク（ない場合は空）"), "https://jaim.example.jp/i/abc"),
    Var("pdf_link_days", _("リンクの有効日数"), 30),
)
_CHANGE = (
    Var("change.kind", _("変更の種類"), "移転", display=True),
    Var("change.is_relocation", _("移転か（いいえなら名称変更・合併）"), True),
    Var("change.old_establishment_name", _("変更前の事業所名"), "本社工場"),
    Var("change.new_establishment_name", _("変更後の事業所名"), "新本社工場"),
    Var("change.new_organisation_name", _("変更後の法人名"), "株式会社見本製作所"),
    Var("change.effective_on", _("稼働・事業開始の日"), dt.date(2027, 1, 10)),
    Var("change.follow_up_due_on", _("追加書類の提出期限"), dt.date(2027, 3, 10)),
)
_LAPSE = (
    Var("lapse.lapsed_on", _("失効日"), dt.date(2027, 7, 1)),
    Var("lapse.reinstated_on", _("復活日"), dt.date(2027, 8, 1)),
)
_SEASON = (
    Var("season.fiscal_year", _("継続する年度"), 2027),
    Var("season.answer_deadline", _("回答期限"), dt.date(2027, 2, 28)),
)
_PERIOD = (
    Var("period.fiscal_year", _("賃上げ報告の年度"), 2027),
    Var("period.opens_on", _("受付開始日"), dt.date(2027, 6, 1)),
    Var("period.closes_on", _("提出期限"), dt.date(2027, 7, 31)),
    Var("period.target_large_pct", _("大企業の目標（％）"), Decimal("3.00")),
    Var("period.target_sme_pct", _("中小企業の目標（％）"), Decimal("2.00")),
)
_REPORT = (
    Var("report.increase_pct", _("賃上げ率（％）"), Decimal("1.50")),
    Var("report.target_pct", _("目標（％）"), Decimal("3.00")),
    Var("report.company_is_sme", _("中小企業の目標を適用したか"), False),
    Var("report.additional_due_on", _("追加報告の期限"), dt.date(2027, 9, 30)),
)
_REQUEST = (
    Var("request.requested_at", _("退会の申出日時"), dt.datetime(2027, 1, 15, 14, 0)),
    Var("request.effective_on", _("退会日（名簿に載らなくなる日）"), dt.date(2027, 4, 1)),
    Var("request.last_day", _("会員である最後の日"), dt.date(2027, 3, 31)),
    Var("request.is_year_end", _("今年度末での退会か"), True),
    Var("request.reason", _("退会の理由"), "事業の縮小のため"),
    Var("request.contact_name", _("担当者氏名"), "見本 太郎"),
    Var("request.contact_phone", _("担当者電話番号"), "0312345678"),
    Var("request.cancel_note", _("申出を取り消した理由"), "継続を希望されたため"),
    Var(
        "request.credited_invoice.number",
        _("取り消した翌年度の請求書の番号（ない場合は空）"),
        "2027-000123",
    ),
)
_ANCHOR = {
    "lifecycle_reminder_renewal_answer": _("回答期限"),
    "lifecycle_reminder_renewal_unpaid": _("口座振替日（請求書の発行が後ならその発行日）"),
    "lifecycle_reminder_returned_application": _("修正の期限"),
    "lifecycle_reminder_identity_follow_up": _("追加書類の提出期限"),
    "lifecycle_reminder_document_expiry": _("書類の有効期限"),
    "lifecycle_wage_opening": _("受付開始日"),
    "lifecycle_reminder_wage_report": _("提出期限"),
    "lifecycle_reminder_wage_additional": _("追加報告の期限"),
}


def _anchor(kind: str) -> Var:
    """The day a reminder counts from (lifecycle.services.reminders: `anchor`)."""
    return Var("anchor", _ANCHOR[kind], dt.date(2027, 2, 28))


# kind → the variables its template may use. A kind missing here keeps its built-in text only. `required`: what a
# version must contain (the link a sign-up, a password reset or a subscription cannot do without).
KINDS: dict[str, tuple[Var | ListVar, ...]] = {
    # --- applications (applications.services._mail) ---
    "application_received": (
        *_SITE,
        *_APP,
        Var("resubmission", _("修正した申請の再提出か"), False),
        _APP_URL,
        SITE_URL,
    ),
    "application_approved": (*_SITE, *_APP, _APP_URL, SITE_URL),
    "application_cancelled": (*_SITE, *_APP, _APP_URL, SITE_URL),
    "application_rejected": (
        *_SITE,
        *_APP,
        Var("reason", _("却下の理由"), "製造品出荷額等を確認できる書類がありませんでした。"),
        _APP_URL,
        SITE_URL,
    ),
    "application_returned": (
        *_SITE,
        *_APP,
        Var("message", _("修正をお願いする内容"), "登記事項証明書の写しを添付してください。"),
        Var("deadline", _("修正の期限"), dt.date(2026, 12, 25)),
        _APP_URL,
        SITE_URL,
    ),
    # --- fees (fees.services) ---
    "fees_invoice_issued": (*_INV, *_PDF, SITE_URL),
    "fees_payment_received": (*_INV, Var("invoice.paid_on", _("入金日"), dt.date(2027, 4, 27)), SITE_URL),
    "fees_debit_failed": (
        *_INV,
        Var("collection_date", _("口座振替日"), dt.date(2027, 4, 27)),
        Var("reason", _("振替できなかった理由（金融機関からの通知）"), "資金不足"),
        SITE_URL,
    ),
    "fees_credit_note_issued": (
        *_INV,
        Var("note.number", _("クレジットノートの番号"), "CN-2027-00001"),
        Var("note.amount_yen", _("取り消し・減額した金額（円）"), 20000),
        Var("note.reason", _("理由"), "事業所数の訂正"),
        Var("note.issue_date", _("発行日"), dt.date(2027, 4, 10)),
        Var("cancelled", _("請求の全額を取り消したか（いいえなら減額）"), False),
        Var("remaining", _("お支払いいただく残額（円）"), 100000),
        SITE_URL,
    ),
    "fees_statement_issued": (
        Var("statement.number", _("請求明細書番号"), "S2027-00012"),
        Var("statement.buyer_name", _("宛名"), "株式会社見本製作所"),
        Var("statement.buyer_department", _("部署名"), "総務部"),
        Var("statement.buyer_person", _("担当者名"), "見本 太郎"),
        Var("statement.issue_date", _("発行日"), dt.date(2027, 4, 1)),
        Var("statement.total_yen", _("合計金額（円）"), 240000),
        ListVar(
            "items",
            _("まとめた請求書（1件ずつ）"),
            (
                Var("invoice.number", _("請求書番号"), "2027-000123"),
                Var("invoice.membership.establishment.name", _("事業所名"), "本社工場"),
                Var("amount_yen", _("金額（円）"), 120000),
                Var("invoice.due_date", _("お支払期限"), dt.date(2027, 4, 30)),
            ),
        ),
        *_PDF,
        SITE_URL,
    ),
    # --- members (members.services, members.forms) ---
    "verify_email": (
        Var("user.full_name", _("登録した人の氏名"), "見本 太郎"),
        Var(
            "url",
            _("メールアドレスを確認するリンク（必須）"),
            "https://jaim.example.jp/verify/abc/",
            required=True,
        ),
        SITE_URL,
    ),
    "password_reset": (
        Var("user.full_name", _("利用者の氏名"), "見本 太郎"),
        Var(
            "url",
            _("パスワードを再設定するリンク（必須）"),
            "https://jaim.example.jp/accounts/reset/MQ/abc-123/",
            required=True,
        ),
        SITE_URL,
    ),
    "signup_existing": (
        Var("user.full_name", _("登録済みの利用者の氏名"), "見本 太郎"),
        Var(
            "login_url",
            _("ログインのページのURL（必須）"),
            "https://jaim.example.jp/accounts/login/",
            required=True,
        ),
        Var(
            "reset_url",
            _("パスワード再設定のページのURL（必須）"),
            "https://jaim.example.jp/accounts/password_reset/",
            required=True,
        ),
        SITE_URL,
    ),
    "identity_change_effective": (
        *_SITE,
        *_CHANGE,
        Var("url", _("事業所の画面のURL"), "https://jaim.example.jp/mypage/establishments/1/"),
        SITE_URL,
    ),
    # --- lifecycle (lifecycle.services) ---
    "lifecycle_renewal_notice": (
        *_SITE,
        _MNO,
        *_SEASON,
        Var("invoice.number", _("請求書番号"), "2027-000123"),
        Var("invoice.total_yen", _("年会費（円）"), 120000),
        Var("invoice.due_date", _("口座振替日"), dt.date(2027, 4, 27)),
        Var("year_end", _("今年度末の日"), dt.date(2027, 3, 31)),
        _URL,
        SITE_URL,
    ),
    "lifecycle_renewal_continued": (*_SITE, _MNO, *_SEASON, _URL, SITE_URL),
    "lifecycle_lapsed": (
        *_SITE,
        _MNO,
        *_INV,
        Var("lapse.lapsed_on", _("失効日"), dt.date(2027, 7, 1)),
        _URL,
        SITE_URL,
    ),
    "lifecycle_reinstated": (*_SITE, _MNO, *_LAPSE, _URL, SITE_URL),
    "lifecycle_reminder_renewal_answer": (
        *_SITE,
        _MNO,
        *_SEASON,
        _anchor("lifecycle_reminder_renewal_answer"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_reminder_renewal_unpaid": (
        *_SITE,
        _MNO,
        *_INV,
        Var("lapse_day", _("入金がなければ会員資格が失効する日"), dt.date(2027, 7, 1)),
        _anchor("lifecycle_reminder_renewal_unpaid"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_reminder_returned_application": (
        *_SITE,
        *_APP,
        _anchor("lifecycle_reminder_returned_application"),
        _APP_URL,
        SITE_URL,
    ),
    "lifecycle_reminder_identity_follow_up": (
        *_SITE,
        *_CHANGE,
        _anchor("lifecycle_reminder_identity_follow_up"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_reminder_document_expiry": (
        *_SITE,
        Var("document.document_type.name", _("書類の種類"), "人権に関する認証の証明書"),
        Var("document.issuer", _("発行者"), "一般財団法人見本認証機構"),
        Var("document.number", _("証明書の番号"), "C-12345"),
        Var("document.valid_until", _("有効期限"), dt.date(2027, 2, 28)),
        _anchor("lifecycle_reminder_document_expiry"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_wage_opening": (*_SITE, _MNO, *_PERIOD, _anchor("lifecycle_wage_opening"), _URL, SITE_URL),
    "lifecycle_reminder_wage_report": (
        *_SITE,
        _MNO,
        *_PERIOD,
        _anchor("lifecycle_reminder_wage_report"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_reminder_wage_additional": (
        *_SITE,
        *_PERIOD,
        *_REPORT,
        _anchor("lifecycle_reminder_wage_additional"),
        _URL,
        SITE_URL,
    ),
    "lifecycle_wage_below_target": (*_SITE, *_PERIOD, *_REPORT, _URL, SITE_URL),
    "lifecycle_wage_missing": (*_SITE, _MNO, *_PERIOD, _URL, SITE_URL),
    "lifecycle_withdrawal_requested": (*_SITE, _MNO, *_REQUEST, _URL, SITE_URL),
    "lifecycle_withdrawal_confirmed": (*_SITE, _MNO, *_REQUEST, _URL, SITE_URL),
    "lifecycle_withdrawal_cancelled": (*_SITE, _MNO, *_REQUEST, _URL, SITE_URL),
    # --- backoffice (backoffice.services.announcements) ---
    "backoffice_announcement": (
        Var("announcement.title", _("お知らせの題名"), "特定技能制度の運用要領の改正について"),
        Var("announcement.body", _("お知らせの本文"), "運用要領が改正されました。"),
        Var(
            "archive_url",
            _("ウェブで読めるページのURL（公開しないお知らせでは空）"),
            "https://jaim.example.jp/news/1/",
        ),
        Var(
            "unsubscribe_url",
            _("配信を停止するリンク（制度情報メールの登録者だけ。必須）"),
            "https://jaim.example.jp/unsubscribe/abc/",
            required=True,
        ),
        SITE_URL,
    ),
    "backoffice_subscribe_confirm": (
        Var("subscriber.name", _("登録した人の氏名（ない場合は空）"), "見本 太郎"),
        Var("subscriber.organisation_name", _("登録した人の所属（ない場合は空）"), "株式会社見本製作所"),
        Var(
            "url",
            _("登録を完了するリンク（必須）"),
            "https://jaim.example.jp/subscribe/confirm/abc/",
            required=True,
        ),
        SITE_URL,
    ),
}

# mail kind → function(member number) → the caller's context for a real member, or None (higher apps register
# theirs in a `mail_previews` module: jaim.mailtemplates.preview("kind")).
PREVIEWS: dict = {}


def preview(kind: str):
    def register(fn):
        PREVIEWS[kind] = fn
        return fn

    return register


def load_previews() -> dict:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("mail_previews")
    return PREVIEWS


def editable(kind: str) -> bool:
    return kind in KINDS


def required(kind: str) -> tuple[str, ...]:
    """The variables every version of `kind` must contain (its security link: sign-up, password reset …)."""
    return tuple(v.name for v in KINDS.get(kind, ()) if isinstance(v, Var) and v.required)


def examples(kind: str) -> dict:
    """The declared examples as the template sees them."""
    out: dict = {}
    for var in KINDS.get(kind, ()):
        if isinstance(var, ListVar):
            item: dict = _Obj()
            for f in var.fields:
                _put(item, f.name, f.example)
            out[var.name] = [item]
        else:
            _put(out, var.name, var.example)
    return out


class _Obj(dict):
    """An object of the caller's context as the template sees it: its declared fields. Like the model instance
    in the built-in text, it is false when absent (`{% if request.credited_invoice %}`: every field empty)."""

    def __bool__(self) -> bool:
        return any(bool(v) for v in self.values())


def _put(out: dict, dotted: str, value) -> None:
    *heads, last = dotted.split(".")
    for head in heads:
        out = out.setdefault(head, _Obj())
    out[last] = value


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, bool | int | str | Decimal | dt.date):  # dt.datetime is a dt.date
        return value
    raise TypeError(f"not a plain value: {type(value).__name__}")


def _read(context: dict, path: str, *, display: bool = False):
    """The value at a dotted path: a key of the context, then attributes only (never called, never private)."""
    head, *rest = path.split(".")
    if head not in context:
        return ""
    obj = context[head]
    for i, attr in enumerate(rest):
        if attr.startswith("_"):
            raise SecurityError(attr)
        if obj is None:
            return ""
        if display and i == len(rest) - 1:
            field_ = obj._meta.get_field(attr)
            value = getattr(obj, attr)
            return str(dict(field_.flatchoices).get(value, value))
        obj = obj.get(attr, "") if isinstance(obj, dict) else getattr(obj, attr)
        if callable(obj):
            raise SecurityError(attr)
    if isinstance(obj, dt.datetime):
        obj = timezone.localtime(obj) if timezone.is_aware(obj) else obj
    return _plain(obj)


def plain_context(kind: str, context: dict, used: set[str] | None = None) -> dict:
    """The variables of `kind` read from the caller's context (model instances) as plain values. `used`: only
    these names (those the template uses: nothing else is read, so no query is made for them)."""
    out: dict = {}
    for var in KINDS.get(kind, ()):
        if used is not None and var.name not in used:
            continue
        if isinstance(var, ListVar):
            items = context.get(var.path or var.name) or []
            rows = []
            for item in items:
                row: dict = _Obj()
                for f in var.fields:
                    _put(row, f.name, _read({"item": item}, f"item.{f.source}", display=f.display))
                rows.append(row)
            out[var.name] = rows
        else:
            _put(out, var.name, _read(context, var.source, display=var.display))
    return out


# --- the sandbox ----------------------------------------------------------------------------------------------


def _date(value) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return japanese_date(value) if isinstance(value, dt.date) else str(value)


def _datetime(value) -> str:
    if isinstance(value, dt.datetime):
        return f"{japanese_date(value.date())} {value:%H:%M}"
    return _date(value)


def _comma(value) -> str:
    return f"{int(value):,}" if value not in (None, "") else ""


def example_text(value) -> str:
    """A declared example as the admin's variables table shows it, as the template's filters print it:
    2027年4月27日, 2026年12月2日 10:30, 120,000, はい／いいえ (never 2027-04-27 or True)."""
    if isinstance(value, bool):
        return str(_("はい") if value else _("いいえ"))
    if isinstance(value, dt.date):
        return _datetime(value)
    if isinstance(value, int):
        return _comma(value)
    return str(value)


SAFE_FILTERS = {
    "yen": yen,
    "date": _date,
    "datetime": _datetime,
    "comma": _comma,
}
_BUILTIN_FILTERS = (
    "default",
    "upper",
    "lower",
    "trim",
    "length",
    "first",
    "last",
    "join",
)  # not indent(width) nor replace: each multiplies the text (a width of 10**9 is a gigabyte of spaces)


class _Env(SandboxedEnvironment):
    def is_safe_attribute(self, obj, attr, value):
        return (
            not attr.startswith("_") and isinstance(obj, dict) and super().is_safe_attribute(obj, attr, value)
        )


def environment() -> SandboxedEnvironment:
    env = _Env(autoescape=False, undefined=StrictUndefined, loader=None, keep_trailing_newline=True)
    env.globals.clear()  # no range, dict, lipsum, cycler, joiner, namespace
    env.filters = {**{k: env.filters[k] for k in _BUILTIN_FILTERS}, **SAFE_FILTERS}
    env.tests = {k: env.tests[k] for k in ("defined", "undefined", "none", "true", "false", "eq", "ne")}
    return env


ENV = environment()
_ALLOWED_STATEMENTS = (nodes.Output, nodes.If, nodes.For, nodes.TemplateData)
_REFUSED_EXPRESSIONS = (nodes.Call, nodes.Pow, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Slice)


def _dotted(node) -> str | None:
    """'invoice.number' for {{ invoice.number }} / invoice['number']; None for anything not rooted in a name."""
    parts = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    parts.append(node.name)
    return ".".join(reversed(parts))


def _names(kind: str) -> tuple[set[str], dict[str, set[str]]]:
    """(the declared dotted names and every prefix of them, list name → its item's field names)"""
    names: set[str] = set()
    lists: dict[str, set[str]] = {}
    for var in KINDS.get(kind, ()):
        if isinstance(var, ListVar):
            lists[var.name] = {f.name for f in var.fields}
            names.add(var.name)
            continue
        parts = var.name.split(".")
        names |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return names, lists


def _refuse(message) -> NoReturn:
    raise DomainError(message, code="mail_template")


def _walk(node, kind: str, names: set[str], lists: dict, loop_vars: dict[str, set[str]], used: set[str]):
    if isinstance(node, nodes.Template):
        for child in node.body:
            _walk(child, kind, names, lists, loop_vars, used)
        return
    if isinstance(node, nodes.Stmt) and not isinstance(node, _ALLOWED_STATEMENTS):
        _refuse(_("この文面では使えない命令があります（使えるのは if と for だけです）。"))
    if isinstance(node, _REFUSED_EXPRESSIONS):
        _refuse(_("関数の呼出しや計算は使えません。"))
    if isinstance(node, nodes.Filter) and node.name not in ENV.filters:
        _refuse(_("使えないフィルタです：%(name)s") % {"name": node.name})
    if isinstance(node, nodes.Test) and node.name not in ENV.tests:
        _refuse(_("使えない判定です：%(name)s") % {"name": node.name})
    if isinstance(node, nodes.For):
        if loop_vars:  # a loop in a loop over the same list: n**depth steps, nothing printed to stop them
            _refuse(_("繰返し（for）の中に繰返しは書けません。"))
        iterable = _dotted(node.iter)
        if (
            iterable is None
            or iterable not in lists
            or not isinstance(node.target, nodes.Name)
            or node.recursive
        ):
            _refuse(_("繰返し（for）は、一覧の変数に対してだけ使えます。"))
        if node.test is not None:
            _refuse(_("繰返し（for）の条件は使えません。"))
        inner = {**loop_vars, node.target.name: lists[iterable]}
        used.add(iterable)
        for child in (*node.body, *node.else_):
            _walk(child, kind, names, lists, inner, used)
        return
    if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
        dotted = _dotted(node)
        if dotted is None:
            _refuse(_("使えない書き方があります（変数は一覧にある名前で書いてください）。"))
        head, _dot, rest = dotted.partition(".")
        if head in loop_vars:
            if rest not in loop_vars[head]:
                _refuse(_("使えない変数です：%(name)s") % {"name": dotted})
        elif dotted not in names or (dotted in lists and not isinstance(node, nodes.Name)):
            _refuse(_("使えない変数です：%(name)s") % {"name": dotted})
        else:
            used.add(dotted)
        return
    for child in node.iter_child_nodes():
        _walk(child, kind, names, lists, loop_vars, used)


def _parse(source: str):
    try:
        return ENV.parse(source)
    except TemplateSyntaxError as exc:
        _refuse(
            _("書き方に誤りがあります（%(line)d行目）：%(error)s")
            % {"line": exc.lineno, "error": exc.message}
        )


def used_names(kind: str, source: str) -> set[str]:
    """Check a text of `kind` (raises DomainError with the reason in Japanese) and return the variables it uses."""
    try:
        return _used_names(kind, source)
    except RecursionError:  # thousands of nested brackets or ifs: the parser gives up
        _refuse(_("入れ子が深すぎます。"))


def _used_names(kind: str, source: str) -> set[str]:
    if len(source) > MAX_SOURCE:
        _refuse(_("文面が長すぎます。"))
    if kind not in KINDS:
        _refuse(_("この種類のメールは文面を編集できません。"))
    tree = _parse(source)
    names, lists = _names(kind)
    try:
        found = meta.find_undeclared_variables(tree)
    except TemplateSyntaxError as exc:  # an unknown filter or test
        _refuse(
            _("書き方に誤りがあります（%(line)d行目）：%(error)s")
            % {"line": exc.lineno, "error": exc.message}
        )
    unknown = found - {n.split(".")[0] for n in names}
    if unknown:
        _refuse(_("使えない変数です：%(name)s") % {"name": "、".join(sorted(unknown))})
    used: set[str] = set()
    _walk(tree, kind, names, lists, {}, used)
    # the leaves under a used prefix ("invoice" used as a whole) are read too
    leaves = {v.name for v in KINDS[kind] if any(v.name == u or v.name.startswith(u + ".") for u in used)}
    return leaves


def printed(source: str) -> set[str]:
    """The variables a (checked) text prints ({{ url }}), not those it only tests ({% if url %})."""
    found: set[str] = set()
    for output in ENV.parse(source).find_all(nodes.Output):
        for node in output.find_all((nodes.Name, nodes.Getattr)):
            if dotted := _dotted(node):
                found.add(dotted)
    return found


def render_source(source: str, variables: dict) -> str:
    """Render a checked text in the sandbox against plain variables, at most MAX_OUTPUT characters."""
    out: list[str] = []
    size = 0
    try:
        for chunk in ENV.from_string(source).generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                _refuse(_("差し込んだ結果が長すぎます。"))
            out.append(chunk)
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:  # UndefinedError, SecurityError …
        _refuse(_("差し込みに失敗しました：%(error)s") % {"error": str(exc)})
    return "".join(out)


def check(kind: str, subject: str, body: str, subject_en: str = "", body_en: str = "") -> dict[str, str]:
    """The errors of a new version, field by field ({} when it may be saved): each text is parsed and walked,
    then rendered against the declared examples; a body must contain the kind's required variables (its link).
    The English texts are checked the same way when given (both or neither)."""
    errors = {}
    texts = [("subject_ja", subject), ("body_ja", body)]
    if subject_en.strip() or body_en.strip():
        texts += [("subject_en", subject_en), ("body_en", body_en)]
    for name, source in texts:
        try:
            if not source.strip():
                _refuse(
                    _("英語の文面は、件名と本文の両方を入れてください（使わない場合は両方とも空にします）。")
                )
            used_names(kind, source)
            rendered = render_source(source, examples(kind))
            if name.startswith("subject") and "\n" in rendered.strip():
                _refuse(_("件名は1行にしてください。"))
            missing = [n for n in required(kind) if n not in printed(source)]
            if name.startswith("body") and missing:
                _refuse(
                    _("本文に %(names)s を必ず入れてください（受け取った人が手続きに使うリンクです）。")
                    % {"names": "、".join(f"{{{{ {n} }}}}" for n in missing)}
                )
        except DomainError as exc:
            errors[name] = str(exc.message)
    return errors


# --- versions -------------------------------------------------------------------------------------------------


def active_versions(kinds) -> dict[str, MailTemplateVersion]:
    """The newest version of each kind (one query whatever the number of kinds)."""
    kinds = sorted(set(kinds) & set(KINDS))
    if not kinds:
        return {}
    from django.db.models import OuterRef, Subquery

    newest = (
        MailTemplateVersion.objects.filter(template=OuterRef("template")).order_by("-number").values("pk")[:1]
    )
    rows = MailTemplateVersion.objects.filter(template__kind__in=kinds, pk=Subquery(newest)).values_list(
        "template__kind", "pk", "subject_ja", "body_ja", "subject_en", "body_en"
    )  # newest per kind, on PostgreSQL and on make run's SQLite (no DISTINCT ON there)
    return {
        kind: MailTemplateVersion(pk=pk, subject_ja=s, body_ja=b, subject_en=s_en, body_en=b_en)
        for kind, pk, s, b, s_en, b_en in rows
    }


_COMPILED: dict[tuple[int, bool], tuple] = {}


def has_english(version: MailTemplateVersion) -> bool:
    return bool(version.subject_en.strip() and version.body_en.strip())


def render_version(
    kind: str, version: MailTemplateVersion, context: dict, *, english: bool = False
) -> tuple[str, str]:
    """(subject, body) of a saved version for the caller's context (model instances → plain values first).
    `english`: its English texts when it has them, else the Japanese ones (the preview: no recipient has a
    language yet, every mail is sent in Japanese)."""
    english = english and has_english(version)
    subject_src, body_src = (
        (version.subject_en, version.body_en) if english else (version.subject_ja, version.body_ja)
    )
    key = (version.pk or 0, english)
    if version.pk and key in _COMPILED:
        (used,) = _COMPILED[key]
    else:
        used = used_names(kind, subject_src) | used_names(kind, body_src)
        if version.pk:
            _COMPILED[key] = (used,)
    try:
        variables = plain_context(kind, context, used)
    except (AttributeError, LookupError, TypeError, SecurityError, FieldDoesNotExist) as exc:
        # a declared path the caller's objects do not have (any more): the caller sends the built-in text
        _refuse(_("差し込みに失敗しました：%(error)s") % {"error": str(exc)})
    return _finish(subject_src, body_src, variables)


def _finish(subject_src: str, body_src: str, variables: dict) -> tuple[str, str]:
    subject = render_source(subject_src, variables)
    body = render_source(body_src, variables)
    return " ".join(subject.split())[:255], body.strip() + "\n"


@transaction.atomic
def register_version(kind: str, *, subject: str, body: str, subject_en="", body_en="", note="", by=None):
    """A new version of a kind's wording (checked; never an edit of an earlier one)."""
    errors = check(kind, subject, body, subject_en, body_en)
    if errors:
        raise DomainError(next(iter(errors.values())), code="mail_template")
    template, _created = MailTemplate.objects.get_or_create(kind=kind)
    template = MailTemplate.objects.select_for_update().get(pk=template.pk)
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return MailTemplateVersion.objects.create(
        template=template, number=last + 1, subject_ja=subject, body_ja=body, subject_en=subject_en,
        body_en=body_en, note=note, created_by=by,
    )  # fmt: skip


def _diff_text(version: MailTemplateVersion) -> str:
    text = f"{version.subject_ja}\n{version.body_ja}"
    if version.subject_en or version.body_en:
        text += f"\n[{_('英語の文面')}]\n{version.subject_en}\n{version.body_en}"
    return text


def diff_html(older: MailTemplateVersion | None, newer: MailTemplateVersion) -> str:
    """A side-by-side table of what changed (the built-in text when there is no earlier version)."""
    before = _diff_text(older) if older else "\n".join(starter_text(newer.template.kind))
    after = _diff_text(newer)
    return difflib.HtmlDiff(wrapcolumn=60).make_table(
        before.splitlines(),
        after.splitlines(),
        str(_("第%(n)d版") % {"n": older.number}) if older else str(_("組み込みの文面")),
        str(_("第%(n)d版") % {"n": newer.number}),
        context=True,
    )


# --- the built-in text as the first version --------------------------------------------------------------------

_REWRITES = (
    (re.compile(r"\{%\s*(load [^%]*|autoescape \w+|endautoescape)\s*%\}"), ""),
    (re.compile(r"\|date:\"Y年n月j日 H:i\""), "|datetime"),
    (re.compile(r"\|date:\"[^\"]*\""), "|date"),
    (re.compile(r"\|jadate\b"), "|date"),
    (re.compile(r"\|intcomma"), "|comma"),
    (re.compile(r"\.get_(\w+)_display"), r".\1"),
)


def starter_text(kind: str) -> tuple[str, str]:
    """(subject, body) of the built-in text written for the sandbox: the form of a kind's first version."""
    source = get_template(f"mail/{kind}.txt").template.source  # type: ignore[attr-defined]  # the Django backend's
    for pattern, replacement in _REWRITES:
        source = pattern.sub(replacement, source)
    subject, _nl, body = source.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"
