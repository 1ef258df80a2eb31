"""Sign-up does the same work for a known and a new address (no account enumeration by timing).

The password hash is nearly all of a sign-up's time (PBKDF2 in production: hundreds of milliseconds); the rest is a
lookup and one outbox row. So the proof is that both paths hash exactly once, queue exactly one mail and answer
with the same page. A counting hasher — a real hasher subclass, not a mock — is put first in PASSWORD_HASHERS."""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings
from django.urls import reverse

from jaim.models import OutboxMessage
from members.models import User

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


COUNTING = ["tests.members.test_signup_timing.CountingHasher"]


def _sign_up(client, email):
    return client.post(
        reverse("signup"),
        {
            "email": email,
            "full_name": "山田 太郎",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@override_settings(PASSWORD_HASHERS=COUNTING)
def test_a_known_and_a_new_address_hash_once_queue_one_mail_and_get_the_same_page(client):
    User.objects.create_user(email="known@example.jp", password="x-long-password-9", is_active=True)
    CountingHasher.calls = 0
    mails_before = OutboxMessage.objects.count()

    known = _sign_up(client, "known@example.jp")
    assert CountingHasher.calls == 1, "a known address must cost one password hash, like a new one"
    assert OutboxMessage.objects.count() == mails_before + 1  # the "you already have an account" notice

    CountingHasher.calls = 0
    new = _sign_up(client, "new@example.jp")
    assert CountingHasher.calls == 1
    assert OutboxMessage.objects.count() == mails_before + 2  # the verification mail

    assert known.status_code == new.status_code == 200
    body_known = _without_csrf(known.content.decode()).replace("known@example.jp", "ADDRESS")
    body_new = _without_csrf(new.content.decode()).replace("new@example.jp", "ADDRESS")
    assert body_known == body_new
    # The new account stores the hash computed before the lookup, and it checks.
    assert User.objects.get(email="new@example.jp").check_password("a-long-password-1")
    assert User.objects.get(email="known@example.jp").check_password("x-long-password-9")  # untouched
