"""The read-only JSON API: same searches as the page, the as-of check, an OpenAPI description."""

import datetime as dt

import pytest

from members import services as members
from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date
API = "/roster/api/v1"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


def test_openapi_description_is_served_and_lists_the_read_only_operations(client):
    r = client.get(f"{API}/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/roster/api/v1/entries",
        "/roster/api/v1/entries/{token}",
        "/roster/api/v1/verify",
    }
    # Read-only: searches are GET; the bulk check is a POST only to carry its list, and writes nothing.
    methods = {path: set(ops) for path, ops in schema["paths"].items()}
    assert methods.pop("/roster/api/v1/verify") == {"post"}
    assert all(ops == {"get"} for ops in methods.values())
    params = {p["name"] for p in schema["paths"]["/roster/api/v1/entries"]["get"]["parameters"]}
    assert {"q", "name", "corporate_number", "member_number", "prefecture", "jsic", "as_of", "page"} <= params
    entry = schema["components"]["schemas"]["Entry"]["properties"]
    assert {
        "member_number",
        "organisation_name",
        "establishment_name",
        "pending_change",
        "listed_since",
    } <= set(entry)
    assert client.get(f"{API}/docs").status_code == 200


def test_api_search_by_name_normalised(client):
    m = listed(org_name="株式会社サンプル精工", est_name="本社工場", codes=("2592",))
    body = client.get(f"{API}/entries", {"name": "ｻﾝﾌﾟﾙ"}).json()
    assert body["count"] == 1 and body["as_of"] == "2026-11-02"
    hit = body["results"][0]
    assert hit["member_number"] == m.member_number
    assert hit["organisation_name"] == "株式会社サンプル精工"
    assert hit["classifications"] == [{"code": "2592", "name": hit["classifications"][0]["name"]}]
    assert hit["url"].endswith(f"/roster/e/{m.roster_entry.token}/")
    assert hit["pending_change"] is None


def test_api_search_by_corporate_number_member_number_and_filters(client):
    m = listed(
        org_name="株式会社サンプル精工", corporate_number="4011001098993", prefecture="23", codes=("2592",)
    )
    listed(org_name="株式会社その他", prefecture="13", codes=("2464",))
    assert [
        e["member_number"]
        for e in client.get(f"{API}/entries", {"corporate_number": "4011001098993"}).json()["results"]
    ] == [m.member_number]
    assert [
        e["member_number"]
        for e in client.get(f"{API}/entries", {"member_number": m.member_number}).json()["results"]
    ] == [m.member_number]
    assert [
        e["member_number"]
        for e in client.get(f"{API}/entries", {"prefecture": "23", "jsic": "25"}).json()["results"]
    ] == [m.member_number]


def test_api_as_of_search_and_entry_check(client):
    m = listed(org_name="株式会社退会済み", on=D(2026, 4, 1))
    withdraw(m, on=D(2026, 10, 1))
    assert client.get(f"{API}/entries", {"name": "退会済み"}).json()["count"] == 0
    assert client.get(f"{API}/entries", {"name": "退会済み", "as_of": "2026-09-30"}).json()["count"] == 1
    token = m.roster_entry.token
    now = client.get(f"{API}/entries/{token}").json()
    then = client.get(f"{API}/entries/{token}", {"as_of": "2026-09-30"}).json()
    assert (now["listed"], then["listed"]) == (False, True)
    assert then["periods"] == [{"listed_from": "2026-04-01", "delisted_on": "2026-10-01"}]
    assert client.get(f"{API}/entries/{token}", {"as_of": "2026-10-01"}).json()["listed"] is False


def test_api_pending_change_is_reported_with_old_and_new_names(client):
    m = listed(org_name="株式会社旧名", est_name="岐阜工場", prefecture="21", city="岐阜市")
    members.record_identity_change(
        m.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="各務原新工場",
        accepted_on=D(2026, 10, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line="1-1",
    )
    hit = client.get(f"{API}/entries", {"q": "各務原"}).json()["results"][0]
    assert hit["establishment_name"] == "岐阜工場"
    assert hit["pending_change"] == {
        "kind": "RELOCATION",
        "new_organisation_name": "株式会社旧名",
        "new_establishment_name": "各務原新工場",
        "new_prefecture_code": "21",
        "new_prefecture": "岐阜県",
        "new_city": "各務原市",
    }


def test_api_rejects_bad_queries_with_japanese_messages(client):
    r = client.get(f"{API}/entries", {"name": "株式会社"})
    assert r.status_code == 400 and "2文字以上" in str(r.json()["errors"]["name"])
    r = client.get(f"{API}/entries")
    assert r.status_code == 400 and r.json()["detail"] == "検索条件を指定してください。"
    r = client.get(f"{API}/entries", {"q": "テスト", "as_of": "2026-11-03"})
    assert r.status_code == 400 and "未来の日付" in str(r.json()["errors"])
    assert client.get(f"{API}/entries/does-not-exist").status_code == 404


def test_api_is_read_only(client):
    assert client.post(f"{API}/entries", {}).status_code == 405
