"""Japanese names for the admin screens of third-party apps (django-axes, django-otp).

Their apps have no Japanese translation, and django-otp's field labels and help texts are not even marked for
translation, so the admin showed 「Access attempts」「Static devices」「The Unix time at which to begin counting
steps.」 on Japanese pages. The names are set once at start-up (JaimConfig.ready) with the project's own msgids,
so the English catalogue gives them back in English."""

from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

APP_NAMES = {
    "axes": _("ログインの記録"),
    "otp_static": _("2段階認証（予備コード）"),
    "otp_totp": _("2段階認証（認証アプリ）"),
}

# (app label, model name): (verbose_name, verbose_name_plural)
MODEL_NAMES = {
    ("axes", "accessattempt"): (_("ログイン失敗（ロック判定中）"), _("ログイン失敗（ロック判定中）")),
    ("axes", "accessfailurelog"): (_("ログイン失敗の履歴"), _("ログイン失敗の履歴")),
    ("axes", "accesslog"): (_("ログインの履歴"), _("ログインの履歴")),
    ("axes", "accessattemptexpiration"): (_("ログイン失敗の有効期限"), _("ログイン失敗の有効期限")),
    ("otp_static", "staticdevice"): (_("予備コード"), _("予備コード")),
    ("otp_static", "statictoken"): (_("予備コード（1回分）"), _("予備コード（1回分）")),
    ("otp_totp", "totpdevice"): (_("認証アプリ"), _("認証アプリ")),
}

# field name: (verbose_name, help_text or None); the name is set on every model of the app that has the field,
# the help text on the admin's form
FIELDS: dict[str, dict[str, tuple[Any, Any]]] = {
    "axes": {
        "user_agent": (_("ブラウザーの種類"), None),
        "ip_address": (_("IPアドレス"), None),
        "username": (_("ログイン名"), None),
        "http_accept": (_("ブラウザーの受け入れ形式"), None),
        "path_info": (_("アクセス先"), None),
        "attempt_time": (_("日時"), None),
        "locked_out": (_("ロックした"), None),
        "get_data": (_("クエリ文字列"), None),
        "post_data": (_("送信内容"), None),
        "failures_since_start": (_("失敗の回数"), None),
        "logout_time": (_("ログアウト日時"), None),
        "session_hash": (_("セッションのハッシュ値"), None),
        "access_attempt": (_("ログイン失敗"), None),
        "expires_at": (_("有効期限"), None),
    },
    "otp_static": {
        "user": (_("利用者"), _("この予備コードを使う利用者です。")),
        "name": (_("名前"), _("利用者が見分けるための名前です。")),
        "confirmed": (_("使用可"), _("この予備コードでログインできるかどうかです。")),
        "throttling_failure_timestamp": (_("最後に失敗した日時"), _("連続して失敗した最後の日時です。")),
        "throttling_failure_count": (_("連続失敗の回数"), _("続けて失敗した回数です。")),
        "created_at": (_("作成日時"), _("登録した日時です。")),
        "last_used_at": (_("最終使用日時"), _("最後にログインに使った日時です。")),
        "device": (_("予備コード"), None),
        "token": (_("コード"), None),
    },
    "otp_totp": {
        "user": (_("利用者"), _("この認証アプリを使う利用者です。")),
        "name": (_("名前"), _("利用者が見分けるための名前です。")),
        "confirmed": (_("使用可"), _("この認証アプリでログインできるかどうかです。")),
        "key": (_("秘密鍵"), _("16進数で40バイトまでの秘密鍵です。")),
        "step": (_("時間の刻み（秒）"), _("確認コードが変わる間隔です。")),
        "t0": (_("起点の時刻"), _("時間の刻みを数え始める時刻（1970年1月1日からの秒数）です。")),
        "digits": (_("桁数"), _("確認コードの桁数です。")),
        "tolerance": (_("許容するずれ"), _("前後何刻みまでの確認コードを受け付けるかです。")),
        "drift": (_("時計のずれ"), _("利用者の端末の時計が何刻みずれているかです。")),
        "last_t": (_("最後に確認した刻み"), _("次の確認コードはこれより後の刻みでなければなりません。")),
        "throttling_failure_timestamp": (_("最後に失敗した日時"), _("連続して失敗した最後の日時です。")),
        "throttling_failure_count": (_("連続失敗の回数"), _("続けて失敗した回数です。")),
        "created_at": (_("作成日時"), _("登録した日時です。")),
        "last_used_at": (_("最終使用日時"), _("最後にログインに使った日時です。")),
    },
}

FIELDSET_TITLES = {
    "Identity": _("利用者と名前"),
    "Configuration": _("設定"),
    "State": _("状態"),
    "Throttling": _("連続失敗の制限"),
    "Timestamps": _("日時"),
    "Form Data": _("送信内容"),  # django-axes
    "Meta Data": _("接続情報"),  # django-axes
}


def _translated_fieldsets(get_fieldsets):
    def wrapper(self, request, obj=None):
        fieldsets = get_fieldsets(self, request, obj)
        return [(FIELDSET_TITLES.get(title, title), options) for title, options in fieldsets]

    return wrapper


def _translated_help_texts(get_form, help_texts):
    """Help texts on the admin's form, not on the model field (a model's help text is part of its migrations)."""

    def wrapper(self, request, obj=None, **kwargs):
        form = get_form(self, request, obj, **kwargs)
        for name, field in form.base_fields.items():
            if help_texts.get(name):
                field.help_text = help_texts[name]
        # a read-only field (created_at…) is not in base_fields: the admin reads its help text from Meta
        form._meta.help_texts = {
            **(form._meta.help_texts or {}),
            **{k: v for k, v in help_texts.items() if v},
        }
        return form

    return wrapper


def _boolean_icon(field_val):
    """Django's admin icon for a yes/no value, with 「はい」「いいえ」「不明」 as its alt text (Django writes the
    Python value, True/False/None, which a screen reader reads out in English)."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    name, alt = {True: ("yes", _("はい")), False: ("no", _("いいえ")), None: ("unknown", _("不明"))}[
        field_val
    ]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{name}.svg"), alt)


def _access_log_str(self) -> str:
    """django-axes writes 「Access Log for {username} @ {time}」 as the record's name (page title, breadcrumbs)."""
    from django.utils import timezone
    from django.utils.formats import date_format

    when = date_format(timezone.localtime(self.attempt_time), "DATETIME_FORMAT") if self.attempt_time else ""
    return str(_("%(username)s のログイン（%(time)s）") % {"username": self.username, "time": when})


def _apply_axes() -> None:
    from axes import admin as axes_admin
    from axes.models import AccessLog

    AccessLog.__str__ = _access_log_str
    axes_admin.IsLockedOutFilter.title = _("ロック中")
    for admin_class in (
        axes_admin.AccessAttemptAdmin,
        axes_admin.AccessLogAdmin,
        axes_admin.AccessFailureLogAdmin,
    ):
        admin_class.get_fieldsets = _translated_fieldsets(admin_class.get_fieldsets)


def model_label(model) -> str:
    """A model's Japanese name; a history table (django-simple-history) is 「{model}の履歴」."""
    base = getattr(model, "instance_type", None)
    if base is not None:
        return str(_("%(model)sの履歴") % {"model": base._meta.verbose_name})
    return str(model._meta.verbose_name)


def permission_label(permission) -> str:
    """「{model}の{追加/変更/削除/閲覧}」 for Django's four default permissions; a custom permission's own name (the
    project names them in Japanese)."""
    from jaim.roles import LEVEL_LABELS

    model = permission.content_type.model_class()
    level, _sep, model_name = permission.codename.partition("_")
    if model is None or level not in LEVEL_LABELS or model_name != model._meta.model_name:
        return permission.name
    return f"{model_label(model)}の{LEVEL_LABELS[level]}"


def _group_str(self) -> str:
    """A staff group by its role's Japanese name (the stored name stays 「reviewer」…, jaim.roles)."""
    from jaim.roles import GROUP_LABELS

    return str(GROUP_LABELS.get(self.name, self.name))


def apply() -> None:
    from django.contrib.admin.templatetags import admin_list

    # every caller imports it from admin_list when it runs (django.contrib.admin.utils, helpers)
    admin_list._boolean_icon = _boolean_icon  # type: ignore[attr-defined]  # private, not in django-stubs
    for label, name in APP_NAMES.items():
        if label in apps.app_configs:
            apps.get_app_config(label).verbose_name = name
    for (label, model_name), (singular, plural) in MODEL_NAMES.items():
        if label not in apps.app_configs:
            continue
        opts = apps.get_model(label, model_name)._meta
        opts.verbose_name, opts.verbose_name_plural = singular, plural
    for label, fields in FIELDS.items():
        if label not in apps.app_configs:
            continue
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                if field.name in fields and hasattr(field, "verbose_name"):
                    field.verbose_name = fields[field.name][0]
    if "axes" in apps.app_configs:
        _apply_axes()
    from django.contrib.auth.models import Group

    Group.__str__ = _group_str  # type: ignore[method-assign]
    if "otp_totp" in apps.app_configs and "otp_static" in apps.app_configs:
        from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
        from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin

        for label, admin_class in (("otp_static", StaticDeviceAdmin), ("otp_totp", TOTPDeviceAdmin)):
            admin_class.get_fieldsets = _translated_fieldsets(admin_class.get_fieldsets)
            help_texts = {name: help_text for name, (_label, help_text) in FIELDS[label].items()}
            admin_class.get_form = _translated_help_texts(admin_class.get_form, help_texts)
            admin_class.search_help_text = _("利用者のメールアドレスで検索します。")
