"""Member resources (FAQ 3-4-2): visible only to people acting for an establishment whose membership is in force;
anyone else gets 404; files only through the checking view, as attachments."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice import services
from backoffice.models import MemberResource
from tests.applications.factories import PDF
from tests.factories import (
    EstablishmentFactory,
    UserFactory,
    head_office,
    membership_for,
    request_withdrawal,
    withdraw,
)

pytestmark = pytest.mark.django_db


def member(*, status="ACTIVE"):
    user, org = head_office()
    est = EstablishmentFactory(organisation=org)
    m = membership_for(est, active_on=None if status == "AWAITING_PAYMENT" else dt.date(2026, 7, 1))
    if status == "WITHDRAWAL_REQUESTED":
        request_withdrawal(m, effective_on=dt.date(2027, 3, 31), by=user)
    if status == "WITHDRAWN":
        withdraw(m, on=dt.date(2026, 9, 30))
    return user


@pytest.fixture
def resources():
    page = services.save_resource(
        MemberResource(title="試験対策講座のご案内", kind="PAGE", body="1号・2号とも会員は無料です。"),
        by=None,
    )
    services.publish_resource(page, by=None)
    pdf = services.save_resource(
        MemberResource(title="試験対策資料", kind="FILE"),
        upload=SimpleUploadedFile("対策資料.pdf", PDF, content_type="application/pdf"),
        by=None,
    )
    services.publish_resource(pdf, by=None)
    draft = services.save_resource(MemberResource(title="準備中の資料", kind="PAGE", body="まだ"), by=None)
    return {"page": page, "pdf": pdf, "draft": draft}


def urls(r):
    return [
        reverse("backoffice:resources"),
        reverse("backoffice:resource_detail", args=[r.pk]),
        reverse("backoffice:resource_download", args=[r.pk]),
    ]


def test_members_see_the_list_the_page_and_download_the_file_as_an_attachment(client, resources):
    client.force_login(member())
    page = client.get(reverse("backoffice:resources")).content.decode()
    assert "試験対策講座のご案内" in page and "試験対策資料" in page and "準備中の資料" not in page
    detail = client.get(reverse("backoffice:resource_detail", args=[resources["page"].pk]))
    assert "会員は無料" in detail.content.decode()
    r = client.get(reverse("backoffice:resource_download", args=[resources["pdf"].pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment")
    # named after the resource's title with the checked content's extension, not the uploaded file's name
    assert r["Content-Disposition"].endswith(f"filename*=utf-8''{quote('試験対策資料.pdf')}")
    assert b"".join(r.streaming_content) == PDF


def test_a_member_who_asked_to_withdraw_is_still_a_member_until_then(client, resources):
    client.force_login(member(status="WITHDRAWAL_REQUESTED"))
    assert client.get(reverse("backoffice:resources")).status_code == 200


@pytest.mark.parametrize("status", ["AWAITING_PAYMENT", "WITHDRAWN", None])
def test_non_members_get_404_everywhere(client, resources, status):
    user = member(status=status) if status else UserFactory()
    client.force_login(user)
    for url in urls(resources["pdf"]) + urls(resources["page"])[1:]:
        assert client.get(url).status_code == 404, url


def test_unpublished_resources_are_404_for_members_too(client, resources):
    client.force_login(member())
    for url in urls(resources["draft"])[1:]:
        assert client.get(url).status_code == 404
    services.unpublish_resource(resources["pdf"], by=None)
    assert client.get(reverse("backoffice:resource_download", args=[resources["pdf"].pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, resources):
    r = client.get(reverse("backoffice:resource_download", args=[resources["pdf"].pk]))
    assert r.status_code == 302 and reverse("login") in r["Location"]


def test_support_organisation_acting_for_a_member_sees_them(client, resources):
    from members.models import SupportGrant

    support, support_org = head_office(is_support_organisation=True)
    user, org = head_office()
    est = EstablishmentFactory(organisation=org)
    membership_for(est, active_on=dt.date(2026, 7, 1))
    SupportGrant.objects.create(establishment=est, support_organisation=support_org)
    client.force_login(support)
    assert client.get(reverse("backoffice:resources")).status_code == 200


def test_my_page_lists_resources_for_members_only(client, resources):
    client.force_login(member())
    page = client.get(reverse("members:mypage")).content.decode()
    assert "会員向け資料" in page and "試験対策資料" in page
    client.force_login(member(status="AWAITING_PAYMENT"))
    assert "試験対策資料" not in client.get(reverse("members:mypage")).content.decode()


def test_only_pdf_or_images_are_accepted_and_a_refused_upload_keeps_the_old_file(admin_client, resources):
    pdf = resources["pdf"]
    old = pdf.file.name
    url = reverse("admin:backoffice_memberresource_change", args=[pdf.pk])
    r = admin_client.post(
        url,
        {
            "title": pdf.title,
            "summary": "",
            "kind": "FILE",
            "body": "",
            "order": 100,
            "upload": SimpleUploadedFile("evil.html", b"<html><script>alert(1)</script></html>"),
        },
    )
    assert r.status_code == 200 and "PDF・JPEG・PNG" in r.content.decode()
    pdf.refresh_from_db()
    assert pdf.file.name == old


def test_staff_create_a_file_resource_in_the_admin_and_publish_it(admin_client):
    r = admin_client.post(
        reverse("admin:backoffice_memberresource_add"),
        {
            "title": "2号対策資料",
            "summary": "",
            "kind": "FILE",
            "body": "",
            "order": 100,
            "upload": SimpleUploadedFile("2号.pdf", PDF),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    res = MemberResource.objects.get()
    assert res.status == MemberResource.Status.DRAFT and res.original_name == "2号.pdf"
    assert res.content_type == "application/pdf" and res.size_bytes == len(PDF)
    assert "2号" not in res.file.name  # stored under a random name
    admin_client.post(
        reverse("admin:backoffice_memberresource_changelist"),
        {"action": "publish", "_selected_action": [res.pk]},
    )
    res.refresh_from_db()
    assert res.status == MemberResource.Status.PUBLISHED


def test_a_file_resource_needs_a_file_and_a_page_needs_a_body(admin_client):
    for kind, field in (("FILE", "ファイルを選んでください"), ("PAGE", "ページの本文を入力してください")):
        r = admin_client.post(
            reverse("admin:backoffice_memberresource_add"),
            {"title": "x", "summary": "", "kind": kind, "body": "", "order": 100},
        )
        assert r.status_code == 200 and field in r.content.decode()
    assert not MemberResource.objects.exists()
