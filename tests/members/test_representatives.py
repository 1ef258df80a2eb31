"""The representative named on forms 1–4 is the company's legal representative, nobody else (R8, FAQ 2-4-7):
代表者役職 is chosen from the titles of the organisation's kind (data the administrator extends), never typed;
a change of representative is recorded with its date; the application takes it from the organisation and the
reviewer checks it against the registry copy (登記)."""

import datetime as dt
import importlib
from itertools import product

import pytest
from django.urls import reverse

from applications import selectors as app_selectors
from jaim.errors import DomainError
from jaim.models import AuditEvent
from members import services
from members.models import LegalForm, Organisation, RepresentativeTitle
from tests.factories import (
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    head_office,
    legal_form,
    make_corporate_number,
    representative_title,
)
from tests.security.helpers import staff_user, verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SEEDED = {
    "株式会社": {"代表取締役", "代表執行役"},
    "特例有限会社": {"取締役", "代表取締役"},
    "合同会社": {"代表社員"},
    "合名会社": {"代表社員"},
    "合資会社": {"代表社員"},
    "一般社団法人": {"代表理事", "理事長"},
    "一般財団法人": {"代表理事", "理事長"},
    "協同組合等": {"代表理事", "理事長"},
    "個人事業主": {"事業主"},
}


def _data(form, title, **extra):
    return {
        "kind": form.kind,
        "corporate_number": None if form.kind == "SOLE_PROPRIETOR" else make_corporate_number(),
        "name": f"{form.name}テスト",
        "name_kana": "テスト",
        "legal_form": form,
        "representative_title": title,
        "representative_name": "代表 花子",
        "postal_code": "4500002",
        "prefecture": "23",
        "city": "名古屋市",
        "address_line": "名駅1-1",
        "phone": "0521234567",
        **extra,
    }


def test_the_seeded_titles_are_the_legal_representatives_of_each_kind_R8():
    seeded = {f.name: {t.title for t in f.representative_titles.all()} for f in LegalForm.objects.all()}
    assert seeded == SEEDED


def test_every_title_is_accepted_for_its_own_kind_and_refused_for_every_other_R8():
    """Every (kind, title) pair the data holds: accepted exactly when the title belongs to the kind."""
    user = UserFactory()
    titles = list(RepresentativeTitle.objects.select_related("legal_form"))
    for form, title in product(LegalForm.objects.all(), titles):
        if title.legal_form_id == form.pk:
            org = services.create_organisation(by=user, data=_data(form, title))
            assert org.representative_title == title and org.kind == form.kind
        else:
            with pytest.raises(Exception) as exc:  # ValidationError from full_clean, next to the field
                services.create_organisation(by=user, data=_data(form, title))
            assert "代表者の役職ではありません" in str(exc.value), (form.name, title.title)
    accepted = Organisation.objects.count()
    assert accepted == len(titles)


def test_an_organisation_without_a_title_from_the_list_is_refused_R8():
    with pytest.raises(DomainError, match="代表者役職を株式会社の代表者の役職から選んで"):
        services.create_organisation(by=UserFactory(), data=_data(legal_form("kabushiki"), None))
    assert not Organisation.objects.exists()


def test_the_form_refuses_a_factory_manager_as_representative_with_a_message_next_to_the_field(client):
    """The issue's case: 工場長 typed as 代表者役職 — not a choice, so it is refused, nothing saved."""
    from tests.members.test_views import org_post

    client.force_login(UserFactory())
    r = client.post(reverse("members:organisation_create"), {**org_post(), "representative_title": "工場長"})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="field-representative_title"' in html
    assert "代表者役職は一覧から選んでください" in html
    # A title of another kind (一般社団法人's 代表理事 for a 株式会社) is refused next to the field too.
    other = representative_title("ippan_shadan", "代表理事")
    r = client.post(
        reverse("members:organisation_create"), {**org_post(), "representative_title": str(other.pk)}
    )
    assert "代表理事」は株式会社の代表者の役職ではありません" in r.content.decode()
    assert not Organisation.objects.exists()


def test_the_form_offers_the_titles_grouped_by_kind_and_no_free_text(client):
    client.force_login(UserFactory())
    html = client.get(reverse("members:organisation_create")).content.decode()
    assert '<select name="representative_title"' in html and '<optgroup label="株式会社">' in html
    assert '<input type="text" name="representative_title"' not in html


def test_an_administrator_extends_the_list_and_the_new_title_is_accepted(client):
    admin_user = staff_user(group="administrator")
    verified_login(client, admin_user)
    form = legal_form("kabushiki")
    url = reverse("admin:members_legalform_change", args=[form.pk])
    page = client.get(url).content.decode()
    assert "代表取締役" in page
    existing = list(form.representative_titles.order_by("pk"))
    data = {
        "code": form.code, "name": form.name, "kind": form.kind, "order": form.order, "is_active": "on",
        "representative_titles-TOTAL_FORMS": str(len(existing) + 1),
        "representative_titles-INITIAL_FORMS": str(len(existing)),
        "representative_titles-MIN_NUM_FORMS": "0", "representative_titles-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, t in enumerate(existing):
        data |= {
            f"representative_titles-{i}-id": str(t.pk), f"representative_titles-{i}-legal_form": str(form.pk),
            f"representative_titles-{i}-title": t.title, f"representative_titles-{i}-order": str(t.order),
            f"representative_titles-{i}-is_active": "on",
        }  # fmt: skip
    n = len(existing)
    data |= {f"representative_titles-{n}-title": "代表清算人", f"representative_titles-{n}-order": "9",
             f"representative_titles-{n}-is_active": "on", f"representative_titles-{n}-legal_form": str(form.pk)}  # fmt: skip
    assert client.post(url, data).status_code == 302
    added = RepresentativeTitle.objects.get(legal_form=form, title="代表清算人")
    org = services.create_organisation(by=UserFactory(), data=_data(form, added))
    assert org.representative_display == "代表清算人 代表 花子"


def test_a_title_switched_off_is_no_longer_accepted():
    title = representative_title("kabushiki", "代表執行役")
    RepresentativeTitle.objects.filter(pk=title.pk).update(is_active=False)
    title.refresh_from_db()
    with pytest.raises(DomainError, match="現在選べない役職"):
        services.create_organisation(by=UserFactory(), data=_data(legal_form("kabushiki"), title))


def test_a_new_representative_is_recorded_with_the_date_in_the_organisations_history_R8():
    owner, org = head_office()
    new_title = representative_title("kabushiki", "代表執行役")
    services.update_organisation(
        org,
        by=owner,
        data={"representative_title": new_title, "representative_name": "新任 次郎",
              "representative_since": dt.date(2026, 6, 27)},
    )  # fmt: skip
    org.refresh_from_db()
    assert org.representative_display == "代表執行役 新任 次郎" and org.representative_since == dt.date(
        2026, 6, 27
    )
    latest = org.history.order_by("-history_date").first()
    assert (latest.representative_title_id, latest.representative_name, latest.representative_since) == (
        new_title.pk,
        "新任 次郎",
        dt.date(2026, 6, 27),
    )
    event = AuditEvent.objects.get(object_id=str(org.pk), action="representative_changed")
    assert "代表取締役 代表 太郎 → 代表執行役 新任 次郎（2026年6月27日から）" in event.note


def test_a_new_representative_without_a_date_is_dated_today():
    from jaim.dates import today

    owner, org = head_office()
    services.update_organisation(org, by=owner, data={"representative_name": "後任 三郎"})
    org.refresh_from_db()
    assert org.representative_since == today()


def test_the_application_takes_the_representative_from_the_organisation_and_blocks_a_flagged_one_R8(client):
    from tests.applications.factories import draft

    owner, org = head_office()
    est = EstablishmentFactory(organisation=org)
    app = draft(est, owner)
    need = next(n for n in app_selectors.checklist(app) if n.key == "representative")
    assert need.satisfied
    client.force_login(owner)
    page = client.get(reverse("applications:step", args=[app.pk, "establishment"])).content.decode()
    assert "代表取締役 代表 太郎" in page
    # Old free text that could not be mapped (工場長): flagged, and the application cannot be submitted.
    Organisation.objects.filter(pk=org.pk).update(
        representative_title=None, representative_title_text="工場長"
    )
    app.establishment.organisation.refresh_from_db()
    missing = [n.key for n in app_selectors.missing(app)]
    assert "representative" in missing


def test_the_reviewer_checklist_shows_the_representative_to_check_against_the_registry_R8(client):
    from tests.applications.factories import approved_change

    _user, app, _change = approved_change("NAME_CHANGE")
    Organisation.objects.filter(pk=app.establishment.organisation_id).update(
        representative_since=dt.date(2020, 6, 26)
    )
    verified_login(client, staff_user(group="reviewer"))
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "代表者の照合" in page and "代表取締役 代表 太郎" in page and "2020年6月26日" in page
    assert "登記事項証明書" in page


# --- the data migration of the old free text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kind, text, expected_form, expected_title",
    [
        ("株式会社サンプル", "CORPORATION", "代表取締役", "kabushiki", "代表取締役"),
        ("サンプル工業株式会社", "CORPORATION", "代表取締役社長", "kabushiki", "代表取締役"),
        ("（株）サンプル", "CORPORATION", "代表執行役", "kabushiki", "代表執行役"),
        ("有限会社みどり", "CORPORATION", "取締役", "yugen", "取締役"),
        ("合同会社ミライ", "CORPORATION", "代表社員", "godo", "代表社員"),
        ("一般社団法人日本工業会", "CORPORATION", "理事長", "ippan_shadan", "理事長"),
        ("協同組合ミライ支援センター", "CORPORATION", "代表理事", "kumiai", "代表理事"),
        ("東海精機", "CORPORATION", "代表執行役", "kabushiki", "代表執行役"),  # the title tells the kind
        ("東海精機", "CORPORATION", "代表取締役", None, None),  # 株式会社 or 特例有限会社: staff decide
        ("関西スプリング製作所", "SOLE_PROPRIETOR", "代表", "sole", "事業主"),
        ("株式会社サンプル", "CORPORATION", "工場長", "kabushiki", None),  # flagged for staff
        ("株式会社サンプル", "CORPORATION", "総務部長", "kabushiki", None),
        ("東海精機", "CORPORATION", "代表理事", None, None),  # three kinds hold 代表理事: unknown
    ],
)
def test_the_migration_maps_known_titles_and_flags_the_rest_keeping_the_old_text(
    name, kind, text, expected_form, expected_title
):
    from django.apps import apps

    migration = importlib.import_module("members.migrations.0006_representative_titles_data")
    org = OrganisationFactory(
        name=name,
        kind=kind,
        corporate_number=None if kind == "SOLE_PROPRIETOR" else make_corporate_number(),
        legal_form=None,
        representative_title=None,
        representative_title_text=text,
    )
    migration.forward(apps, None)
    org.refresh_from_db()
    assert (org.legal_form.code if org.legal_form else None) == expected_form
    assert (org.representative_title.title if org.representative_title else None) == expected_title
    assert org.representative_title_text == text  # the old text is never lost
    assert org.representative_needs_review == (expected_title is None)


def test_flagged_organisations_are_listed_for_staff(client):
    flagged = OrganisationFactory(
        name="株式会社要確認", representative_title=None, representative_title_text="工場長"
    )
    OrganisationFactory(name="株式会社確認済み")
    verified_login(client, staff_user(group="reviewer"))
    page = client.get(
        reverse("admin:members_organisation_changelist") + "?representative=review"
    ).content.decode()
    assert flagged.name in page and "株式会社確認済み" not in page and "工場長" in page
