"""Read-only JSON API of the public roster (django-ninja): the page's searches and the as-of check.
OpenAPI description at /roster/api/v1/openapi.json, interactive docs at /roster/api/v1/docs.

Same validation (roster.forms) and queries (roster.selectors) as the page; limited per client by jaim.ratelimit
(429 with Retry-After, declared on every operation of the OpenAPI document).
Never personal data: the schemas below are the whole output."""

import datetime as dt

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Schema, Status
from ninja.errors import HttpError

from jaim.dates import today
from jaim.errors import DomainError
from jaim.ratelimit import Limit, RateLimitedAPI
from jaim.validators import PREFECTURE_NAMES
from roster import selectors, services, verify
from roster.forms import MAX_PAGES, PAGE_SIZE, RosterSearchForm

MAX_RESULTS = MAX_PAGES * PAGE_SIZE

api = RateLimitedAPI(
    title="JAIM 賛助会員名簿 API",
    version="1.0.0",
    description=(
        "JAIM（一般社団法人工業製品製造技能人材機構）の賛助会員名簿を検索・確認するための読み取り専用APIです。"
        "基準日（as_of）を指定すると、その日に名簿に掲載されていたかを確認できます。"
        "個人情報は含みません。クライアントごとに回数制限があり、超えると429（Retry-After付き）を返します。"
    ),
    urls_namespace="roster:roster_api",  # included under the roster app namespace
    limit=Limit("api", "JAIM_ROSTER_API_RATE_LIMIT"),
)


class Classification(Schema):
    code: str
    name: str


class PendingChange(Schema):
    kind: str  # NAME_CHANGE (R13 merger/split) or RELOCATION (R14)
    new_organisation_name: str
    new_establishment_name: str
    new_prefecture_code: str
    new_prefecture: str
    new_city: str


class Entry(Schema):
    token: str
    url: str
    member_number: str
    corporate_number: str
    organisation_name: str
    establishment_name: str
    prefecture_code: str
    prefecture: str
    city: str
    classifications: list[Classification]
    listed_since: dt.date
    pending_change: PendingChange | None


class SearchResult(Schema):
    as_of: dt.date
    count: int  # at most 1,000 …
    count_capped: bool  # … and true when there are more: narrow the search or use the exports
    page: int
    num_pages: int
    page_size: int
    results: list[Entry]


class Period(Schema):
    listed_from: dt.date
    delisted_on: dt.date | None


class EntryCheck(Schema):
    as_of: dt.date
    listed: bool
    entry: Entry
    periods: list[Period]


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class SearchParams(Schema):
    q: str = ""
    name: str = ""
    corporate_number: str = ""
    member_number: str = ""
    prefecture: str = ""
    jsic: str = ""
    as_of: dt.date | None = None
    page: int = 1
    page_size: int = 20


def entry_out(line) -> dict:
    pending = None
    if line.change_kind:
        pending = {
            "kind": line.change_kind,
            "new_organisation_name": line.new_organisation_name,
            "new_establishment_name": line.new_establishment_name,
            "new_prefecture_code": line.new_prefecture,
            "new_prefecture": line.get_new_prefecture_display() if line.new_prefecture else "",
            "new_city": line.new_city,
        }
    return {
        "token": line.token,
        "url": selectors.entry_url(line.token),
        "member_number": line.member_number,
        "corporate_number": line.corporate_number,
        "organisation_name": line.organisation_name,
        "establishment_name": line.establishment_name,
        "prefecture_code": line.prefecture,
        "prefecture": line.get_prefecture_display(),
        "city": line.city,
        "classifications": [{"code": c, "name": n} for c, n in line.jsic],
        "listed_since": line.listed_since,
        "pending_change": pending,
    }


def _errors(form) -> dict:
    return {field: [str(e) for e in errs] for field, errs in form.errors.items()}


@api.get(
    "/entries",
    response={200: SearchResult, 400: Error},
    summary="名簿を検索する",
    tags=["名簿"],
    description=(
        "q（名称・13桁の法人番号・会員番号を自動判別）、name（名称の部分一致。正規化して比較）、"
        "corporate_number（完全一致）、member_number（完全一致）、prefecture（都道府県コード01〜47）、"
        "jsic（産業分類コード。中分類・小分類は配下の細分類にも一致）で検索します。"
        "as_of を指定するとその日の名簿を検索します（省略時は本日）。"
    ),
)
def search_entries(request, params: Query[SearchParams]):
    # A repeated search is served from the cache under the roster's version (see roster.selectors).
    answer = selectors.cached_answer("api", request.GET)
    if answer.value is not None:
        return HttpResponse(answer.value, content_type="application/json; charset=utf-8")
    result = _search(params)
    if result.status_code != 200:
        return result
    body = SearchResult.model_validate(result.value).model_dump_json()
    selectors.store_answer(answer, body)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _search(params: SearchParams) -> Status:
    data = params.dict()
    data["as_of"] = data["as_of"].isoformat() if data["as_of"] else ""
    form = RosterSearchForm(data)
    if not form.is_valid():
        return Status(400, {"detail": _("検索条件が正しくありません。"), "errors": _errors(form)})
    query = form.query()
    if not query.has_criteria:
        return Status(400, {"detail": _("検索条件を指定してください。"), "errors": {}})
    page_size = max(1, min(params.page_size, 50))
    page = selectors.ResultPage(query, params.page, per_page=page_size, cap=MAX_RESULTS)
    return Status(
        200,
        {
            "as_of": query.as_of,
            "count": page.shown_count,
            "count_capped": page.capped,
            "page": page.number,
            "num_pages": page.num_pages,
            "page_size": page_size,
            "results": [entry_out(line) for line in page.object_list],
        },
    )


@api.get(
    "/entries/{token}",
    response={200: EntryCheck, 400: Error, 404: Error},
    summary="掲載を確認する",
    tags=["名簿"],
    description="会員確認書のQRコード等に記載されたトークンで、基準日（省略時は本日）に掲載されていたかを返します。",
)
def check_entry(request, token: str, as_of: dt.date | None = None):
    if as_of and as_of > today():
        message = _("未来の日付は指定できません。")
        return Status(400, {"detail": message, "errors": {"as_of": [message]}})
    try:
        entry = selectors.entry_by_token(token)
    except Http404:
        return Status(404, {"detail": _("名簿にありません。"), "errors": {}})
    state = services.entry_state(entry, as_of or today())
    if state.line is None:
        raise HttpError(404, _("名簿にありません。"))
    return Status(
        200,
        {
            "as_of": state.on,
            "listed": state.listed,
            "entry": entry_out(state.line),
            "periods": [{"listed_from": p.listed_from, "delisted_on": p.delisted_on} for p in state.periods],
        },
    )


# --- bulk verification on a date ---------------------------------------------------------------------------


class VerifyRequest(Schema):
    as_of: dt.date | None = None
    identifiers: list[str]  # 13-digit 法人番号 or member numbers (J0000123), at most 1,000


class Names(Schema):
    organisation_name: str
    establishment_name: str


class VerifiedSite(Schema):
    member_number: str
    corporate_number: str
    url: str
    listed: bool  # on as_of
    renamed: bool  # the names on as_of differ from the latest names (merger, split, relocation)
    names_on_date: Names  # on as_of, or the nearest day the site was listed
    latest_names: Names
    prefecture_code: str
    prefecture: str
    city: str
    periods: list[Period]  # [listed_from, delisted_on): delisted_on is the first day no longer listed


class VerifiedRow(Schema):
    lines: list[int]  # positions in `identifiers` (from 1); more than one: the same identifier repeated
    input: str
    kind: str  # corporate_number, member_number, or "" for an invalid row
    identifier: str  # normalised
    status: str  # listed, renamed, not_listed, never_listed, invalid
    status_label: str
    reason: str  # why an invalid row is not an identifier
    note: str  # duplicates
    sites: list[VerifiedSite]


class VerifyResult(Schema):
    as_of: dt.date
    taken_at: dt.datetime  # the moment the roster was read
    count: int  # rows received
    summary: dict[str, int]
    results: list[VerifiedRow]


def _names(org: str, est: str) -> dict:
    return {"organisation_name": org, "establishment_name": est}


def verified_out(result) -> dict:
    return {
        "as_of": result.as_of,
        "taken_at": result.taken_at,
        "count": result.input_count,
        "summary": result.counts(),
        "results": [
            {
                "lines": row.lines,
                "input": row.value,
                "kind": row.kind,
                "identifier": row.identifier,
                "status": row.status,
                "status_label": row.status_label,
                "reason": row.reason,
                "note": row.note,
                "sites": [
                    {
                        "member_number": s.member_number,
                        "corporate_number": s.corporate_number,
                        "url": s.url,
                        "listed": s.listed,
                        "renamed": s.renamed,
                        "names_on_date": _names(s.organisation_name, s.establishment_name),
                        "latest_names": _names(s.latest_organisation_name, s.latest_establishment_name),
                        "prefecture_code": s.prefecture,
                        "prefecture": PREFECTURE_NAMES.get(s.prefecture, ""),
                        "city": s.city,
                        "periods": [{"listed_from": a, "delisted_on": b} for a, b in s.periods],
                    }
                    for s in row.sites
                ],
            }
            for row in result.rows
        ],
    }


@api.post(
    "/verify",
    response={200: VerifyResult, 400: Error, 429: Error},
    summary="基準日で一括確認する",
    tags=["名簿"],
    description=(
        "法人番号（13桁）または会員番号（例：J0000123）を最大1,000件まとめて送ると、基準日（as_of、省略時は本日）に"
        "名簿に掲載されていたかを1件ずつ返します。status は listed（掲載あり）、renamed（掲載あり・その後名称変更）、"
        "not_listed（基準日には掲載なし。periods に掲載期間）、never_listed（名簿に記載なし）、"
        "invalid（番号の誤り。reason に理由）。同じ番号は1回だけ確認し、lines に全ての位置を返します。"
        "回数制限は確認した件数（行数）で数えます。"
    ),
)
def verify_identifiers(request, body: VerifyRequest):
    rows = verify.rows_from_values(body.identifiers)
    try:
        verify.check_count(rows)
        on = verify.validate_as_of(body.as_of)
    except DomainError as exc:
        field = "identifiers" if isinstance(exc, verify.TooManyRows) else "as_of"
        return Status(400, {"detail": exc.message, "errors": {field: [exc.message]}})
    if not rows:
        message = _("確認する法人番号・会員番号を指定してください。")
        return Status(400, {"detail": message, "errors": {"identifiers": [message]}})
    wait = verify.charge_rows(request, len(rows))
    if wait is not None:
        message = _(
            "確認できる件数の上限に達しました。%(wait)d秒ほど待ってから、もう一度お試しください。"
        ) % {"wait": wait}
        response = api.create_response(request, {"detail": message, "errors": {}}, status=429)
        response["Retry-After"] = str(wait)
        return response
    return Status(200, verified_out(verify.verify(rows, on)))
