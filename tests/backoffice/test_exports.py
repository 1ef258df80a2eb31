"""Any admin list as CSV (UTF-8 with BOM) or Excel, filtered as on screen; large lists in the background."""

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse
from openpyxl import load_workbook

from backoffice.models import ExportJob
from jaim.models import AuditEvent
from members.models import Organisation
from tests.factories import OrganisationFactory, UserFactory
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


def export_url(model, fmt, query=""):
    opts = model._meta
    return reverse("backoffice:export", args=[opts.app_label, opts.model_name, fmt]) + (
        f"?{query}" if query else ""
    )


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def orgs(db):
    return [
        OrganisationFactory(name="株式会社アルファ製作所", name_kana="アルファセイサクショ"),
        OrganisationFactory(name="株式会社ベータ工業", name_kana="ベータコウギョウ"),
        OrganisationFactory(
            name="協同組合ガンマ支援", name_kana="ガンマシエン", is_support_organisation=True
        ),
    ]


def test_csv_is_utf8_with_bom_and_has_the_list_columns(admin_client, orgs):
    r = admin_client.get(export_url(Organisation, "csv"))
    assert r.status_code == 200
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert r["Content-Type"].startswith("text/csv") and "attachment" in r["Content-Disposition"]
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    rows = csv_rows(r)
    model_admin = admin.site._registry[Organisation]
    assert rows[0][0] == "ID" and len(rows[0]) == 1 + len(model_admin.list_display)
    assert {row[0] for row in rows[1:]} == {str(o.pk) for o in orgs}


def test_search_and_filters_shown_on_screen_are_respected(admin_client, orgs):
    rows = csv_rows(admin_client.get(export_url(Organisation, "csv", "q=ベータ")))
    assert [r[0] for r in rows[1:]] == [str(orgs[1].pk)]
    model_admin = admin.site._registry[Organisation]
    if "is_support_organisation" in model_admin.list_filter:
        rows = csv_rows(admin_client.get(export_url(Organisation, "csv", "is_support_organisation__exact=1")))
        assert [r[0] for r in rows[1:]] == [str(orgs[2].pk)]


def test_export_links_on_the_list_carry_the_current_filters(admin_client, orgs):
    page = admin_client.get(
        reverse("admin:members_organisation_changelist") + "?q=ベータ&p=0"
    ).content.decode()
    assert "CSV出力" in page and "Excel出力" in page
    assert export_url(Organisation, "csv", "q=%E3%83%99%E3%83%BC%E3%82%BF") in page


def test_excel_file_is_readable_and_filtered(admin_client, orgs):
    r = admin_client.get(export_url(Organisation, "xlsx", "q=株式会社"))
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(r.content)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "ID"
    assert sorted(v[0] for v in values[1:]) == sorted([orgs[0].pk, orgs[1].pk])  # ids stay numbers


def test_cells_that_would_run_as_formulas_are_defused(admin_client):
    org = OrganisationFactory(name='=HYPERLINK("http://evil")', name_kana="イービル")
    rows = csv_rows(admin_client.get(export_url(Organisation, "csv")))
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    ws = load_workbook(io.BytesIO(admin_client.get(export_url(Organisation, "xlsx")).content)).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    # xlsx: the name as it is, in a string cell with Excel's quote prefix — text, never a formula
    assert cells and all(c.data_type == "s" and c.quotePrefix and c.value == org.name for c in cells)
    assert org.pk


def test_choices_and_booleans_are_exported_as_people_read_them(admin_client, orgs):
    from members.admin import OrganisationAdmin  # noqa: F401 - registered

    rows = csv_rows(admin_client.get(export_url(Organisation, "csv")))
    text = "\n".join(",".join(r) for r in rows)
    assert "CORPORATION" not in text  # the choice's label, not its stored value


def test_large_lists_are_written_in_the_background_and_downloaded_when_ready(
    admin_client, orgs, settings, django_capture_on_commit_callbacks
):
    settings.BACKOFFICE_EXPORT_SYNC_LIMIT = 1
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.get(export_url(Organisation, "csv", "q=株式会社"))
    assert r.status_code == 302 and r["Location"] == reverse("backoffice:exports")
    job = ExportJob.objects.get(direct=False)
    assert job.status == ExportJob.Status.DONE  # the task ran (eagerly in tests) after commit
    assert job.row_count == 2 and job.query == "q=%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE"
    page = admin_client.get(reverse("backoffice:exports")).content.decode()
    assert reverse("backoffice:export_download", args=[job.pk]) in page
    download = admin_client.get(reverse("backoffice:export_download", args=[job.pk]))
    body = b"".join(download.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "attachment" in download["Content-Disposition"]
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 3


def test_someone_else_cannot_download_my_export(
    admin_client, orgs, settings, django_capture_on_commit_callbacks
):
    settings.BACKOFFICE_EXPORT_SYNC_LIMIT = 0
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.get(export_url(Organisation, "csv"))
    job = ExportJob.objects.get()
    other = staff_user(group="administrator")
    from django.test import Client

    c = Client()
    verified_login(c, other)
    assert c.get(reverse("backoffice:export_download", args=[job.pk])).status_code == 404


def test_every_export_is_recorded_and_audited(admin_client, orgs):
    admin_client.get(export_url(Organisation, "csv", "q=ベータ"))
    job = ExportJob.objects.get()
    assert job.direct and job.row_count == 1 and job.requested_by == admin_client.user
    assert AuditEvent.objects.filter(action="exported", object_id=str(job.pk)).exists()


def test_staff_without_view_permission_cannot_export(client, orgs):
    user = staff_user(group="reviewer")
    verified_login(client, user)

    user.user_permissions.clear()
    user.groups.clear()
    assert client.get(export_url(Organisation, "csv")).status_code == 403


def test_non_staff_and_unverified_staff_are_sent_to_log_in(client, orgs):
    client.force_login(UserFactory())
    r = client.get(export_url(Organisation, "csv"))
    assert r.status_code == 302 and "login" in r["Location"]


def test_a_bad_filter_redirects_back_with_a_message(admin_client, orgs):
    r = admin_client.get(export_url(Organisation, "csv", "nonexistent__field=1"))
    assert r.status_code == 302 and r["Location"].endswith(reverse("admin:members_organisation_changelist"))


def test_every_admin_list_has_the_export_buttons_and_exports(client, django_capture_on_commit_callbacks):
    """Installed generically on the admin site's registry: no app's admin.py lists them."""
    verified_login(client, staff_user(is_superuser=True))
    admin_client = client
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        page = admin_client.get(url, follow=True)  # some lists open on a default filter (a redirect)
        assert page.status_code == 200, url
        assert export_url(model, "csv") in page.content.decode(), url
        with django_capture_on_commit_callbacks(execute=True):
            r = admin_client.get(export_url(model, "csv"))
        if r.status_code == 302:  # a long list (e.g. the JSIC table): written in the background
            job = ExportJob.objects.latest("pk")
            assert (job.model_name, job.status) == (opts.model_name, ExportJob.Status.DONE), url
        else:
            assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf"), url


def test_old_export_files_are_purged_but_the_record_stays(
    admin_client, orgs, settings, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from backoffice import services

    settings.BACKOFFICE_EXPORT_SYNC_LIMIT = 0
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.get(export_url(Organisation, "xlsx"))
    job = ExportJob.objects.get()
    assert default_storage.exists(job.file)
    assert services.purge_exports(now=timezone.now() + dt.timedelta(days=8)) == 1
    assert not default_storage.exists(job.file)
    job.refresh_from_db()
    assert job.file == "" and job.status == ExportJob.Status.DONE
