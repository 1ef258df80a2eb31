"""Exports of the whole roster as of today: CSV (UTF-8 with BOM), Excel, PDF — made by the job into storage,
served from there, the page saying when they were made. (The PDF's pages read back word by word:
tests/roster/test_roster_pdf.py.)"""

import csv
import datetime as dt
import io
import subprocess

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from jaim.models import JobRun
from members import services as members
from roster import exports, services
from roster.models import RosterExport
from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))  # 12:00 in Tokyo


@pytest.fixture
def roster():
    a = listed(
        org_name="株式会社サンプル精工",
        est_name="本社工場",
        corporate_number="4011001098993",
        on=D(2026, 4, 1),
    )
    b = listed(
        org_name="有限会社ほかの印刷",
        est_name="東京工場",
        prefecture="13",
        city="千代田区",
        codes=("15",),
        on=D(2026, 5, 1),
    )
    gone = listed(org_name="株式会社退会済み", on=D(2026, 4, 1))
    withdraw(gone, on=D(2026, 10, 1))
    members.record_identity_change(
        b.establishment,
        kind="NAME_CHANGE",
        new_organisation_name="株式会社ほかの印刷ホールディングス",
        new_establishment_name="",
        accepted_on=D(2026, 10, 15),
    )
    return a, b, gone


def read(export) -> bytes:
    with default_storage.open(export.file_name, "rb") as f:
        return f.read()


def test_job_writes_csv_xlsx_and_pdf_of_todays_roster_into_storage(roster):
    a, b, gone = roster
    made = services.build_exports()
    assert sorted(e.format for e in made) == ["csv", "pdf", "xlsx"]
    assert all(e.as_of == D(2026, 11, 2) and e.entry_count == 2 for e in made)
    assert all(default_storage.exists(e.file_name) for e in made)
    run = JobRun.objects.get(job="roster.build_exports")
    assert run.succeeded and run.counts == {"csv": 2, "xlsx": 2, "pdf": 2}


def test_csv_is_utf8_with_bom_and_lists_todays_entries_with_the_issue_date(roster):
    a, b, gone = roster
    services.build_exports()
    raw = read(RosterExport.objects.get(format="csv"))
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["基準日", "会員番号", "法人番号", "法人名", "事業所名"]
    assert [r[1] for r in body] == [a.member_number, b.member_number]  # the withdrawn one is not there
    first = dict(zip(header, body[0], strict=True))
    assert first["基準日"] == "2026-11-02" and first["法人名"] == "株式会社サンプル精工"
    assert (
        first["法人番号"] == "4011001098993"
        and first["都道府県"] == "愛知県"
        and first["掲載開始日"] == "2026-04-01"
    )
    assert first["確認用URL"].endswith(f"/roster/e/{a.roster_entry.token}/")
    second = dict(zip(header, body[1], strict=True))
    assert (
        second["変更手続中"] == "合併・会社分割"
        and second["新法人名"] == "株式会社ほかの印刷ホールディングス"
    )


def test_xlsx_opens_with_openpyxl_and_states_its_date(roster):
    a, b, gone = roster
    services.build_exports()
    with default_storage.open(RosterExport.objects.get(format="xlsx").file_name, "rb") as f:
        wb = openpyxl.load_workbook(f)
    ws = wb["会員名簿"]
    assert ws["A1"].value == "JAIM 賛助会員名簿"
    assert "2026年11月2日時点" in ws["A2"].value
    assert ws["B4"].value == "会員番号"
    assert [ws.cell(row=r, column=2).value for r in (5, 6)] == [a.member_number, b.member_number]
    assert ws.max_row == 6


def test_pdf_export_lists_the_entries_and_its_date(roster):
    a, b, gone = roster
    services.build_exports()
    raw = read(RosterExport.objects.get(format="pdf"))
    assert raw.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()
    assert "2026年11月2日時点" in text and a.member_number in text and "株式会社サンプル精工" in text
    assert gone.member_number not in text


def test_job_is_idempotent_and_rebuilds_only_when_the_roster_changed(roster, time_machine):
    assert len(services.build_exports()) == 3
    assert services.build_exports() == []  # nothing changed: nothing to do
    time_machine.shift(dt.timedelta(minutes=5))
    listed(org_name="株式会社あたらしい", on=D(2026, 11, 2))
    assert len(services.build_exports()) == 2  # CSV and Excel at once; the PDF waits (minimum age)
    assert RosterExport.objects.filter(format="csv").latest("created_at").entry_count == 3


def test_a_failed_format_keeps_its_previous_file_and_the_others_are_still_made(roster, monkeypatch):
    services.build_exports()
    old_pdf = RosterExport.objects.get(format="pdf")
    monkeypatch.setattr(exports, "write_pdf", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        services.build_exports(force=True)
    assert RosterExport.objects.filter(format="pdf").get() == old_pdf
    assert default_storage.exists(old_pdf.file_name)
    assert RosterExport.objects.filter(format="csv").count() == 2
    failed = JobRun.objects.filter(job="roster.build_exports").exclude(error="").get()
    assert "pdf" in failed.error and failed.counts == {"csv": 2, "xlsx": 2}


def test_pdf_follows_changes_at_most_every_six_hours_csv_and_excel_at_once(roster, time_machine):
    services.build_exports()
    time_machine.shift(dt.timedelta(hours=1))
    listed(org_name="株式会社あたらしい", on=D(2026, 11, 2))
    assert sorted(e.format for e in services.build_exports()) == ["csv", "xlsx"]
    time_machine.shift(dt.timedelta(hours=5, minutes=1))
    assert [e.format for e in services.build_exports()] == ["pdf"]
    assert services.build_exports() == []


def test_download_serves_the_stored_file_never_rendering_it(client, roster, monkeypatch):
    services.build_exports()
    for name in ("write_csv", "write_xlsx", "write_pdf"):
        monkeypatch.setattr(exports, name, lambda *a, **k: pytest.fail("rendered per request"))
    r = client.get("/roster/download/csv/")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="jaim-roster-20261102.csv"' in r["Content-Disposition"]
    assert b"".join(r.streaming_content).startswith(b"\xef\xbb\xbf")
    assert client.get("/roster/download/xlsx/")["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/roster/download/pdf/")["Content-Type"] == "application/pdf"
    assert client.get("/roster/download/exe/").status_code == 404


def test_page_says_when_the_exports_were_made(client, roster):
    assert "名簿データは準備中です" in client.get("/roster/").content.decode()
    services.build_exports()
    page = client.get("/roster/").content.decode()
    assert page.count("2026年11月2日時点・2件（2026年11月2日12:00 作成）") == 3


def test_management_command_and_task_build_the_exports(roster):
    call_command("build_roster_exports")
    assert RosterExport.objects.count() == 3
    from roster.tasks import build_roster_exports

    assert build_roster_exports.delay().get() == 0  # up to date
    call_command("build_roster_exports", "--force")
    assert RosterExport.objects.count() == 6
    call_command("build_roster_exports", "--force", "--format", "csv")
    assert RosterExport.objects.count() == 7


def test_old_export_files_are_pruned(roster):
    for _ in range(exports.KEEP_PER_FORMAT + 2):
        services.build_exports(force=True)
    assert RosterExport.objects.filter(format="csv").count() == exports.KEEP_PER_FORMAT


def test_a_relocating_site_shows_its_new_location_and_every_classification_in_the_csv(roster):
    """R14: until the move is confirmed the roster shows old and new side by side; the CSV says so in its own
    columns (the new prefecture by name), and lists each JSIC code with its name."""
    a, _b, _gone = roster
    members.record_identity_change(
        a.establishment,
        kind="RELOCATION",
        new_organisation_name="株式会社サンプル精工",
        new_establishment_name="新本社工場",
        new_postal_code="4500002",
        new_prefecture="23",
        new_city="名古屋市中村区",
        new_address_line="名駅1-1",
        accepted_on=D(2026, 10, 20),
    )
    services.build_exports()
    rows = list(csv.reader(io.StringIO(read(RosterExport.objects.get(format="csv")).decode("utf-8-sig"))))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["会員番号"] == a.member_number
    assert (first["変更手続中"], first["新所在地"]) == ("移転", "愛知県名古屋市中村区")
    assert first["新事業所名"] == "新本社工場"
    codes = [part.split(" ", 1) for part in first["産業分類"].split(" / ")]
    assert codes and all(code and name for code, name in codes)
