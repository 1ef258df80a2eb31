"""Announcements (制度情報) to chosen audiences through the outbox, never twice to one address; the free information
service (FAQ 3-4-5) with double opt-in and an unsubscribe link; the public archive."""

import datetime as dt

import pytest
from django.core import signing
from django.urls import reverse

from backoffice import selectors, services
from backoffice.models import Announcement, AnnouncementDispatch, Audience, InfoSubscriber
from jaim.errors import DomainError
from jaim.models import OutboxMessage
from members.models import Access, Membership, SupportGrant
from tests.backoffice.conftest import at
from tests.factories import (
    EstablishmentFactory,
    UserFactory,
    head_office,
    membership_for,
    withdraw,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """Who is who: a member's head office and site staff, a support organisation acting for the member, a company
    without membership, a former member, a pending and an active subscriber."""
    owner, org = head_office(UserFactory(email="owner@example.jp"))
    est = EstablishmentFactory(organisation=org)
    membership_for(est, active_on=dt.date(2026, 7, 1))
    site = UserFactory(email="site@example.jp")
    Access.objects.create(user=site, establishment=est)
    support_user, support_org = head_office(
        UserFactory(email="support@example.jp"), is_support_organisation=True
    )
    SupportGrant.objects.create(establishment=est, support_organisation=support_org)
    idle_support, _o = head_office(UserFactory(email="idle-support@example.jp"), is_support_organisation=True)
    nobody, nobody_org = head_office(UserFactory(email="nomember@example.jp"))
    EstablishmentFactory(organisation=nobody_org)
    former, former_org = head_office(UserFactory(email="former@example.jp"))
    gone = membership_for(EstablishmentFactory(organisation=former_org), active_on=dt.date(2025, 7, 1))
    withdraw(gone, on=dt.date(2026, 3, 31))
    pending = InfoSubscriber.objects.create(email="pending@example.jp")
    active = InfoSubscriber.objects.create(
        email="reader@example.jp", status=InfoSubscriber.Status.ACTIVE, confirmed_at="2026-01-01T00:00:00Z"
    )
    both = InfoSubscriber.objects.create(
        email="OWNER@example.jp".lower(),
        status=InfoSubscriber.Status.ACTIVE,
        confirmed_at="2026-01-01T00:00:00Z",
    )
    return locals()


def published(title="制度改正のお知らせ", **kw):
    a = Announcement.objects.create(title=title, body="本文です。\nhttps://example.jp/x & y", **kw)
    return services.publish_announcement(a, by=None)


def send(a, audiences, capture):
    with capture(execute=True):
        dispatch = services.send_announcement(a, audiences=audiences, by=None)
    return AnnouncementDispatch.objects.get(pk=dispatch.pk)


def mails(a):
    return {m.to: m for m in OutboxMessage.objects.filter(kind="announcement", subject__contains=a.title)}


def test_supporting_members_are_the_people_acting_for_establishments_with_an_open_membership(people):
    emails = set(selectors.supporting_member_users().values_list("email", flat=True))
    assert emails == {"owner@example.jp", "site@example.jp", "support@example.jp"}


def test_information_members_are_support_organisations_users(people):
    emails = set(selectors.information_member_users().values_list("email", flat=True))
    assert emails == {"support@example.jp", "idle-support@example.jp"}


def test_subscribers_receive_only_once_confirmed(people, django_capture_on_commit_callbacks):
    a = published()
    send(a, [Audience.SUBSCRIBERS], django_capture_on_commit_callbacks)
    assert set(mails(a)) == {"reader@example.jp", "owner@example.jp"}


def test_each_audience_gets_the_notice_and_an_address_in_two_audiences_gets_one_mail(
    people, django_capture_on_commit_callbacks
):
    a = published()
    dispatch = send(
        a,
        [Audience.SUPPORTING, Audience.INFORMATION, Audience.SUBSCRIBERS],
        django_capture_on_commit_callbacks,
    )
    got = mails(a)
    assert set(got) == {
        "owner@example.jp",
        "site@example.jp",
        "support@example.jp",
        "idle-support@example.jp",
        "reader@example.jp",
    }
    assert dispatch.status == AnnouncementDispatch.Status.DONE
    assert dispatch.counts == {"recipients": 5, "queued": 5, "already_sent": 0}
    assert (
        "本文です。" in got["site@example.jp"].body and "& y" in got["site@example.jp"].body
    )  # not HTML-escaped
    assert got["site@example.jp"].subject == f"【JAIM 制度情報】{a.title}"


def test_sending_again_never_duplicates_a_mail(people, django_capture_on_commit_callbacks):
    a = published()
    send(a, [Audience.SUPPORTING], django_capture_on_commit_callbacks)
    first = OutboxMessage.objects.count()
    again = send(a, [Audience.SUPPORTING, Audience.INFORMATION], django_capture_on_commit_callbacks)
    assert again.counts["already_sent"] == 3 and again.counts["queued"] == 1  # only idle-support is new
    assert OutboxMessage.objects.count() == first + 1
    other = published("別のお知らせ")
    send(other, [Audience.SUPPORTING], django_capture_on_commit_callbacks)
    assert len(mails(other)) == 3  # the dedupe key is per announcement and address


def test_only_subscribers_get_an_unsubscribe_link(people, django_capture_on_commit_callbacks):
    a = published()
    send(a, [Audience.SUPPORTING, Audience.SUBSCRIBERS], django_capture_on_commit_callbacks)
    got = mails(a)
    assert "/info/unsubscribe/" in got["reader@example.jp"].body
    assert "/info/unsubscribe/" in got["owner@example.jp"].body  # also a subscriber
    assert "/info/unsubscribe/" not in got["site@example.jp"].body
    assert reverse("backoffice:announcement_detail", args=[a.pk]) in got["site@example.jp"].body


def test_a_draft_cannot_be_sent_and_no_audience_is_refused(people):
    a = Announcement.objects.create(title="下書き", body="x")
    with pytest.raises(DomainError):
        services.send_announcement(a, audiences=[Audience.SUPPORTING], by=None)
    with pytest.raises(DomainError):
        services.send_announcement(published(), audiences=[], by=None)


def test_unsubscribe_link_stops_the_mails_but_only_on_post(
    people, client, django_capture_on_commit_callbacks
):
    reader = people["active"]
    url = reverse("backoffice:unsubscribe", args=[services.unsubscribe_token(reader.pk)])
    page = client.get(url)  # a mail scanner opening the link changes nothing
    assert page.status_code == 200 and "配信を停止する" in page.content.decode()
    reader.refresh_from_db()
    assert reader.status == InfoSubscriber.Status.ACTIVE
    assert "配信を停止しました" in client.post(url).content.decode()
    reader.refresh_from_db()
    assert reader.status == InfoSubscriber.Status.UNSUBSCRIBED and reader.unsubscribed_at
    a = published()
    send(a, [Audience.SUBSCRIBERS], django_capture_on_commit_callbacks)
    assert "reader@example.jp" not in mails(a)
    assert client.post(url).status_code == 200  # twice is fine


def test_a_forged_unsubscribe_token_is_refused(people, client):
    r = client.post(reverse("backoffice:unsubscribe", args=[f"{people['active'].pk}:forged"]))
    assert r.status_code == 400
    people["active"].refresh_from_db()
    assert people["active"].status == InfoSubscriber.Status.ACTIVE


def test_double_opt_in_from_the_public_form(client, django_capture_on_commit_callbacks):
    r = client.post(
        reverse("backoffice:subscribe"),
        {"email": "Taro@Example.jp", "name": "山田 太郎", "organisation_name": "", "agree": "on"},
    )
    assert r.status_code == 302 and r["Location"] == reverse("backoffice:subscribe_sent")
    sub = InfoSubscriber.objects.get()
    assert sub.email == "taro@example.jp" and sub.status == InfoSubscriber.Status.PENDING
    mail = OutboxMessage.objects.get(kind="subscribe_confirm")
    assert mail.to == "taro@example.jp"
    link = next(line for line in mail.body.splitlines() if "/info/subscribe/confirm/" in line).strip()
    path = link.split("127.0.0.1:8000", 1)[-1] if "://" in link else link
    path = path[path.index("/info/") :]
    assert client.get(path).status_code == 200  # GET asks; it does not confirm
    sub.refresh_from_db()
    assert sub.status == InfoSubscriber.Status.PENDING
    assert "登録が完了しました" in client.post(path).content.decode()
    sub.refresh_from_db()
    assert sub.status == InfoSubscriber.Status.ACTIVE and sub.confirmed_at


def test_the_form_needs_consent_and_a_valid_address(client):
    r = client.post(reverse("backoffice:subscribe"), {"email": "not-an-address", "agree": ""})
    page = r.content.decode()
    assert r.status_code == 200 and "同意いただける場合" in page and not InfoSubscriber.objects.exists()


def test_confirmation_link_expires_and_cannot_be_forged():
    with at(dt.date(2026, 5, 1)):
        sub = services.request_subscription(email="late@example.jp")
        token = services.subscription_token(sub)
    with at(dt.date(2026, 5, 5)), pytest.raises(DomainError, match="有効期限"):
        services.confirm_subscription(token)
    with pytest.raises(DomainError):
        services.confirm_subscription(signing.dumps({"s": sub.pk, "e": sub.email}, salt="wrong"))


def test_at_most_one_confirmation_mail_per_address_and_day_and_none_when_already_active():
    with at(dt.date(2026, 5, 1)):
        for _ in range(3):
            services.request_subscription(email="flood@example.jp")
    assert OutboxMessage.objects.filter(kind="subscribe_confirm").count() == 1
    sub = InfoSubscriber.objects.get()
    with at(dt.date(2026, 5, 2)):
        services.confirm_subscription(services.subscription_token(sub))
        services.request_subscription(email="flood@example.jp")
    assert OutboxMessage.objects.filter(kind="subscribe_confirm").count() == 1


def test_an_old_confirmation_link_does_not_resubscribe_after_unsubscribing():
    sub = services.request_subscription(email="x@example.jp")
    token = services.subscription_token(sub)
    services.unsubscribe(services.unsubscribe_token(sub.pk))
    with pytest.raises(DomainError, match="配信停止"):
        services.confirm_subscription(token)


def test_a_former_member_signs_up_from_my_page(people, client, django_capture_on_commit_callbacks):
    former = people["former"]
    client.force_login(former)
    page = client.get(reverse("members:mypage")).content.decode()
    assert "制度情報メール（無料）" in page
    r = client.post(reverse("backoffice:subscribe_me"))
    assert r.status_code == 302
    sub = InfoSubscriber.objects.get(email="former@example.jp")
    services.confirm_subscription(services.subscription_token(sub))
    a = published()
    send(a, [Audience.SUBSCRIBERS], django_capture_on_commit_callbacks)
    assert "former@example.jp" in mails(a)
    assert Membership.objects.get(establishment__organisation__accesses__user=former).status == "WITHDRAWN"


def test_members_are_not_offered_the_information_mail_on_my_page(people, client):
    client.force_login(people["site"])
    assert (
        "このアカウントのメールアドレスで申し込む"
        not in client.get(reverse("members:mypage")).content.decode()
    )


def test_public_archive_lists_published_public_announcements_only(client):
    shown = published("公開のお知らせ")
    hidden = published("会員向けのお知らせ", is_public=False)
    draft = Announcement.objects.create(title="下書きのお知らせ", body="x")
    withdrawn = services.withdraw_announcement(published("終了したお知らせ"), by=None)
    page = client.get(reverse("backoffice:archive")).content.decode()
    assert "公開のお知らせ" in page
    for a in (hidden, draft, withdrawn):
        assert a.title not in page
        assert client.get(reverse("backoffice:announcement_detail", args=[a.pk])).status_code == 404
    detail = client.get(reverse("backoffice:announcement_detail", args=[shown.pk])).content.decode()
    assert 'href="https://example.jp/x"' in detail  # URLs become links; the text is escaped
    assert "&amp; y" in detail


def test_staff_send_from_the_admin_and_see_the_history(
    admin_client, people, django_capture_on_commit_callbacks
):
    a = published()
    url = reverse("backoffice:announcement_send", args=[a.pk])
    page = admin_client.get(url).content.decode()
    assert "賛助会員" in page and "情報会員" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post(url, {"audiences": ["INFORMATION"]})
    assert r.status_code == 302
    assert set(mails(a)) == {"support@example.jp", "idle-support@example.jp"}
    assert "送信の履歴" in admin_client.get(url).content.decode()


def test_reviewers_cannot_send_announcements(reviewer_client):
    a = published()
    assert reviewer_client.get(reverse("backoffice:announcement_send", args=[a.pk])).status_code == 403


def test_publish_and_withdraw_from_the_admin_actions(admin_client):
    a = Announcement.objects.create(title="お知らせ", body="x")
    changelist = reverse("admin:backoffice_announcement_changelist")
    admin_client.post(changelist, {"action": "publish", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.status == Announcement.Status.PUBLISHED and a.published_at
    admin_client.post(changelist, {"action": "withdraw", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.status == Announcement.Status.WITHDRAWN


def test_the_archive_is_linked_from_the_home_page_menu_footer_and_sections(client):
    archive = reverse("backoffice:archive")
    page = client.get(reverse("home")).content.decode()
    # the main menu, the footer and the home page's card for notices
    assert page.count(f'href="{archive}"') == 3
    assert f'<a href="{archive}">お知らせ</a>' in page
    assert f'href="{reverse("backoffice:subscribe")}"' in page
    # the menu and footer are on every page, signed in or not; the link leads to the archive
    client.force_login(UserFactory())
    mypage = client.get(reverse("members:mypage")).content.decode()
    assert (
        f'<a href="{archive}">お知らせ</a>' in mypage
        and f'<a href="{archive}">制度情報（お知らせ）</a></p>' in mypage
    )
    assert client.get(archive).status_code == 200
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert f'<a href="{archive}">Notices</a>' in client.get(reverse("home")).content.decode()
