"""Helpers for the security tests: TOTP devices with known secrets and sessions that passed the second factor."""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaim.security import SECOND_FACTOR_SESSION_KEY
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def totp_device(user, *, confirmed=True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="テスト", confirmed=confirmed)


def code_for(device, *, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now (or `offset_steps` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def staff_user(**kwargs):
    from django.contrib.auth.models import Group

    group = kwargs.pop("group", "administrator")
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


def verified_login(client, user, device=None):
    """force_login plus a session that has passed the second factor with `device` (created if missing)."""
    device = device or TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SECOND_FACTOR_SESSION_KEY] = True
    session.save()
    return device
