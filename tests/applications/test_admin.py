"""Staff review in the admin: the queue, the application page, and decisions through the services."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from applications import services
from applications.models import Application
from members.models import Membership
from tests.applications.factories import add_doc, applicant, complete, draft, reviewer, submitted
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:applications_application_changelist")


def change_url(app, action=None):
    if action:
        return reverse(f"admin:applications_application_{action}", args=[app.pk])
    return reverse("admin:applications_application_change", args=[app.pk])


def submitted_on(day, codes=("2592",)):
    with time_machine.travel(dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)):
        return submitted(codes=codes)


def test_queue_opens_on_waiting_applications_oldest_receipt_first(client, billed):
    later = submitted_on(dt.date(2026, 3, 1))
    earlier = submitted_on(dt.date(2026, 2, 1))
    decided = submitted_on(dt.date(2026, 1, 1))
    staff = reviewer()
    services.start_review(decided, reviewer=staff)
    services.approve_application(decided, reviewer=staff)
    user, est = applicant()
    hidden = draft(est, user)
    verified_login(client, staff)
    r = client.get(QUEUE)
    assert r.status_code == 200
    assert list(r.context["cl"].result_list) == [earlier, later]
    assert list(client.get(QUEUE, {"status": "all"}).context["cl"].result_list) == [decided, earlier, later]
    assert hidden not in client.get(QUEUE, {"status": "all"}).context["cl"].result_list


def test_a_resubmitted_application_keeps_its_place_in_the_queue(client):
    first = submitted_on(dt.date(2026, 2, 1))
    second = submitted_on(dt.date(2026, 2, 2))
    staff = reviewer()
    services.start_review(first, reviewer=staff)
    services.return_application(
        first, reviewer=staff, message="不足", deadline=dt.date.today() + dt.timedelta(5)
    )
    services.submit_application(Application.objects.get(pk=first.pk), by=first.created_by)
    verified_login(client, staff)
    rows = list(client.get(QUEUE, {"status": "queue"}).context["cl"].result_list)
    assert rows == [first, second]


@time_machine.travel(dt.datetime(2026, 6, 30, 3, 0, tzinfo=dt.UTC))
def test_queue_filters_by_days_waiting_add_on_jsic_and_status_with_counts(client):
    old = submitted_on(dt.date(2026, 3, 1))  # 121 days
    recent = submitted_on(dt.date(2026, 6, 20), codes=("2592",))
    user, est = applicant()
    printing = complete(
        draft(est, user, codes=("1511",)), user
    )  # a draft: filtered by add-on only when asked
    verified_login(client, reviewer())
    assert list(client.get(QUEUE, {"waiting": "ge90"}).context["cl"].result_list) == [old]
    assert list(client.get(QUEUE, {"waiting": "lt30"}).context["cl"].result_list) == [recent]
    assert list(client.get(QUEUE, {"addon": "printing", "status": "DRAFT"}).context["cl"].result_list) == [
        printing
    ]
    assert set(client.get(QUEUE, {"jsic": "25"}).context["cl"].result_list) == {old, recent}
    html = client.get(QUEUE).content.decode()
    assert "受付からの日数" in html and "(2)" in html  # facet counts are shown


def test_application_page_shows_answers_and_documents_with_image_previews(client):
    user, est = applicant()
    app = complete(draft(est, user), user)
    app = services.submit_application(app, by=user)
    verified_login(client, reviewer())
    r = client.get(change_url(app))
    html = r.content.decode()
    assert r.status_code == 200
    doc = app.documents.get(document_type__code="product_image")
    assert f"{reverse('applications:document', args=[doc.pk])}?preview=1" in html
    assert "2592" in html and "弁・同附属品製造業" in html
    assert "審査を開始する" in html and "JAIM行動規範の遵守" in html


def test_start_return_and_approve_through_the_admin(client, billed):
    app = submitted()
    staff = reviewer()
    verified_login(client, staff)
    client.post(change_url(app, "start"))
    app.refresh_from_db()
    assert app.status == "IN_REVIEW" and app.reviewer == staff
    r = client.post(change_url(app, "return"), {"message": "画像が不鮮明です。", "deadline": "2099-01-01"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "RETURNED" and app.return_message == "画像が不鮮明です。"
    add_doc(app, app.created_by, "factory_image")
    services.submit_application(app, by=app.created_by)
    client.post(change_url(app, "start"))
    r = client.post(change_url(app, "approve"), {})
    assert r.status_code == 302
    assert Application.objects.get(pk=app.pk).status == "APPROVED"
    assert Membership.objects.get(establishment=app.establishment).status == "AWAITING_PAYMENT"
    assert len(billed) == 1


def test_return_form_errors_stay_on_the_form(client):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    verified_login(client, staff)
    r = client.post(change_url(app, "return"), {"message": "", "deadline": ""})
    assert r.status_code == 200 and Application.objects.get(pk=app.pk).status == "IN_REVIEW"


def test_reject_through_the_admin_records_the_reason(client):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    verified_login(client, staff)
    client.post(change_url(app, "reject"), {"reason": "対象外の製品です。"})
    app.refresh_from_db()
    assert app.status == "REJECTED" and app.rejection_reason == "対象外の製品です。"


def test_a_second_decision_gets_already_decided_never_a_500(client):
    app = submitted()
    staff = reviewer()
    services.start_review(app, reviewer=staff)
    services.approve_application(app, reviewer=staff)
    verified_login(client, reviewer())
    r = client.post(change_url(app, "reject"), {"reason": "遅れて却下"}, follow=True)
    assert r.status_code == 200
    assert "既に決定済み" in r.content.decode()
    assert Application.objects.get(pk=app.pk).status == "APPROVED"


def test_bulk_start_review_action_assigns_me(client):
    a, b = submitted(), submitted()
    staff = reviewer()
    verified_login(client, staff)
    client.post(QUEUE, {"action": "start_review_action", "_selected_action": [a.pk, b.pk]})
    assert set(Application.objects.filter(reviewer=staff).values_list("pk", flat=True)) == {a.pk, b.pk}


def test_a_user_who_is_not_staff_cannot_reach_the_decisions(client):
    app = submitted()
    client.force_login(app.created_by)
    r = client.post(change_url(app, "start"))
    assert r.status_code == 302 and "/admin/login/" in r.url
    assert Application.objects.get(pk=app.pk).status == "SUBMITTED"


def test_pledge_text_that_was_accepted_is_frozen_in_the_admin(client, admin_user):
    from applications.models import PledgeText

    verified_login(client, admin_user)
    admin_client = client
    user, est = applicant()
    complete(draft(est, user), user)
    p = PledgeText.objects.get(code="code_of_conduct", version=1)
    html = admin_client.get(reverse("admin:applications_pledgetext_change", args=[p.pk])).content.decode()
    assert 'name="body"' not in html


def test_staff_edit_requirement_rules_in_the_admin(client, admin_user):
    from applications.models import DocumentType, Requirement

    verified_login(client, admin_user)
    assert client.get(reverse("admin:applications_requirement_add")).status_code == 200
    assert client.get(reverse("admin:applications_pledgetext_add")).status_code == 200
    t = DocumentType.objects.get(code="cooperative_certificate")
    r = client.post(
        reverse("admin:applications_requirement_add"),
        {
            "label": "繊維工業：組合加盟証明書",
            "kinds": ["NEW", "ADD_CLASSIFICATION"],
            "stage": "APPLICATION",
            "addon": "textile",
            "document_types": [t.pk],
            "order": 14,
            "is_active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    req = Requirement.objects.get(label="繊維工業：組合加盟証明書")
    assert req.kinds == "NEW,ADD_CLASSIFICATION" and list(req.document_types.all()) == [t]
    user, est = applicant()
    app = draft(est, user, codes=("1121",))
    from applications.selectors import missing

    assert any(n.label == "繊維工業：組合加盟証明書" for n in missing(app))


def test_queue_and_application_page_queries_do_not_grow_with_the_queue(client, django_assert_max_num_queries):
    apps = [submitted() for _ in range(6)]
    verified_login(client, reviewer())
    # measured 16 (35 when every facet count built the filters' choices again)
    with django_assert_max_num_queries(22):
        assert client.get(QUEUE, {"status": "all"}).status_code == 200
    with django_assert_max_num_queries(60):  # measured 45
        assert client.get(change_url(apps[0])).status_code == 200


def test_queue_facet_counts_and_choices_match_djangos_own_per_choice_counts(client):
    """The filters count each choice in one GROUP BY (not a subquery per choice): the counts and the choices offered
    are those Django's generic facets and a DISTINCT over every application give, with and without other filters."""
    from django.contrib import admin as django_admin

    from applications.admin import JsicFilter, PrefectureFilter, StatusFilter
    from members.models import JsicCode

    a = submitted(codes=("2592", "2593"))
    b = submitted(codes=("2592",))
    b.requested_codes.add(JsicCode.objects.filter(code__startswith="24", code__regex=r"^\d{4}$").first())
    c = submitted(codes=("2592",))
    for app, pref in ((a, "13"), (b, "13"), (c, "27")):
        app.establishment.prefecture = pref
        app.establishment.save()
    staff = reviewer()
    services.start_review(c, reviewer=staff)
    services.approve_application(c, reviewer=staff)
    user, est = applicant()
    draft(est, user, codes=("1121",))
    verified_login(client, staff)

    present = sorted({p for p in Application.objects.values_list("establishment__prefecture", flat=True)})
    middles = sorted(
        {
            code[:2]
            for code in Application.requested_codes.through.objects.values_list("jsiccode_id", flat=True)
        }
    )
    for params in ({}, {"status": "all"}, {"jsic": "25"}, {"pref": "13", "status": "all"}, {"q": "テスト"}):
        cl = client.get(QUEUE, params).context["cl"]
        specs = {type(spec): spec for spec in cl.filter_specs}
        assert [code for code, _name in specs[PrefectureFilter].lookup_choices] == present
        assert [m for m, _name in specs[JsicFilter].lookup_choices] == middles
        for kind in (StatusFilter, PrefectureFilter, JsicFilter):
            spec = specs[kind]
            generic = django_admin.SimpleListFilter.get_facet_queryset(spec, cl)
            assert spec.get_facet_queryset(cl) == generic, (kind.__name__, params)
    html = client.get(QUEUE).content.decode()
    assert "(2)" in html  # two waiting applications, both in Tokyo


def test_review_screen_shows_former_council_records_of_the_applicant_R17(client):
    from backoffice.models import CouncilRecord
    from tests.factories import EstablishmentFactory

    app = submitted_on(dt.date(2026, 3, 1))
    est = app.establishment
    org = est.organisation
    other_site = EstablishmentFactory(organisation=org)
    assert org.corporate_number

    def record(number, **fields):
        defaults = dict(
            company_name="株式会社旧協議会", establishment_name="本社工場", prefecture="21", address="岐阜市"
        )
        return CouncilRecord.objects.create(
            source_key=number,
            council_number=number,
            council_joined_on=dt.date(2020, 4, 1),
            **{**defaults, **fields},
        )

    record("K-LINKED", establishment=est, organisation=org, jsic_codes=["2592"])
    record("K-SAMECORP", corporate_number=org.corporate_number, information_migration_only=True)
    record("K-OTHER", corporate_number="4011001098993")
    record("K-OTHERSITE", corporate_number=org.corporate_number, establishment=other_site, organisation=org)
    verified_login(client, reviewer())
    page = client.get(change_url(app)).content.decode()
    assert (
        "協議会の記録" in page and "K-LINKED" in page and "産業分類：2592" in page and "2020年4月1日" in page
    )
    assert page.count("この事業所に照合済み") == 1  # the linked record only, each record says its own state
    assert "K-SAMECORP" in page and "情報移行のみ" in page and "法人番号が一致（未照合）" in page
    assert "K-OTHER<" not in page and "K-OTHERSITE" not in page


def test_review_screen_says_none_without_council_records(client):
    app = submitted_on(dt.date(2026, 3, 1))
    verified_login(client, reviewer())
    page = client.get(change_url(app)).content.decode()
    assert "関連する記録" in page and "協議会の記録" not in page
