import re

import pytest
from django.urls import reverse

from members.models import Access, Establishment, Organisation, SupportGrant
from tests.factories import (
    EstablishmentFactory,
    UserFactory,
    head_office,
    membership_for,
    representative_title,
)

pytestmark = pytest.mark.django_db


def org_post(form="kabushiki", title="代表取締役") -> dict:
    """The organisation form as a browser sends it: kind of company and a representative's title from the list."""
    t = representative_title(form, title)
    return {**ORG_POST, "legal_form": str(t.legal_form_id), "representative_title": str(t.pk)}


ORG_POST = {
    "kind": "CORPORATION",
    "corporate_number": "４０１１００１０９８９９３",
    "name": "株式会社サンプル",
    "name_kana": "さんぷる",
    "representative_name": "山田 太郎",
    "postal_code": "450-0002",
    "prefecture": "23",
    "city": "名古屋市中村区",
    "address_line": "名駅1-1",
    "phone": "052-123-4567",
    "capital_yen": "10000000",
    "regular_employees": "20",
}


def test_signup_verify_and_login_flow(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("signup"),
            {
                "email": "x@example.jp",
                "full_name": "新規 太郎",
                "password1": "sufficiently-long-pw",
                "password2": "sufficiently-long-pw",
            },
        )
    assert r.status_code == 200 and "確認メール" in r.content.decode()
    assert not client.login(username="x@example.jp", password="sufficiently-long-pw")
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/verify/" in line)
    r = client.get(link.split("8000", 1)[1])
    assert r.status_code == 302
    r = client.post(reverse("login"), {"username": "x@example.jp", "password": "sufficiently-long-pw"})
    assert r.status_code == 302 and r.url == reverse("members:mypage")


def test_signup_answers_the_same_for_a_registered_address(client):
    UserFactory(email="taken@example.jp")
    post = {"full_name": "誰か", "password1": "sufficiently-long-pw", "password2": "sufficiently-long-pw"}
    known = client.post(reverse("signup"), {**post, "email": "taken@example.jp"}).content.decode()
    unknown = client.post(reverse("signup"), {**post, "email": "fresh@example.jp"}).content.decode()

    def _normalised(html, email):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html).replace(email, "X")

    assert _normalised(known, "taken@example.jp") == _normalised(unknown, "fresh@example.jp")


def test_signup_errors_are_shown_in_japanese_next_to_the_field(client):
    r = client.post(
        reverse("signup"), {"email": "bad", "full_name": "", "password1": "short", "password2": "x"}
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "有効なメールアドレスを入力してください" in html
    assert 'id="id_email_error"' in html and "入力内容を確認してください" in html


def test_password_reset_answers_the_same_for_unknown_addresses(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="known@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        r1 = client.post(reverse("password_reset"), {"email": "known@example.jp"})
        r2 = client.post(reverse("password_reset"), {"email": "unknown@example.jp"})
    assert r1.status_code == r2.status_code == 302 and r1.url == r2.url
    assert [m.to for m in mailoutbox] == [["known@example.jp"]]


def test_organisation_form_normalises_input_and_creates_with_access(client):
    user = UserFactory()
    client.force_login(user)
    r = client.post(reverse("members:organisation_create"), org_post())
    assert r.status_code == 302, r.content.decode()[:3000]
    org = Organisation.objects.get()
    assert org.corporate_number == "4011001098993" and org.name_kana == "サンプル"
    assert org.postal_code == "4500002" and org.phone == "0521234567"
    assert Access.objects.filter(user=user, organisation=org, can_manage=True).exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("corporate_number", "5011001098993", "チェックデジット"),
        ("corporate_number", "123", "13桁"),
        ("postal_code", "12345", "郵便番号は7桁"),
        ("prefecture", "48", "選択"),
        ("name_kana", "山田", "全角カタカナ"),
    ],
)
def test_bad_organisation_input_gets_a_japanese_message_and_saves_nothing(client, field, value, message):
    client.force_login(UserFactory())
    r = client.post(reverse("members:organisation_create"), {**org_post(), field: value})
    html = r.content.decode()
    assert r.status_code == 200 and message in html
    assert f'id="field-{field}"' in html
    assert not Organisation.objects.exists() and not Access.objects.exists()


def test_duplicate_corporate_number_is_reported_next_to_the_field(client):
    client.force_login(UserFactory())
    client.post(reverse("members:organisation_create"), org_post())
    client.force_login(UserFactory())
    r = client.post(reverse("members:organisation_create"), {**org_post(), "name": "別の会社"})
    assert "既に登録されています" in r.content.decode() and Organisation.objects.count() == 1


def test_postal_lookup_fills_prefecture_and_city(client):
    client.force_login(UserFactory())
    data = client.get(reverse("members:postal_lookup", args=["1000001"])).json()
    assert data["prefecture"] == "13" and data["city"] == "千代田区"
    assert client.get(reverse("members:postal_lookup", args=["0000000"])).status_code == 404


def test_mypage_lists_only_my_establishments_with_constant_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner, org = head_office()
    EstablishmentFactory(name="他社の工場")
    client.force_login(owner)
    counts = []
    mine = []
    for n in (2, 8):
        while len(mine) < n:
            est = EstablishmentFactory(organisation=org, name=f"自社工場{len(mine)}")
            membership_for(est)
            mine.append(est)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(reverse("members:mypage")).content.decode()
        counts.append(len(ctx.captured_queries))
        assert all(e.name in html for e in mine) and "他社の工場" not in html
    assert counts[0] == counts[1], counts  # does not grow with the number of establishments
    assert counts[1] <= 30


def _urls_for(org, est, access, grant):
    get = [
        reverse("members:organisation_detail", args=[org.pk]),
        reverse("members:organisation_edit", args=[org.pk]),
        reverse("members:organisation_access", args=[org.pk]),
        reverse("members:establishment_create", args=[org.pk]),
        reverse("members:establishment_detail", args=[est.pk]),
        reverse("members:establishment_edit", args=[est.pk]),
        reverse("members:establishment_access", args=[est.pk]),
        reverse("members:establishment_support", args=[est.pk]),
    ]
    post = get + [
        reverse("members:access_revoke", args=[access.pk]),
        reverse("members:support_revoke", args=[grant.pk]),
    ]
    return get, post


def test_user_of_another_organisation_gets_404_everywhere_and_changes_nothing(client):
    owner_a, org_a = head_office()
    est_a = EstablishmentFactory(organisation=org_a, name="A工場")
    helper, support = head_office(is_support_organisation=True)
    grant = SupportGrant.objects.create(establishment=est_a, support_organisation=support, granted_by=owner_a)
    access = Access.objects.get(user=owner_a, organisation=org_a)
    user_b, _org_b = head_office()
    client.force_login(user_b)
    get_urls, post_urls = _urls_for(org_a, est_a, access, grant)
    for url in get_urls:
        r = client.get(url)
        assert r.status_code == 404, url
        assert "A工場" not in r.content.decode()
    for url in post_urls:
        r = client.post(
            url,
            {
                **org_post(),
                "name": "乗っ取り",
                "email": user_b.email,
                "can_manage": "on",
                "corporate_number": support.corporate_number,
            },
        )
        assert r.status_code == 404, url
    org_a.refresh_from_db()
    est_a.refresh_from_db()
    assert org_a.name != "乗っ取り" and est_a.name == "A工場"
    assert (
        Access.objects.filter(pk=access.pk).exists()
        and not Access.objects.filter(user=user_b, organisation=org_a).exists()
    )
    assert Establishment.objects.filter(organisation=org_a).count() == 1
    assert SupportGrant.objects.get(pk=grant.pk).revoked_at is None


def test_site_user_cannot_see_the_sibling_establishment_or_the_organisation(client):
    owner, org = head_office()
    mine, sibling = EstablishmentFactory(organisation=org), EstablishmentFactory(organisation=org)
    site = UserFactory()
    Access.objects.create(user=site, establishment=mine)
    client.force_login(site)
    assert client.get(reverse("members:establishment_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("members:establishment_detail", args=[sibling.pk])).status_code == 404
    assert client.get(reverse("members:organisation_detail", args=[org.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_login(client):
    owner, org = head_office()
    r = client.get(reverse("members:organisation_detail", args=[org.pk]))
    assert r.status_code == 302 and reverse("login") in r.url


def test_english_switch_translates_the_portal(client):
    client.force_login(UserFactory())
    r = client.get(reverse("members:mypage"), HTTP_ACCEPT_LANGUAGE="ja")
    assert "マイページ" in r.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/mypage/"})
    r = client.get(reverse("members:mypage"))
    assert "My Page" in r.content.decode()


def test_authenticated_pages_are_not_cached(client):
    client.force_login(UserFactory())
    assert "no-store" in client.get(reverse("members:mypage"))["Cache-Control"]


def test_home_and_login_render_in_japanese(client):
    assert "会員ポータル" in client.get("/").content.decode()
    assert "ログイン" in client.get(reverse("login")).content.decode()


def test_portal_is_japanese_even_when_the_browser_asks_for_english(client):
    r = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r["Content-Language"] == "ja" and "会員ポータル" in r.content.decode()
