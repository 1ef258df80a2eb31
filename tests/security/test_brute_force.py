"""Security: lockout per user+IP on the portal and admin login (django-axes), not fooled by X-Forwarded-For;
password reset says the same for every address and is rate-limited per IP and per address."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from jaim.models import OutboxMessage
from jaim.security import client_ip
from tests.factories import UserFactory
from tests.security.helpers import PASSWORD, staff_user

pytestmark = pytest.mark.django_db

LIMIT = 5  # settings.AXES_FAILURE_LIMIT


def _attempt(client, email, password, *, url="login", ip="203.0.113.10", **headers):
    return client.post(reverse(url), {"username": email, "password": password}, REMOTE_ADDR=ip, **headers)


@pytest.mark.parametrize("url", ["login", "admin:login"])
def test_after_a_few_failures_the_user_and_ip_pair_is_locked_even_with_the_right_password(client, url):
    user = staff_user() if url == "admin:login" else UserFactory()
    for _ in range(LIMIT - 1):
        response = _attempt(client, user.email, "wrong-password", url=url)
        assert response.status_code == 200  # the form again, with the error
    locked = _attempt(client, user.email, "wrong-password", url=url)
    assert locked.status_code == 429
    assert "ログインを一時的に停止しています" in locked.content.decode()
    right = _attempt(client, user.email, PASSWORD, url=url)
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_the_lockout_counts_the_address_case_insensitively(client):
    user = UserFactory(email="case@example.jp")
    for i in range(LIMIT):
        _attempt(client, "CASE@example.jp" if i % 2 else " case@example.jp", "wrong")
    assert _attempt(client, user.email, PASSWORD).status_code == 429


def test_the_lockout_is_per_user_and_ip_so_the_real_user_elsewhere_can_still_sign_in(client):
    user = UserFactory()
    for _ in range(LIMIT):
        _attempt(client, user.email, "wrong", ip="198.51.100.7")
    assert _attempt(client, user.email, PASSWORD, ip="198.51.100.7").status_code == 429
    ok = _attempt(client, user.email, PASSWORD, ip="192.0.2.44")
    assert ok.status_code == 302 and ok.url == reverse("members:mypage")


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(client):
    user = UserFactory()
    for i in range(LIMIT):
        _attempt(client, user.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    response = _attempt(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_behind_our_proxy_the_address_it_appended_counts_not_what_the_client_wrote(client, settings):
    settings.JAIM_TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    proxy = "10.0.0.2"
    for i in range(LIMIT):
        # The client writes a random X-Forwarded-For; our proxy appends the real address 198.51.100.9.
        _attempt(client, user.email, "wrong", ip=proxy, HTTP_X_FORWARDED_FOR=f"172.16.0.{i}, 198.51.100.9")
    again = _attempt(client, user.email, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9")
    assert again.status_code == 429
    elsewhere = _attempt(client, user.email, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert elsewhere.status_code == 302


@pytest.mark.parametrize(
    "proxies, remote, forwarded, expected",
    [
        (0, "203.0.113.5", "1.1.1.1", "203.0.113.5"),  # no proxy configured: the header is ignored
        (1, "10.0.0.2", "1.1.1.1, 198.51.100.9", "198.51.100.9"),
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.9, 10.0.0.2", "198.51.100.9"),
        (2, "10.0.0.3", "198.51.100.9", "10.0.0.3"),  # shorter than our chain: not through our proxies
        (1, "10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_ip_believes_only_the_entries_our_own_proxies_appended(
    settings, proxies, remote, forwarded, expected
):
    settings.JAIM_TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_successful_login_clears_the_earlier_failures(client):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        _attempt(client, user.email, "wrong")
    assert _attempt(client, user.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _attempt(client, user.email, "wrong")
    assert _attempt(client, user.email, PASSWORD).status_code == 302


# --- password reset -----------------------------------------------------------------------------------------


def _reset(client, email, ip="203.0.113.20"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    UserFactory(email="known@example.jp")
    known, unknown = _reset(client, "known@example.jp"), _reset(client, "unknown@example.jp")
    assert (
        (known.status_code, known.url)
        == (unknown.status_code, unknown.url)
        == (302, "/accounts/password/reset/done/")
    )
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["known@example.jp"]


def test_password_reset_sends_at_most_a_few_mails_per_address_and_then_still_says_the_same(client):
    UserFactory(email="victim@example.jp")
    answers = [_reset(client, "victim@example.jp", ip=f"198.51.100.{i}") for i in range(6)]
    assert {(a.status_code, a.url) for a in answers} == {(302, "/accounts/password/reset/done/")}
    assert OutboxMessage.objects.filter(to="victim@example.jp", kind="password_reset").count() == 3


def test_password_reset_is_limited_per_client_address(client):
    for i in range(10):
        assert _reset(client, f"someone{i}@example.jp").status_code == 302
    blocked = _reset(client, "someone-else@example.jp")
    assert blocked.status_code == 429 and "しばらくお待ちください" in blocked.content.decode()
    assert _reset(client, "someone-else@example.jp", ip="192.0.2.99").status_code == 302
