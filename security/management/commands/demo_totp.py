"""Development only: print the current two-step code of a (demo) user, so the admin is reachable without a phone."""

import base64
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.services import TOTP_NAME


class Command(BaseCommand):
    help = (
        "開発環境のみ: 利用者の認証アプリに表示されるはずの現在の確認コードを表示します。"
        " (DEBUG only) Print the current TOTP code of a user; creates a device if the user has none."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp works only with DEBUG on (development): it reveals second factors.")
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"no user {email}")
        devices = list(TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-pk"))
        if not devices:
            devices = [TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)]
            secret = base64.b32encode(devices[0].bin_key).decode().rstrip("=")
            self.stdout.write(
                f"Created a TOTP device for {user.email}. Secret (for an authenticator app): {secret}"
            )
            self.stdout.write(f"  {devices[0].config_url}")
        now = time.time()
        for device in devices:
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = now
            left = device.step - int(now - device.t0) % device.step
            state = "confirmed" if device.confirmed else "being set up (the QR code page)"
            code = f"{totp.token():0{device.digits}d}"
            self.stdout.write(
                self.style.SUCCESS(code) + f"  {user.email}, device {state}, valid {left} s more"
            )
