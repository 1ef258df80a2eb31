"""Helpers for the security tests: TOTP devices with known secrets and sessions that passed the second factor."""

import time
from contextlib import contextmanager

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


@contextmanager
def celery_broker(url: str):
    """Point the project's Celery app at another broker for the duration (tasks really published)."""
    from jaim.celery import app

    old = (app.conf.broker_url, app.conf.task_always_eager)

    def drop_connections():
        # No public way to make a running app re-read broker_url: forget its pools (kombu keeps one per URL).
        app._pool = None
        app.amqp._producer_pool = None

    drop_connections()
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield app
    finally:
        drop_connections()
        app.conf.broker_url, app.conf.task_always_eager = old


@contextmanager
def log_output():
    """Everything the configured log handlers write (with their filters), as one growing StringIO."""
    import io
    import logging

    from jaim.security import RedactingLogFilter

    buffer = io.StringIO()
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactingLogFilter) for f in h.filters)
    ]
    assert handlers, "the console handler with the redacting filter is not installed"
    old = [h.setStream(buffer) for h in handlers]
    try:
        yield buffer
    finally:
        for h, stream in zip(handlers, old, strict=True):
            h.setStream(stream)


def fresh_code_for(device) -> str:
    """A code the device will accept now: the current step's, unless that step was already used (then the next
    one, within the device's tolerance). Safe on a slow machine that crosses a 30-second boundary mid-test."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return code_for(device, offset_steps=0 if totp.t() > device.last_t else 1)


def browser_admin_sign_in(page, base_url: str, user, device) -> None:
    """In a real browser (Playwright page): the admin's sign-in with e-mail and password, then the TOTP code;
    ends on the admin index."""
    page.goto(base_url + "/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/accounts/2fa/verify/**")
    page.fill("#id_code", code_for(device))
    page.click("main button.btn[type=submit]")
    page.wait_for_url(base_url + "/admin/")
