"""Two-factor authentication: enrol a TOTP device, recovery codes (django-otp static tokens), verify, disable."""

import re

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaim.errors import DomainError
from jaim.states import audit

TOTP_NAME = "認証アプリ"
RECOVERY_NAME = "リカバリーコード"


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_totp_enrolment(user) -> TOTPDevice:
    """The unconfirmed device whose QR code the user scans. Reused until confirmed, so reloading the page
    keeps the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def _normalise(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


@transaction.atomic
def confirm_totp_device(user, *, token: str) -> tuple[TOTPDevice, list[str]]:
    """The user typed the code their app shows: the pending device becomes their only TOTP device and a fresh
    set of recovery codes is made. Returns the device and the codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise DomainError(
            _("登録中の認証アプリがありません。最初からやり直してください。"), code="no_pending"
        )
    if not device.verify_token(_normalise(token)):
        raise DomainError(
            _("確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"),
            code="bad_token",
        )
    replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
    was_enabled = replaced.exists()
    replaced.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit(user, "2fa_device_replaced" if was_enabled else "2fa_enabled", actor=user)
    return device, codes


def _new_recovery_codes(user) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(settings.JAIM_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@transaction.atomic
def regenerate_recovery_codes(user) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    if not has_second_factor(user):
        raise DomainError(_("2段階認証が有効になっていません。"), code="not_enabled")
    codes = _new_recovery_codes(user)
    audit(user, "2fa_recovery_codes_regenerated", actor=user)
    return codes


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify_second_factor(user, token: str):
    """The device that accepts `token` (a TOTP code or a recovery code, which is used up), else DomainError.
    Every device throttles wrong codes (the wait doubles each time)."""
    token = _normalise(token)
    if not token:
        raise DomainError(_("確認コードを入力してください。"), code="empty")
    # TOTP codes are 6 digits; recovery codes are 8 base32 characters.
    kinds = [TOTPDevice] if (token.isdigit() and len(token) == 6) else [StaticDevice]
    throttled = False
    for kind in kinds:
        with transaction.atomic():
            for device in kind.objects.select_for_update().filter(user=user, confirmed=True):
                allowed, _info = device.verify_is_allowed()
                if not allowed:
                    throttled = True
                    continue
                if device.verify_token(token):
                    if kind is StaticDevice:
                        audit(user, "2fa_recovery_code_used", actor=user)
                    return device
    if throttled:
        raise DomainError(
            _("確認コードの誤りが続いたため、しばらく入力できません。少し待ってからもう一度お試しください。"),
            code="throttled",
        )
    raise DomainError(_("確認コードが正しくありません。"), code="bad_token")


@transaction.atomic
def disable_two_factor(user, *, token: str) -> None:
    """A portal user turns 2FA off, confirming with a current code. Staff cannot: the admin requires it."""
    if user.is_staff:
        raise DomainError(_("事務局スタッフは2段階認証を無効にできません。"), code="staff_required")
    verify_second_factor(user, token)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit(user, "2fa_disabled", actor=user)
