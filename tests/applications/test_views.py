"""The portal wizard as a person uses it, access (another organisation's things are 404), downloads, panels."""

import datetime as dt

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application, Document
from jaim.models import OutboxMessage
from tests.applications.factories import (
    PDF,
    add_doc,
    applicant,
    complete,
    draft,
    image_bytes,
    reviewer,
    submitted,
    upload,
)
from tests.factories import UserFactory
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


def step_url(app, step):
    return reverse("applications:step", args=[app.pk, step])


def test_the_wizard_from_start_to_submit(client, django_capture_on_commit_callbacks):
    user, est = applicant()
    client.force_login(user)
    r = client.post(reverse("applications:start"), {"establishment": est.pk, "kind": "NEW"})
    app = Application.objects.get(establishment=est)
    assert r.status_code == 302 and r.url == step_url(app, "establishment")
    r = client.get(r.url)
    assert r.status_code == 200 and 'class="steps"' in r.content.decode() and est.name in r.content.decode()
    assert client.post(step_url(app, "establishment"), {"action": "next"}).url == step_url(app, "codes")

    html = client.get(step_url(app, "codes"), {"q": "弁"}).content.decode()
    assert "2592" in html and 'value="add"' in html
    html = client.get(step_url(app, "codes"), {"parent": "259"}).content.decode()
    assert "消火器具・消火装置製造業" in html and "この分類は対象外です" in html
    r = client.post(step_url(app, "codes") + "?parent=259", {"action": "add", "code": "2592"})
    assert r.status_code == 302 and [c.code for c in app.requested_codes.all()] == ["2592"]
    assert client.post(step_url(app, "codes"), {"action": "next"}).url == step_url(app, "addon")
    assert client.post(step_url(app, "addon"), {"action": "next"}).url == step_url(app, "shipment")

    r = client.post(
        reverse("applications:upload", args=[app.pk]),
        {
            "step": "shipment",
            "document_type": _type_pk("shipment_evidence"),
            "evidence_template": "other",
            "file": upload("出荷実績.pdf", PDF),
        },
    )
    assert r.status_code == 302
    assert client.post(step_url(app, "shipment"), {"had_shipments": "yes"}).url == step_url(app, "images")
    for code, name in (("product_image", "p.png"), ("factory_image", "f.jpg")):
        content = image_bytes("PNG" if name.endswith("png") else "JPEG")
        r = client.post(
            reverse("applications:upload", args=[app.pk]),
            {"step": "images", "document_type": _type_pk(code), "file": upload(name, content, "image/png")},
        )
        assert r.status_code == 302, r.content.decode()[:2000]
    assert client.post(step_url(app, "images"), {}).url == step_url(app, "sme")
    assert client.post(step_url(app, "sme"), {}).url == step_url(app, "association")
    assert client.post(step_url(app, "association"), {"association": ""}).url == step_url(app, "pledges")
    pledges = {
        f"pledge_{p.pk}": "on" for p in __import__("applications.selectors").selectors.current_pledges("NEW")
    }
    r = client.post(step_url(app, "pledges"), pledges)
    assert r.url == reverse("applications:review", args=[app.pk])
    html = client.get(r.url).content.decode()
    assert "必要な入力と書類はそろっています" in html and "出荷実績.pdf" in html
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("applications:review", args=[app.pk]))
    assert r.status_code == 302 and r.url == reverse("applications:detail", args=[app.pk])
    app.refresh_from_db()
    assert app.status == "SUBMITTED" and app.receipt_number
    assert OutboxMessage.objects.filter(kind="application_received", to=user.email).count() == 1


def _type_pk(code):
    from applications.models import DocumentType

    return DocumentType.objects.get(code=code).pk


def test_a_failed_step_shows_errors_next_to_fields_and_keeps_what_was_saved(client):
    user, est = applicant()
    client.force_login(user)
    app = draft(est, user)
    r = client.post(step_url(app, "shipment"), {"had_shipments": "yes", "amounts_unavailable": "on"})
    html = r.content.decode()
    assert r.status_code == 400
    assert (
        'id="id_amounts_unavailable_reason_error"' in html and "金額を示せない理由を記入してください" in html
    )
    assert [c.code for c in Application.objects.get(pk=app.pk).requested_codes.all()] == ["2592"]
    r = client.post(
        step_url(app, "sme"), {"sme_claimed": "on", "capital_yen": "900000000", "regular_employees": "900"}
    )
    assert r.status_code == 400 and "基準" in r.content.decode()
    assert Application.objects.get(pk=app.pk).sme_claimed is False


def test_submit_with_a_missing_document_is_blocked_and_names_it(client):
    user, est = applicant()
    client.force_login(user)
    app = complete(draft(est, user), user)
    Document.objects.filter(application=app, document_type__code="factory_image").delete()
    r = client.post(reverse("applications:review", args=[app.pk]))
    assert r.status_code == 400 and "製造設備・工場内部の画像" in r.content.decode()
    assert Application.objects.get(pk=app.pk).status == "DRAFT"


def test_double_clicked_submit_submits_once(client, django_capture_on_commit_callbacks):
    user, est = applicant()
    client.force_login(user)
    app = complete(draft(est, user), user)
    url = reverse("applications:review", args=[app.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url)
        second = client.post(url)
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("applications:detail", args=[app.pk])
    assert OutboxMessage.objects.filter(kind="application_received").count() == 1


def test_double_clicked_start_creates_one_application(client):
    user, est = applicant()
    client.force_login(user)
    data = {"establishment": est.pk, "kind": "NEW"}
    client.post(reverse("applications:start"), data)
    r = client.post(reverse("applications:start"), data)
    app = Application.objects.get(establishment=est)
    assert r.status_code == 302 and r.url == reverse("applications:detail", args=[app.pk])


def test_a_bad_upload_is_refused_next_to_the_file_field_and_stores_nothing(client):
    user, est = applicant()
    client.force_login(user)
    app = draft(est, user)
    r = client.post(
        reverse("applications:upload", args=[app.pk]),
        {
            "step": "images",
            "document_type": _type_pk("product_image"),
            "file": upload("photo.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        },
    )
    assert r.status_code == 400
    assert 'id="id_file_error"' in r.content.decode() and "PDF・JPEG・PNG以外" in r.content.decode()
    assert not Document.objects.exists()


def test_another_organisations_applications_and_files_are_404(client):
    owner, est = applicant()
    app = complete(draft(est, owner), owner)
    doc = app.documents.first()
    client.force_login(UserFactory())
    for url, method in [
        (reverse("applications:detail", args=[app.pk]), "get"),
        (step_url(app, "codes"), "get"),
        (step_url(app, "shipment"), "post"),
        (reverse("applications:review", args=[app.pk]), "get"),
        (reverse("applications:review", args=[app.pk]), "post"),
        (reverse("applications:cancel", args=[app.pk]), "post"),
        (reverse("applications:upload", args=[app.pk]), "post"),
        (reverse("applications:document", args=[doc.pk]), "get"),
        (reverse("applications:document_delete", args=[doc.pk]), "post"),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert (
        Application.objects.get(pk=app.pk).status == "DRAFT" and Document.objects.filter(pk=doc.pk).exists()
    )


def test_the_list_shows_only_the_users_own_applications(client):
    owner, est = applicant()
    draft(est, owner)
    other, other_est = applicant()
    draft(other_est, other)
    client.force_login(owner)
    html = client.get(reverse("applications:index")).content.decode()
    assert est.name in html and other_est.name not in html


def test_download_is_an_attachment_with_nosniff(client):
    user, est = applicant()
    app = draft(est, user)
    doc = add_doc(app, user, "product_image", name="製品.png")
    client.force_login(user)
    r = client.get(
        reverse("applications:document", args=[doc.pk]) + "?preview=1"
    )  # preview is for staff only
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("attachment")
    assert b"".join(r.streaming_content) == doc.file.open("rb").read()


def test_staff_may_download_any_document_and_preview_images_inline(client):
    user, est = applicant()
    doc = add_doc(draft(est, user), user, "product_image")
    verified_login(client, reviewer())  # staff pass the second factor first (jaim.middleware)
    r = client.get(reverse("applications:document", args=[doc.pk]) + "?preview=1")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("inline")
    assert r["X-Content-Type-Options"] == "nosniff"


def test_submitted_application_steps_redirect_to_the_detail_page(client):
    app = submitted()
    client.force_login(app.created_by)
    r = client.get(step_url(app, "shipment"))
    assert r.status_code == 302 and r.url == reverse("applications:detail", args=[app.pk])


def test_returned_application_shows_the_reviewers_message_on_my_page_and_the_establishment(client):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.return_application(
        app,
        reviewer=staff,
        message="工場内部の画像を追加してください。",
        deadline=dt.date.today() + dt.timedelta(9),
    )
    client.force_login(app.created_by)
    for url in (
        reverse("members:mypage"),
        reverse("members:establishment_detail", args=[app.establishment_id]),
        reverse("applications:detail", args=[app.pk]),
        step_url(app, "images"),
    ):
        html = client.get(url).content.decode()
        assert "工場内部の画像を追加してください。" in html, url


def test_establishment_page_offers_to_apply_and_members_get_change_kinds(client):
    user, est = applicant()
    client.force_login(user)
    html = client.get(reverse("members:establishment_detail", args=[est.pk])).content.decode()
    assert "入会申請する" in html and f"establishment={est.pk}&amp;kind=NEW" in html
    from tests.factories import membership_for

    membership_for(est)
    html = client.get(reverse("members:establishment_detail", args=[est.pk])).content.decode()
    assert f"establishment={est.pk}&amp;kind=NEW" not in html
    assert "kind=ADD_CLASSIFICATION" in html
    assert "kind=WITHDRAWAL" not in html  # withdrawal is lifecycle's 退会する, not an application (R11)


def test_the_start_form_is_prefilled_from_the_establishment_button(client):
    user, est = applicant()
    client.force_login(user)
    html = client.get(
        reverse("applications:start"), {"establishment": est.pk, "kind": "NEW"}
    ).content.decode()
    assert f'value="{est.pk}" selected' in html


def test_applicant_can_cancel_a_draft(client):
    user, est = applicant()
    app = draft(est, user)
    client.force_login(user)
    client.post(reverse("applications:cancel", args=[app.pk]))
    assert Application.objects.get(pk=app.pk).status == "CANCELLED"


def test_step_pages_use_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    user, est = applicant()
    app = complete(draft(est, user, codes=("2592", "1511", "1121")), user)
    client.force_login(user)
    for step in ("establishment", "codes", "addon", "shipment", "images", "sme", "association", "pledges"):
        with django_assert_max_num_queries(40):  # measured 19–36
            assert client.get(step_url(app, step)).status_code == 200
    with django_assert_max_num_queries(40):  # measured 33
        assert client.get(reverse("applications:review", args=[app.pk])).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(reverse("members:mypage")).status_code == 200


def test_the_codes_step_does_not_move_on_without_a_code(client):
    user, est = applicant()
    app = draft(est, user, codes=())
    client.force_login(user)
    r = client.post(step_url(app, "codes"), {"action": "next"})
    assert r.status_code == 400 and "産業分類を1つ以上" in r.content.decode()


def test_answering_no_to_shipments_is_saved_and_the_review_says_why_it_cannot_be_submitted(client):
    """R5: 「いいえ」 is an answer, not an error: it is kept, the applicant is told at once, the checklist names the
    reason (not 「…の有無を回答してください」 as if unanswered) and the submission is refused."""
    user, est = applicant()
    client.force_login(user)
    app = complete(draft(est, user), user)
    r = client.post(step_url(app, "shipment"), {"action": "next", "had_shipments": "no"}, follow=True)
    assert r.status_code == 200
    assert "回答を保存しました。直近12か月に製造品出荷額等がない事業所は申請できません" in r.content.decode()
    assert Application.objects.get(pk=app.pk).had_shipments is False
    review = client.get(reverse("applications:review", args=[app.pk])).content.decode()
    assert "直近12か月に製造品出荷額等がある事業所だけが申請できます" in review
    assert "有無を回答してください" not in review
    r = client.post(reverse("applications:review", args=[app.pk]))
    assert r.status_code == 400 and Application.objects.get(pk=app.pk).status == "DRAFT"


def test_a_certificate_that_will_not_count_is_stored_with_a_warning_not_a_plain_thank_you(
    client, time_machine
):
    """R7 (textile (a)): a certificate valid for only 2 months is kept, but the message says at once why the
    checklist will mark it ✗ (with the date in Japanese); a valid one gets 「受け付けました」."""
    time_machine.move_to(dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC), tick=False)
    user, est = applicant()
    client.force_login(user)
    app = complete(draft(est, user, codes=("1121",)), user)

    def send(valid_until, name):
        return client.post(
            reverse("applications:upload", args=[app.pk]),
            {"step": "addon", "document_type": _type_pk("textile_hr_certificate"), "issuer": "OEKO-TEX",
             "valid_until": valid_until, "file": upload(name, PDF)},
            follow=True,
        ).content.decode()  # fmt: skip

    short = send("2026-08-01", "認証2か月.pdf")
    assert "「認証2か月.pdf」を保存しましたが、このままでは要件を満たしません" in short
    assert "3か月以上有効である必要があります（2026年9月1日以降まで）" in short
    assert "「認証2か月.pdf」を受け付けました" not in short
    ok = send("2027-06-01", "認証1年.pdf")
    assert "「認証1年.pdf」を受け付けました" in ok


def test_an_sme_claim_over_the_thresholds_says_how_to_go_on_without_it(client):
    """F3: over both thresholds the claim is refused next to the field, and the message says to untick the claim
    to go on at the normal fee (it only said what was wrong)."""
    user, est = applicant()
    client.force_login(user)
    app = complete(draft(est, user), user)
    r = client.post(
        step_url(app, "sme"),
        {"sme_claimed": "on", "capital_yen": "500000000", "regular_employees": "900", "sme_proof_type": ""},
    )
    html = r.content.decode()
    assert r.status_code == 400 and "基準（資本金3億円以下または従業員300人以下）を満たしていません" in html
    assert "「中小企業割引を申請する」のチェックを外してください" in html
    r = client.post(step_url(app, "sme"), {"capital_yen": "500000000", "regular_employees": "900"})
    assert r.status_code == 302  # unticked: the application goes on without the discount
    assert Application.objects.get(pk=app.pk).sme_claimed is False
