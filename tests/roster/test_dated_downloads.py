"""Downloads for a date (§7: officers verify membership on a date): the roster file for ?as_of= is the roster on
that date, built on demand and kept per date until the roster changes; the file and its name state the moment
the data was taken, and the page links to the date's files."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from roster import downloads
from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 2, 4, tzinfo=dt.UTC), tick=False)  # 13:00 in Tokyo


@pytest.fixture
def roster():
    stays = listed(org_name="株式会社サンプル精工", est_name="本社工場", on=D(2026, 4, 1))
    gone = listed(org_name="株式会社退会済み", est_name="旧工場", on=D(2026, 5, 1))
    withdraw(gone, on=D(2026, 10, 1))
    return stays, gone


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_members(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    column = rows[0].index("会員番号")
    return [row[column] for row in rows[1:]]


def test_a_withdrawn_site_is_in_the_download_for_a_date_inside_its_listing_and_not_after_R11(client, roster):
    stays, gone = roster
    inside = client.get("/roster/download/csv/", {"as_of": "2026-09-30"})
    assert inside.status_code == 200
    assert csv_members(inside) == sorted([stays.member_number, gone.member_number])
    after = client.get("/roster/download/csv/", {"as_of": "2026-10-01"})
    assert csv_members(after) == [stays.member_number]
    before = client.get("/roster/download/csv/", {"as_of": "2026-04-30"})
    assert csv_members(before) == [stays.member_number]


def test_the_file_and_its_name_state_the_date_and_the_moment_the_data_was_taken(client, roster):
    r = client.get("/roster/download/xlsx/", {"as_of": "2026-09-30"})
    assert r.status_code == 200
    assert 'filename="jaim-roster-20260930-20261202-1300.xlsx"' in r["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(body(r))).active
    assert ws["A2"].value == "2026年9月30日時点（作成日時 2026-12-02 13:00）"
    names = [row[3] for row in ws.iter_rows(min_row=5, values_only=True)]
    assert names == ["株式会社サンプル精工", "株式会社退会済み"]
    csv_response = client.get("/roster/download/csv/", {"as_of": "2026-09-30"})
    assert "jaim-roster-20260930-20261202-1300.csv" in csv_response["Content-Disposition"]


def test_the_file_is_kept_per_date_until_the_roster_changes(client, roster, time_machine):
    stays, _gone = roster
    first = downloads.file_for_date(D(2026, 9, 30), "csv")
    time_machine.shift(dt.timedelta(minutes=5))
    assert downloads.file_for_date(D(2026, 9, 30), "csv").name == first.name  # served from storage
    assert downloads.file_for_date(D(2026, 8, 1), "csv").name != first.name  # another date, another file
    withdraw(stays, on=D(2026, 12, 2))  # a change: the past day's file is made again, with the new moment
    again = downloads.file_for_date(D(2026, 9, 30), "csv")
    assert again.name != first.name and again.made_at > first.made_at


def test_a_past_pdf_is_built_on_demand_and_refused_kindly_when_too_long(client, roster, monkeypatch):
    r = client.get("/roster/download/pdf/", {"as_of": "2026-09-30"})
    assert r.status_code == 200 and body(r).startswith(b"%PDF-")
    monkeypatch.setattr(downloads, "PDF_MAX_LINES", 1)
    r = client.get("/roster/download/pdf/", {"as_of": "2026-09-29"})
    assert r.status_code == 404 and "CSVまたはExcelでダウンロードしてください" in r.content.decode()


def test_an_invalid_or_future_date_is_a_404(client, roster):
    assert client.get("/roster/download/csv/", {"as_of": "2026-12-03"}).status_code == 404
    assert client.get("/roster/download/csv/", {"as_of": "yesterday"}).status_code == 404


def test_the_page_for_a_past_date_links_to_that_dates_files(client, roster):
    html = client.get("/roster/", {"as_of": "2026-09-30"}).content.decode()
    assert "2026年9月30日時点の名簿をダウンロード" in html
    assert 'href="/roster/download/csv/?as_of=2026-09-30"' in html
    assert "dated-downloads" not in client.get("/roster/", {"q": "サンプル"}).content.decode()
