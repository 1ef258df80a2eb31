"""The timeline of an establishment (and of an organisation, its sites merged): every kind of record in time
order, staff notes editable by their author for a short time, struck through but never deleted, constant queries
per page, and never on the portal."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from backoffice import services, timeline
from backoffice.models import StaffNote
from fees import services as fee_services
from fees.models import DebitItem, DebitMandate, DebitRun
from jaim.errors import DomainError
from jaim.models import OutboxMessage
from jaim.states import move
from lifecycle.models import Lapse
from members.models import Access, MembershipTerm
from tests.backoffice import factories as bf
from tests.backoffice.conftest import at
from tests.factories import EstablishmentFactory, OrganisationFactory, UserFactory, membership_for
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 7, 1)


def _day(n, hour=10):
    return at(DAY + dt.timedelta(days=n), hour)


@pytest.fixture
def history():
    """An establishment with one record of every kind, each on its own day (in this order)."""
    reviewer = staff_user(group="reviewer")
    finance = staff_user(group="finance")
    owner = UserFactory(email="owner@example.jp")
    est = EstablishmentFactory(name="第一工場")
    Access.objects.create(user=owner, establishment=est, can_manage=True)
    with _day(0, 9):
        app = bf.application(status=Application.Status.SUBMITTED, submitted_at=timezone.now(), est=est)
        move(app, Application.Status.IN_REVIEW, transitions=Application.TRANSITIONS, actor=reviewer)
        app.save()
    with _day(0):
        membership = membership_for(est, fee_notice_date=DAY)
        invoice = bf.invoice(membership, total_yen=120_000)
    with _day(1):
        fee_services.record_payment(
            [invoice], amount_yen=120_000, received_on=DAY + dt.timedelta(days=1), by=finance
        )
    with _day(3):
        second = bf.invoice(membership, fiscal_year=2027, total_yen=120_000)
        fee_services.issue_credit_note(second, amount_yen=20_000, reason="所在地の誤り", by=finance)
    with _day(4):
        mandate = DebitMandate.objects.create(
            establishment=est,
            bank_code="0001",
            branch_code="210",
            account_type="1",
            account_number="1234567",
            holder_kana="ｶ)ﾃｽﾄ",
        )
        run = DebitRun.objects.create(collection_date=DAY + dt.timedelta(days=4))
        DebitItem.objects.create(
            run=run,
            invoice=second,
            mandate=mandate,
            customer_number="1",
            amount_yen=100_000,
            new_code="1",
            result_code=DebitItem.Result.NO_FUNDS,
        )
    with _day(5):
        OutboxMessage.objects.create(kind="test", to=owner.email, subject="会費のご案内", body="本文")
        OutboxMessage.objects.create(
            kind="test", to="someone-else@example.jp", subject="他社あて", body="本文"
        )
    with _day(6):
        MembershipTerm.objects.create(
            membership=membership,
            fiscal_year=2027,
            renewal_answer=MembershipTerm.Answer.CONTINUE,
            answered_at=dt.datetime(2026, 7, 7, 10, tzinfo=dt.UTC),
            answered_by=owner,
        )
    with _day(8):
        Lapse.objects.create(membership=membership, invoice=second, lapsed_on=DAY + dt.timedelta(days=8))
    with _day(9):
        note = services.add_note(
            est, kind=StaffNote.Kind.PHONE, text="総務の佐藤様から入金予定の連絡", by=reviewer
        )
    return {
        "est": est,
        "owner": owner,
        "reviewer": reviewer,
        "finance": finance,
        "note": note,
        "app": app,
        "invoice": invoice,
    }


def _position(events, category, contains=""):
    for i, e in enumerate(events):
        if e.category == category and contains in (e.title + e.detail):
            return i
    raise AssertionError(f"no {category} event with {contains!r}: {[(e.category, e.title) for e in events]}")


def test_the_timeline_merges_every_kind_of_record_newest_first(history):
    events = timeline.events(timeline.for_establishment(history["est"]))
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    order = [
        _position(events, timeline.NOTE, "入金予定"),
        _position(events, timeline.LIFECYCLE, "失効"),
        _position(events, timeline.LIFECYCLE, "継続する"),
        _position(events, timeline.MAIL, "会費のご案内"),
        _position(events, timeline.DEBIT, "資金不足"),
        _position(events, timeline.CREDIT, "¥20,000"),
        _position(events, timeline.PAYMENT, "¥120,000"),
        _position(events, timeline.ROSTER, "初回会費の入金"),
        _position(events, timeline.INVOICE, history["invoice"].number),
        _position(events, timeline.APPLICATION, "審査中"),
    ]
    assert order == sorted(order), "\n".join(
        f"{i} {e.at} {e.category} {e.title}" for i, e in enumerate(events)
    )  # newest first, each kind where its time puts it
    assert any(e.category == timeline.AUDIT and "会員資格" in e.title for e in events)  # the activation (R9)
    assert not any("他社あて" in e.title for e in events)  # another company's mail is not on this timeline


def test_the_kind_filter_and_the_note_search(history):
    est = history["est"]
    services.add_note(est, kind=StaffNote.Kind.VISIT, text="工場長が来訪、書類を持参", by=history["reviewer"])
    scope = timeline.for_establishment(est)
    phones = timeline.events(scope, kind="note:PHONE")
    assert [e.detail for e in phones] == ["総務の佐藤様から入金予定の連絡"]
    assert {e.category for e in timeline.events(scope, kind=timeline.INVOICE)} == {timeline.INVOICE}
    found = timeline.events(scope, q="来訪")
    assert [e.detail for e in found] == ["工場長が来訪、書類を持参"]


def test_the_page_shows_the_history_to_each_role_that_sees_members(history):
    url = reverse("backoffice:timeline_establishment", args=[history["est"].pk])
    for role in ("reviewer", "finance", "administrator"):
        c = Client()
        verified_login(c, staff_user(group=role))
        body = c.get(url).content.decode()
        assert "総務の佐藤様から入金予定の連絡" in body
        assert "会費のご案内" in body and "¥120,000" in body


def test_a_note_written_on_the_page_is_recorded_and_a_refused_file_writes_nothing(history, reviewer_client):
    url = reverse("backoffice:timeline_establishment", args=[history["est"].pk])
    bad = SimpleUploadedFile("memo.pdf", b"not a pdf at all", content_type="application/pdf")
    response = reviewer_client.post(url, {"kind": "MAIL", "text": "見積書を送付", "upload": bad})
    assert response.status_code == 200
    assert "見積書を送付" in response.content.decode()  # the text is kept in the form
    assert not StaffNote.objects.filter(text="見積書を送付").exists()
    response = reviewer_client.post(url, {"kind": "MAIL", "text": "見積書を送付"})
    assert response.status_code == 302
    note = StaffNote.objects.get(text="見積書を送付")
    assert (note.kind, note.author) == ("MAIL", reviewer_client.user)


def test_an_attachment_is_checked_stored_privately_and_downloaded_by_staff_only(history, settings, tmp_path):
    png = _png()
    note = services.add_note(
        history["est"],
        kind=StaffNote.Kind.MEMO,
        text="名刺",
        by=history["reviewer"],
        upload=SimpleUploadedFile("名刺.png", png, content_type="image/png"),
    )
    assert note.attachment_type == "image/png" and note.attachment.name.startswith("backoffice/notes/")
    url = reverse("backoffice:note_attachment", args=[note.pk])
    staff = Client()
    verified_login(staff, staff_user(group="finance"))
    response = staff.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    member = Client()
    member.force_login(history["owner"])
    assert member.get(url).status_code == 302  # to the admin login: never served to a member


def _png():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    return buf.getvalue()


def test_a_note_is_editable_by_its_author_within_the_window_only(history, settings):
    settings.JAIM_NOTE_EDIT_MINUTES = 15
    est, reviewer = history["est"], history["reviewer"]
    with at(dt.date(2026, 8, 1), 10):
        note = services.add_note(est, kind=StaffNote.Kind.PHONE, text="折り返し希望", by=reviewer)
    other = staff_user(group="reviewer")
    with at(dt.date(2026, 8, 1), 10) as traveller:
        traveller.shift(dt.timedelta(minutes=14))
        with pytest.raises(DomainError) as refused:
            services.edit_note(note, kind="PHONE", text="他人が書き換え", by=other)
        assert refused.value.code == "not_author"
        services.edit_note(note, kind="MAIL", text="折り返し希望（午後）", by=reviewer)
        traveller.shift(dt.timedelta(minutes=2))  # 16 minutes after writing it
        with pytest.raises(DomainError) as late:
            services.edit_note(note, kind="MAIL", text="遅すぎる修正", by=reviewer)
        assert late.value.code == "window_closed"
        c = Client()
        verified_login(c, reviewer)
        response = c.post(
            reverse("backoffice:note_edit", args=[note.pk]), {"kind": "MEMO", "text": "画面から"}
        )
        assert response.status_code == 302
    note.refresh_from_db()
    assert (note.kind, note.text) == ("MAIL", "折り返し希望（午後）")
    assert note.edited_at is not None
    assert [h.text for h in note.history.order_by("history_id")] == ["折り返し希望", "折り返し希望（午後）"]


def test_another_staff_member_cannot_edit_a_note_from_the_page(history):
    note = history["note"]
    c = Client()
    verified_login(c, staff_user(group="administrator"))
    with at(DAY + dt.timedelta(days=9), 10):
        response = c.post(reverse("backoffice:note_edit", args=[note.pk]), {"kind": "MEMO", "text": "上書き"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "総務の佐藤様から入金予定の連絡"


def test_striking_through_keeps_the_text_and_records_who_when_why(history, finance_client):
    note = history["note"]
    url = reverse("backoffice:note_strike", args=[note.pk])
    response = finance_client.post(url, {"reason": ""})
    assert response.status_code == 200 and 'id="id_reason_error"' in response.content.decode()
    with at(DAY + dt.timedelta(days=20), 11):
        assert finance_client.post(url, {"reason": "別の事業所の記録だったため"}).status_code == 302
    note.refresh_from_db()
    assert note.text == "総務の佐藤様から入金予定の連絡"
    assert note.struck_by == finance_client.user and note.strike_reason == "別の事業所の記録だったため"
    assert note.struck_at == dt.datetime(2026, 7, 21, 2, tzinfo=dt.UTC)
    with pytest.raises(DomainError):
        services.strike_note(note, reason="二度目", by=finance_client.user)
    page = finance_client.get(reverse("backoffice:timeline_establishment", args=[history["est"].pk]))
    body = page.content.decode()
    assert (
        "<del" in body and "総務の佐藤様から入金予定の連絡" in body and "別の事業所の記録だったため" in body
    )


def test_nothing_deletes_a_note(history):
    note = history["note"]
    with pytest.raises(ValidationError):
        note.delete()
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic():
        StaffNote.objects.filter(pk=note.pk).delete()  # the database trigger
    with (
        pytest.raises(DatabaseError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM backoffice_staffnote WHERE id = %s", [note.pk])
    root = UserFactory(is_staff=True, is_superuser=True)
    clients = [("superuser", root)] + [
        (r, staff_user(group=r)) for r in ("reviewer", "finance", "administrator")
    ]
    url = reverse("admin:backoffice_staffnote_delete", args=[note.pk])
    for _who, user in clients:
        c = Client()
        verified_login(c, user)
        assert c.get(url).status_code == 403
        assert c.post(url, {"post": "yes"}).status_code == 403
        listing = c.get(reverse("admin:backoffice_staffnote_changelist"))
        assert listing.status_code == 200 and "delete_selected" not in listing.content.decode()
    assert StaffNote.objects.filter(pk=note.pk).exists()


def test_the_organisation_timeline_merges_its_sites():
    reviewer = staff_user(group="reviewer")
    org = OrganisationFactory(name="株式会社三河製作所")
    first = EstablishmentFactory(organisation=org, name="本社工場")
    second = EstablishmentFactory(organisation=org, name="豊橋工場")
    elsewhere = EstablishmentFactory(name="他社工場")
    with at(DAY, 9):
        services.add_note(first, kind="PHONE", text="本社工場への電話", by=reviewer)
    with at(DAY, 10):
        services.add_note(second, kind="VISIT", text="豊橋工場の来訪", by=reviewer)
    services.add_note(elsewhere, kind="MEMO", text="他社のメモ", by=reviewer)
    events = timeline.events(timeline.for_organisation(org))
    assert [(e.site, e.detail) for e in events] == [
        ("豊橋工場", "豊橋工場の来訪"),
        ("本社工場", "本社工場への電話"),
    ]
    c = Client()
    verified_login(c, reviewer)
    body = c.get(reverse("backoffice:timeline_organisation", args=[org.pk])).content.decode()
    assert "本社工場への電話" in body and "豊橋工場の来訪" in body and "他社のメモ" not in body


def test_the_change_pages_link_to_the_timelines(history, reviewer_client):
    est = history["est"]
    page = reviewer_client.get(reverse("admin:members_establishment_change", args=[est.pk])).content.decode()
    assert reverse("backoffice:timeline_establishment", args=[est.pk]) in page
    page = reviewer_client.get(
        reverse("admin:members_organisation_change", args=[est.organisation_id])
    ).content.decode()
    assert reverse("backoffice:timeline_organisation", args=[est.organisation_id]) in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("count", [5, 50])
def test_a_page_takes_a_constant_number_of_queries(
    history, reviewer_client, django_assert_max_num_queries, count
):
    est = history["est"]
    url = reverse("backoffice:timeline_establishment", args=[est.pk])
    baseline = _queries(reviewer_client, url)
    authors = [staff_user(group="finance") for _ in range(3)]
    for i in range(count):
        services.add_note(est, kind="MEMO", text=f"メモ{i}", by=authors[i % 3])
        OutboxMessage.objects.create(kind="test", to=history["owner"].email, subject=f"件名{i}", body="本文")
    with django_assert_max_num_queries(baseline):
        response = reviewer_client.get(url)
    assert f"メモ{count - 1}" in response.content.decode()
    assert len(response.context["page"].object_list) == min(
        timeline.PER_PAGE, response.context["page"].paginator.count
    )


def test_the_portal_never_shows_a_note(history):
    owner, est = history["owner"], history["est"]
    c = Client()
    c.force_login(owner)
    response = c.get(reverse("members:establishment_detail", args=[est.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert est.name in body
    assert "総務の佐藤様から入金予定の連絡" not in body
    assert (
        c.get(reverse("backoffice:timeline_establishment", args=[est.pk])).status_code == 302
    )  # admin login


def test_a_head_office_mail_shows_on_the_site_it_names_and_on_the_organisation():
    head = UserFactory(email="honsha@example.jp")
    org = OrganisationFactory()
    Access.objects.create(user=head, organisation=org, can_manage=True)
    first = EstablishmentFactory(organisation=org, name="本社工場")
    second = EstablishmentFactory(organisation=org, name="豊橋工場")
    m1, m2 = membership_for(first), membership_for(second)
    for m in (m1, m2):
        OutboxMessage.objects.create(
            kind="test", to=head.email, subject=f"会員番号 {m.member_number} のお知らせ", body="本文"
        )

    def mails(scope):
        return sorted(e.title for e in timeline.events(scope, kind=timeline.MAIL))

    assert mails(timeline.for_establishment(first)) == [f"メール「会員番号 {m1.member_number} のお知らせ」"]
    assert len(mails(timeline.for_organisation(org))) == 2
