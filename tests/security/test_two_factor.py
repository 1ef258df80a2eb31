"""Security: staff pass TOTP before any admin page; portal users may turn it on; recovery codes."""

import time

import pytest
import time_machine
from django.contrib.admin import site as admin_site
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaim.models import AuditEvent
from tests.factories import UserFactory
from tests.security.helpers import PASSWORD, code_for, fresh_code_for, staff_user, totp_device, verified_login

pytestmark = pytest.mark.django_db


def _login(client, user, password=PASSWORD, url="login"):
    return client.post(reverse(url), {"username": user.email, "password": password})


def _recovery_codes(html: str) -> list[str]:
    import re

    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)


# --- staff -------------------------------------------------------------------------------------------------


def test_staff_without_a_device_is_sent_to_enrol_before_any_admin_page(client):
    staff = staff_user()
    assert _login(client, staff, url="admin:login").status_code == 302
    for url in [reverse("admin:index"), reverse("admin:members_user_changelist"), "/admin/jaim/auditevent/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("security:setup") + "?next=")


def test_staff_enrols_with_the_qr_code_gets_recovery_codes_and_then_reaches_the_admin(client):
    staff = staff_user()
    _login(client, staff)
    page = client.get(reverse("security:setup") + "?next=/admin/")
    html = page.content.decode()
    assert (
        page.status_code == 200 and "<svg" in html and "管理画面を使うには2段階認証の設定が必要です" in html
    )
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    wrong = client.post(reverse("security:setup"), {"code": "000000", "next": "/admin/"})
    assert "確認コードが正しくありません" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    done = client.post(reverse("security:setup"), {"code": code_for(device), "next": "/admin/"})
    codes = _recovery_codes(done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="2fa_enabled", object_id=str(staff.pk), actor=staff).exists()


def test_staff_with_a_device_must_type_the_current_code_after_the_password(client):
    staff = staff_user()
    device = totp_device(staff)
    _login(client, staff, url="admin:login")
    response = client.get("/admin/members/user/")
    assert response.status_code == 302 and response.url.startswith(reverse("security:verify"))
    # Not even the enrolment page lets a password-only session add a second device.
    setup = client.get(reverse("security:setup"))
    assert setup.status_code == 302 and setup.url.startswith(reverse("security:verify"))

    bad = client.post(reverse("security:verify"), {"code": "123456", "next": "/admin/members/user/"})
    assert bad.status_code == 200 and "確認コードが正しくありません" in bad.content.decode()
    assert client.get("/admin/").status_code == 302

    with time_machine.travel(time.time() + 600, tick=True):  # past the throttle delay of the wrong code
        ok = client.post(
            reverse("security:verify"), {"code": code_for(device), "next": "/admin/members/user/"}
        )
        assert ok.status_code == 302 and ok.url == "/admin/members/user/"
        assert client.get("/admin/members/user/").status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_staff_member():
    staff = staff_user()
    request = RequestFactory().get("/admin/")
    request.user = staff
    request.user.is_verified = lambda: False
    assert admin_site.has_permission(request) is False
    request.user.is_verified = lambda: True
    assert admin_site.has_permission(request) is True


def test_a_wrong_code_slows_down_the_next_try_so_codes_cannot_be_guessed_quickly(client):
    staff = staff_user()
    device = totp_device(staff)
    _login(client, staff)
    for _ in range(3):
        client.post(reverse("security:verify"), {"code": "000000"})
    # The right code, immediately after three wrong ones, is refused (throttled) …
    response = client.post(reverse("security:verify"), {"code": code_for(device)})
    assert "しばらく入力できません" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_verify_does_not_redirect_to_another_site(client):
    staff = staff_user()
    device = totp_device(staff)
    _login(client, staff)
    response = client.post(
        reverse("security:verify"), {"code": code_for(device), "next": "https://evil.example/steal"}
    )
    assert response.status_code == 302 and response.url == reverse("admin:index")


# --- recovery codes ------------------------------------------------------------------------------------------


def _enrol(client, user):
    client.force_login(user)
    client.get(reverse("security:setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    html = client.post(reverse("security:setup"), {"code": code_for(device)}).content.decode()
    return device, _recovery_codes(html)


def test_a_recovery_code_lets_the_user_in_once_only(client):
    staff = staff_user()
    _device, codes = _enrol(client, staff)
    client.logout()

    _login(client, staff)
    response = client.post(reverse("security:verify"), {"code": codes[0].upper(), "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9
    assert AuditEvent.objects.filter(action="2fa_recovery_code_used", object_id=str(staff.pk)).exists()
    client.logout()

    _login(client, staff)
    again = client.post(reverse("security:verify"), {"code": codes[0]})
    assert again.status_code == 200 and "確認コードが正しくありません" in again.content.decode()


def test_new_recovery_codes_replace_the_old_ones(client):
    user = UserFactory()
    _device, old = _enrol(client, user)
    html = client.post(reverse("security:recovery_codes")).content.decode()
    new = _recovery_codes(html)
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(new)


# --- portal users ---------------------------------------------------------------------------------------------


def test_portal_users_are_not_asked_for_a_code_until_they_turn_it_on(client):
    user = UserFactory()
    _login(client, user)
    mypage = client.get(reverse("members:mypage"))
    assert mypage.status_code == 200
    assert reverse("security:overview") in mypage.content.decode()  # the My Page panel offers it


def test_a_portal_user_who_turned_it_on_must_pass_it_before_any_page(client):
    user = UserFactory()
    device, _codes = _enrol(client, user)
    client.logout()
    _login(client, user)
    for url in [reverse("members:mypage"), reverse("security:overview"), reverse("password_change")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("security:verify")), url
    ok = client.post(reverse("security:verify"), {"code": fresh_code_for(device), "next": "/mypage/"})
    assert ok.url == "/mypage/"
    html = client.get("/mypage/").content.decode()
    assert "2段階認証は有効です" in html


def test_a_portal_user_can_turn_it_off_with_a_current_code_but_staff_cannot(client):
    user = UserFactory()
    device, _codes = _enrol(client, user)
    response = client.post(reverse("security:disable"), {"code": fresh_code_for(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="2fa_disabled", object_id=str(user.pk)).exists()

    staff = staff_user()
    staff_device = verified_login(client, staff)
    client.post(reverse("security:disable"), {"code": code_for(staff_device)})
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


def test_signing_out_works_half_way_through_the_login(client):
    staff = staff_user()
    totp_device(staff)
    _login(client, staff)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# --- demo ----------------------------------------------------------------------------------------------------


def test_demo_totp_prints_the_code_that_the_setup_page_accepts(client, settings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    staff = staff_user()
    _login(client, staff)
    client.get(reverse("security:setup"))  # the QR code page made a pending device
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_totp", staff.email, stdout=out)
    code = out.getvalue().split()[0][-6:]
    response = client.post(reverse("security:setup"), {"code": code, "next": "/admin/"})
    assert len(_recovery_codes(response.content.decode())) == 10
    assert client.get("/admin/").status_code == 200

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_totp", staff.email, stdout=StringIO())
