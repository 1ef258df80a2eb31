"""Bulk verification on a date (§7: officers verify membership on a date): up to 1,000 法人番号 or member numbers
checked at once on the roster page and through POST /roster/api/v1/verify; bad rows reported per row, duplicates
once, renamed sites with their old and new names (R13/R14), lapsed-then-listed-again sites with their gap
(R11, R16), downloads as CSV and Excel, counted by rows against the rate limit."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members import services as members
from tests.factories import lapse, reinstate, withdraw
from tests.roster.factories import (
    CANARY_ADDRESS_LINE,
    CANARY_PHONE,
    CANARY_REPRESENTATIVE,
    listed,
)

pytestmark = pytest.mark.django_db

D = dt.date
API = "/roster/api/v1/verify"
PAGE = "/roster/verify/"
CN_A, CN_B, CN_UNKNOWN = "4011001098993", "2120901007402", "8700110005901"  # valid check digits (§8)


@pytest.fixture(autouse=True)
def _today(time_machine, settings):
    time_machine.move_to(dt.datetime(2027, 9, 1, 3, tzinfo=dt.UTC), tick=False)
    settings.JAIM_ROSTER_RATE_LIMIT = settings.JAIM_ROSTER_API_RATE_LIMIT = "1000/60"
    settings.JAIM_ROSTER_VERIFY_RATE_LIMIT = "100000/3600"


def check(client, identifiers, as_of=None):
    body = {"identifiers": identifiers}
    if as_of:
        body["as_of"] = as_of.isoformat()
    r = client.post(API, body, content_type="application/json")
    assert r.status_code == 200, r.content
    return r.json()


def by_line(body) -> dict[int, dict]:
    return {row["lines"][0]: row for row in body["results"]}


def test_listed_sites_by_corporate_number_and_member_number_on_a_date(client):
    a = listed(org_name="株式会社サンプル精工", est_name="本社工場", corporate_number=CN_A, on=D(2026, 4, 1))
    b = listed(org_name="株式会社東海プレス", est_name="岐阜工場", corporate_number=CN_B, on=D(2026, 5, 1))
    body = check(client, [CN_A, b.member_number, "2120-9010-07402"], D(2026, 6, 1))
    rows = by_line(body)
    assert body["as_of"] == "2026-06-01" and body["count"] == 3
    assert rows[1]["status"] == "listed" and rows[1]["kind"] == "corporate_number"
    site = rows[1]["sites"][0]
    assert site["member_number"] == a.member_number and site["listed"] is True
    assert site["names_on_date"] == {
        "organisation_name": "株式会社サンプル精工",
        "establishment_name": "本社工場",
    }
    assert site["periods"] == [{"listed_from": "2026-04-01", "delisted_on": None}]
    assert rows[2]["status"] == "listed" and rows[2]["kind"] == "member_number"
    assert rows[2]["identifier"] == b.member_number
    # 法人番号 written with hyphens: the same site as its member number, checked separately.
    assert rows[3]["identifier"] == CN_B and rows[3]["sites"][0]["member_number"] == b.member_number
    assert body["summary"]["listed"] == 3


def test_a_corporate_number_names_every_site_of_the_company(client):
    a = listed(org_name="株式会社サンプル精工", est_name="本社工場", corporate_number=CN_A, on=D(2026, 4, 1))
    b = listed(organisation=a.establishment.organisation, est_name="第二工場", on=D(2026, 4, 1))
    withdraw(b, on=D(2027, 1, 10))
    row = check(client, [CN_A])["results"][0]
    assert [(s["member_number"], s["listed"]) for s in row["sites"]] == [
        (a.member_number, True),
        (b.member_number, False),
    ]
    assert row["status"] == "listed"  # at least one site listed on the day


def test_bad_rows_are_reported_per_row_with_a_japanese_reason_never_a_500(client):
    listed(corporate_number=CN_A, on=D(2026, 4, 1))
    bad = ["4011001098994", "401100109899", "", "abc", "J12345678", "4.011E+12", "x" * 500, CN_A]
    body = check(client, bad)
    rows = by_line(body)
    assert [rows[n]["status"] for n in range(1, 9)] == ["invalid"] * 7 + ["listed"]
    assert "チェックデジット" in rows[1]["reason"]
    assert "桁数" in rows[2]["reason"] and "12桁" in rows[2]["reason"]
    assert "空欄" in rows[3]["reason"]
    assert "読み取れません" in rows[4]["reason"]
    assert "会員番号" in rows[5]["reason"]
    assert "指数表記" in rows[6]["reason"]
    assert len(rows[7]["input"]) == 100  # kept short
    assert all(rows[n]["sites"] == [] for n in range(1, 8))
    assert body["summary"]["invalid"] == 7


def test_duplicates_are_checked_once_with_a_note(client):
    m = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    number = int(m.member_number[1:])
    body = check(client, [CN_A, m.member_number, CN_A, str(number), f"Ｊ{number:07d}", "4011-0010-98993"])
    assert body["count"] == 6
    assert [(r["lines"], r["kind"]) for r in body["results"]] == [
        ([1, 3, 6], "corporate_number"),
        ([2, 4, 5], "member_number"),
    ]
    assert "3行目・6行目" in body["results"][0]["note"] and "1回だけ" in body["results"][0]["note"]


def test_renamed_site_shows_old_names_on_the_date_and_the_new_names_R13(client):
    m = listed(org_name="株式会社旧名工業", est_name="本社工場", corporate_number=CN_A, on=D(2026, 4, 1))
    change = members.record_identity_change(
        m.establishment,
        kind="NAME_CHANGE",
        new_organisation_name="株式会社新名工業",
        new_establishment_name="",
        accepted_on=D(2026, 7, 1),
    )
    members.complete_identity_change(change, effective_on=D(2026, 10, 1))
    before = check(client, [m.member_number], D(2026, 5, 1))["results"][0]
    assert before["status"] == "renamed" and before["status_label"] == "掲載あり（名称変更あり）"
    site = before["sites"][0]
    assert site["names_on_date"]["organisation_name"] == "株式会社旧名工業"
    assert site["latest_names"]["organisation_name"] == "株式会社新名工業"
    after = check(client, [m.member_number], D(2027, 1, 5))["results"][0]
    assert after["status"] == "listed" and after["sites"][0]["renamed"] is False


def test_lapsed_then_listed_again_is_not_listed_in_the_gap_with_both_periods_R16(client):
    m = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    lapse(m, on=D(2027, 6, 1))
    reinstate(m, on=D(2027, 7, 15))
    periods = [
        {"listed_from": "2026-04-01", "delisted_on": "2027-06-01"},
        {"listed_from": "2027-07-15", "delisted_on": None},
    ]
    gap = check(client, [CN_A], D(2027, 6, 1))["results"][0]
    assert gap["status"] == "not_listed" and gap["sites"][0]["periods"] == periods
    assert check(client, [CN_A], D(2027, 5, 31))["results"][0]["status"] == "listed"
    assert check(client, [CN_A], D(2027, 7, 15))["results"][0]["status"] == "listed"


def test_a_date_before_any_listing_is_not_listed_with_the_later_period_R9(client):
    m = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    row = check(client, [m.member_number], D(2026, 3, 31))["results"][0]
    assert row["status"] == "not_listed"
    assert row["sites"][0]["periods"] == [{"listed_from": "2026-04-01", "delisted_on": None}]


def test_a_valid_number_never_on_the_roster_is_never_listed(client):
    listed(corporate_number=CN_A, on=D(2026, 4, 1))
    body = check(client, [CN_UNKNOWN, "J9999999"])
    assert [(r["status"], r["sites"]) for r in body["results"]] == [
        ("never_listed", []),
        ("never_listed", []),
    ]


def test_over_1000_rows_are_refused_with_a_clear_message(client):
    r = client.post(API, {"identifiers": [CN_A] * 1001}, content_type="application/json")
    assert r.status_code == 400
    assert (
        r.json()["detail"]
        == "一度に確認できるのは1,000件までです（1,001件あります）。リストを分けて確認してください。"
    )
    assert (
        client.post(API, {"identifiers": [CN_A] * 1000}, content_type="application/json").status_code == 200
    )


def test_future_date_and_empty_list_are_refused(client):
    r = client.post(API, {"identifiers": [CN_A], "as_of": "2027-09-02"}, content_type="application/json")
    assert r.status_code == 400 and "未来の日付" in r.json()["errors"]["as_of"][0]
    r = client.post(API, {"identifiers": []}, content_type="application/json")
    assert r.status_code == 400


def test_the_answer_holds_no_personal_data(client):
    m = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    text = client.post(API, {"identifiers": [CN_A, m.member_number]}, content_type="application/json").content
    page = client.post(PAGE, {"numbers": f"{CN_A}\n{m.member_number}", "as_of": ""}).content
    for body in (text.decode(), page.decode()):
        for canary in (CANARY_REPRESENTATIVE, CANARY_PHONE, CANARY_ADDRESS_LINE, m.establishment.postal_code):
            assert canary not in body


def test_rows_count_against_the_rate_limit(client, settings):
    settings.JAIM_ROSTER_VERIFY_RATE_LIMIT = "100/3600"  # 100 rows an hour per client
    ok = client.post(
        API, {"identifiers": [CN_A] * 80}, content_type="application/json", REMOTE_ADDR="198.51.100.7"
    )
    assert ok.status_code == 200
    r = client.post(
        API, {"identifiers": [CN_A] * 40}, content_type="application/json", REMOTE_ADDR="198.51.100.7"
    )
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "上限" in r.json()["detail"]
    # a refused request is not counted (jaim.ratelimit: all or nothing): 80 used, 30 more do not fit either
    page = client.post(PAGE, {"numbers": "\n".join([CN_A] * 30)}, REMOTE_ADDR="198.51.100.7")
    assert page.status_code == 429 and "確認できる件数の上限" in page.content.decode()
    other = client.post(
        API, {"identifiers": [CN_A] * 40}, content_type="application/json", REMOTE_ADDR="198.51.100.8"
    )
    assert other.status_code == 200
    fits = client.post(
        API, {"identifiers": [CN_A] * 20}, content_type="application/json", REMOTE_ADDR="198.51.100.7"
    )
    assert fits.status_code == 200  # 80 + 20 = the limit exactly


def test_openapi_lists_the_verify_operation_with_its_schema(client):
    schema = client.get("/roster/api/v1/openapi.json").json()
    op = schema["paths"]["/roster/api/v1/verify"]["post"]
    assert {"200", "400", "429"} <= set(op["responses"])
    props = schema["components"]["schemas"]["VerifyRequest"]["properties"]
    assert {"as_of", "identifiers"} <= set(props)
    row = schema["components"]["schemas"]["VerifiedRow"]["properties"]
    assert {"lines", "status", "reason", "note", "sites"} <= set(row)


# --- the page -----------------------------------------------------------------------------------------------


def test_page_form_is_linked_from_the_roster_page(client):
    assert 'href="/roster/verify/"' in client.get("/roster/").content.decode()
    r = client.get(PAGE)
    assert r.status_code == 200 and 'name="numbers"' in r.content.decode()


def test_page_checks_a_pasted_list_on_a_date(client):
    m = listed(org_name="株式会社サンプル精工", est_name="本社工場", corporate_number=CN_A, on=D(2026, 4, 1))
    withdraw(m, on=D(2026, 10, 1))
    text = f"法人番号\n{CN_A}\t株式会社サンプル精工\n\n4011001098994\n{CN_A}\n"
    r = client.post(PAGE, {"numbers": text, "as_of": "2026-09-30"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "2026年9月30日 時点の確認結果" in html
    assert "名簿データ：2027年9月1日 12:00 時点" in html
    assert "株式会社サンプル精工" in html and "掲載あり" in html
    assert "チェックデジットが正しくありません" in html
    assert "5行目にも同じ番号があります" in html
    after = client.post(PAGE, {"numbers": CN_A, "as_of": "2026-10-01"}).content.decode()
    assert "掲載なし" in after and "2026年4月1日〜2026年9月30日" in after


def test_page_reports_errors_next_to_the_field_and_keeps_the_input(client):
    r = client.post(PAGE, {"numbers": "", "as_of": ""})
    assert "確認する法人番号・会員番号を入力するか" in r.content.decode()
    many = "\n".join([CN_A] * 1001)
    r = client.post(PAGE, {"numbers": many, "as_of": ""})
    html = r.content.decode()
    assert r.status_code == 200 and "一度に確認できるのは1,000件までです" in html
    assert CN_A in html  # the pasted list is still in the field
    r = client.post(PAGE, {"numbers": CN_A, "as_of": "2027-09-02"})
    assert "未来の日付は指定できません" in r.content.decode()


def test_page_reads_an_uploaded_csv_and_xlsx(client):
    from openpyxl import Workbook

    m = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    csv_file = SimpleUploadedFile("list.csv", f"法人番号,備考\r\n{CN_A},本社\r\n123,\r\n".encode("cp932"))
    html = client.post(PAGE, {"file": csv_file, "as_of": ""}).content.decode()
    assert f">{m.member_number}</a>" in html
    assert (
        "2件を確認しました：掲載あり 1件・掲載なし 0件・名簿に記載なし 1件" in html
    )  # the heading row skipped
    wb = Workbook()
    wb.active.append(["会員番号"])
    wb.active.append([int(CN_A)])  # a number cell, as Excel keeps a typed 法人番号
    wb.active.append([m.member_number])
    out = io.BytesIO()
    wb.save(out)
    xlsx = SimpleUploadedFile("list.xlsx", out.getvalue())
    html = client.post(PAGE, {"file": xlsx, "as_of": ""}).content.decode()
    assert html.count(f">{m.member_number}</a>") == 2


def test_page_refuses_a_file_that_is_not_a_table(client):
    pdf = SimpleUploadedFile("list.csv", b"%PDF-1.4\n%...")
    html = client.post(PAGE, {"file": pdf, "as_of": ""}).content.decode()
    assert "CSV（UTF-8 または Shift_JIS）または Excel（.xlsx）のファイルを指定してください" in html
    broken = SimpleUploadedFile("list.xlsx", b"PK\x03\x04broken")
    html = client.post(PAGE, {"file": broken, "as_of": ""}).content.decode()
    assert "Excel ファイルを読み込めません" in html


def test_csv_download_holds_the_results_and_neutralises_formulas(client):
    m = listed(org_name="株式会社サンプル精工", est_name="本社工場", corporate_number=CN_A, on=D(2026, 4, 1))
    page = client.post(
        PAGE, {"numbers": f'{CN_A}\n=HYPERLINK("http://x")\n{CN_UNKNOWN}', "as_of": "2026-06-01"}
    )
    signed = page.context["signed_rows"]
    r = client.post(PAGE, {"rows": signed, "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="jaim-roster-verify-20260601-' in r["Content-Disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["行", "入力値", "種別", "結果"] and header[-2:] == ["基準日", "データ取得日時"]
    first = dict(zip(header, rows[1], strict=True))
    assert first["結果"] == "掲載あり" and first["会員番号"] == m.member_number
    assert (
        first["法人名（基準日）"] == "株式会社サンプル精工"
        and first["掲載期間"] == "2026年4月1日〜（掲載中）"
    )
    assert first["基準日"] == "2026-06-01" and first["データ取得日時"] == "2027年9月1日 12:00"
    assert first["確認用URL"].endswith(f"/roster/e/{m.roster_entry.token}/")
    bad = dict(zip(header, rows[2], strict=True))
    assert bad["入力値"].startswith("'=") and bad["結果"] == "番号の誤り"
    assert dict(zip(header, rows[3], strict=True))["結果"] == "名簿に記載なし"
    assert len(rows) == 4


def test_xlsx_download_keeps_text_and_a_tampered_list_is_refused(client):
    from openpyxl import load_workbook

    listed(corporate_number=CN_A, on=D(2026, 4, 1))
    page = client.post(PAGE, {"numbers": f"{CN_A}\n=1+1", "as_of": ""})
    r = client.post(PAGE, {"rows": page.context["signed_rows"], "format": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert "2027年9月1日" in values[1][0]
    assert values[4][5] == CN_A  # the 法人番号 as text, all 13 digits
    assert values[5][1] == "=1+1" and ws.cell(6, 2).data_type == "s"  # text, never a formula
    r = client.post(PAGE, {"rows": page.context["signed_rows"] + "x", "format": "csv"})
    assert r.status_code == 200 and "有効期限が切れました" in r.content.decode()


def test_hostile_rows_never_answer_500_and_are_shown_as_text(client):
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings

    from tests.security.test_hostile_input import SCRIPT, hostile

    listed(corporate_number=CN_A, on=D(2026, 4, 1))

    @hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value=hostile.filter(lambda v: len(v) < 10_000))
    def run(value):
        r = client.post(
            API, {"identifiers": [value, CN_A], "as_of": value[:20]}, content_type="application/json"
        )
        assert r.status_code < 500
        r = client.post(API, {"identifiers": [value, CN_A]}, content_type="application/json")
        assert r.status_code == 200 and r.json()["results"][-1]["status"] in ("listed", "invalid")
        for data in (
            {"numbers": f"{value}\n{CN_A}", "as_of": ""},
            {"numbers": CN_A, "as_of": value},
            {"rows": value},
        ):
            r = client.post(PAGE, data)
            assert r.status_code < 500
            assert SCRIPT not in r.content.decode("utf-8", "replace")

    run()


def test_a_thousand_rows_take_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    from jaim.validators import corporate_number_check_digit
    from roster import verify

    a = listed(corporate_number=CN_A, on=D(2026, 4, 1))
    b = listed(corporate_number=CN_B, on=D(2026, 4, 1))
    withdraw(b, on=D(2027, 1, 10))
    numbers = [f"{corporate_number_check_digit(f'{n:012d}')}{n:012d}" for n in range(1, 997)]
    rows = verify.rows_from_values([*numbers, CN_A, CN_B, a.member_number, "J9999999"])
    with django_assert_max_num_queries(4):
        result = verify.verify(rows, D(2027, 2, 1))
    assert result.counts() == {"listed": 2, "renamed": 0, "not_listed": 1, "never_listed": 997, "invalid": 0}


@pytest.mark.clamav
def test_an_infected_list_is_refused_and_recorded_by_the_upload_checks(client, virus_scanner):
    from jaim.models import VirusDetection
    from tests import clamd

    infected = SimpleUploadedFile("list.csv", CN_A.encode() + b"\r\n" + clamd.EICAR)
    html = client.post(PAGE, {"file": infected, "as_of": ""}).content.decode()
    assert "ウイルスが検出された" in html and "verify-result" not in html
    detection = VirusDetection.objects.get()
    assert (detection.file_name, detection.where) == ("list.csv", "roster.verify")


def test_a_list_over_the_upload_size_limit_is_refused(client, settings):
    settings.JAIM_UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("list.csv", (CN_A + "\r\n").encode() * 10)
    html = client.post(PAGE, {"file": big, "as_of": ""}).content.decode()
    assert "ファイルが大きすぎます" in html and "verify-result" not in html
