"""The public roster (no login): search, permanent entry pages, export downloads. And the member's
confirmation PDF, requested from My Page (access checked through members.selectors)."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.core import signing
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jaim import signing as pdf_signing
from jaim.dates import today
from jaim.errors import DomainError
from jaim.ratelimit import Limit, limit_page
from members import selectors as member_selectors
from roster import downloads, exports, page, selectors, services, verify
from roster.forms import MAX_PAGES, RosterSearchForm
from roster.models import RosterExport


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), MAX_PAGES))
    except ValueError:
        return 1


@require_GET
@limit_page(Limit("page", "JAIM_ROSTER_RATE_LIMIT"), "roster/too_many.html")
def search(request):
    """The public search. The page body is cached per query under the roster's version (see selectors), found
    with the version in one cache read; the page around it is the process's pre-rendered shell (_page)."""
    searched = any(request.GET.get(k) for k in page.SEARCH_PARAMS)
    answer = selectors.cached_answer("page", request.GET)
    body = answer.value
    if body is None:
        body = page.search_body(request.GET, page_number=_page_number(request), version=answer.version)
        selectors.store_answer(answer, body)
    return _page(request, body, searched)


# The page around the body depends only on the language and (for a visitor) nothing else but the CSRF token
# and the current path in the header's forms: it is rendered once per process with markers in their place. A
# signed-in user, a pending message or DEBUG (templates edited while running) get the ordinary render.
_SHELLS: dict[tuple[str, bool], str] = {}
_BODY, _CSRF, _NEXT = "\x00jaim-body\x00", "\x00jaim-csrf\x00", "\x00jaim-next\x00"


class _ShellRequest:
    def get_full_path(self):
        return _NEXT


def _page(request, body: str, searched: bool) -> HttpResponse:
    if settings.DEBUG or request.user.is_authenticated or len(get_messages(request)):
        body = mark_safe(body)  # noqa: S308 - our own auto-escaped template output, cached as a string
        return render(request, "roster/search.html", {"body": body, "searched": searched})
    key = (get_language(), searched)
    shell = _SHELLS.get(key)
    if shell is None:
        context = {
            "body": mark_safe(_BODY),  # noqa: S308 - a marker
            "searched": searched,
            "csrf_token": _CSRF,
            "request": _ShellRequest(),
            "user": AnonymousUser(),
            "messages": (),
        }
        shell = _SHELLS[key] = render_to_string("roster/search.html", context)
    before, after = shell.split(_BODY, 1)
    head = before.replace(_CSRF, get_token(request)).replace(_NEXT, escape(request.get_full_path()))
    return HttpResponse(head + body + after)


@require_GET
@limit_page(Limit("entry", "JAIM_ROSTER_RATE_LIMIT"), "roster/too_many.html")
def entry(request, token):
    entry = selectors.entry_by_token(token)
    form = RosterSearchForm({"as_of": request.GET.get("as_of", "")} if request.GET.get("as_of") else None)
    on = today()
    if form.is_bound and form.is_valid() and form.cleaned_data.get("as_of"):
        on = form.cleaned_data["as_of"]
    state = services.entry_state(entry, on)
    if state.line is None:
        raise Http404
    return render(
        request,
        "roster/entry.html",
        {
            "state": state,
            "line": state.line,
            "form": form,
            "is_today": on == today(),
            "entry_url": selectors.entry_url(token),
            "signature": pdf_signing.signature_facts(),
        },
    )


@require_GET
@limit_page(Limit("download", "JAIM_ROSTER_RATE_LIMIT"), "roster/too_many.html")
def download(request, fmt):
    if fmt not in RosterExport.Format.values:
        raise Http404
    if request.GET.get("as_of"):
        dated = _download_for_date(request, fmt)
        if dated is not None:
            return dated
    export = selectors.latest_exports().get(fmt)
    if export is None:
        raise Http404
    try:
        handle = exports.open_export(export)
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
    }[fmt]
    response = FileResponse(
        handle, as_attachment=True, filename=exports.download_name(export), content_type=content_type
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_required
@require_POST
def confirmation(request, establishment_pk):
    establishment = member_selectors.get_establishment_for(request.user, establishment_pk)
    try:
        issued = services.issue_confirmation(establishment, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("members:establishment_detail", establishment.pk)
    response = HttpResponse(issued.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    return response


def establishment_panel(request, establishment):
    """My Page section: the establishment's roster status, its public URL and the confirmation PDF button."""
    line = selectors.current_line_for_establishment(establishment, on=today())
    return (
        "roster/panel.html",
        {
            "est": establishment,
            "line": line,
            "entry_url": selectors.entry_url(line.token) if line else "",
        },
    )


# --- bulk verification on a date -----------------------------------------------------------------------

VERIFY_SALT = "roster.verify.rows"
VERIFY_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class VerifyForm(forms.Form):
    numbers = forms.CharField(
        label=_("法人番号・会員番号（1行に1件）"),
        required=False,
        max_length=verify.MAX_ROWS * (verify.MAX_INPUT_LENGTH + 2),
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "4011001098993\nJ0000123", "spellcheck": "false"}
        ),
        help_text=_(
            "13桁の法人番号、または会員番号（例：J0000123）を1行に1件ずつ、1,000件まで貼り付けてください。"
            "Excel から列を貼り付けた場合は、各行の最初の列を読み取ります。"
        ),
    )
    file = forms.FileField(
        label=_("またはファイル（CSV・Excel）"),
        required=False,
        help_text=_(
            "1列目に法人番号または会員番号を入れたCSV（UTF-8・Shift_JIS）またはExcel（.xlsx）。見出し行はあってもなくても構いません。"
        ),
    )
    as_of = forms.DateField(
        label=_("基準日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("この日に名簿に掲載されていたかを確認します。空欄の場合は本日です。"),
    )

    def clean_as_of(self):
        try:
            return verify.validate_as_of(self.cleaned_data.get("as_of"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("numbers") or "").strip() and not data.get("file"):
            self.add_error(
                "numbers", _("確認する法人番号・会員番号を入力するか、ファイルを指定してください。")
            )
        return data


def _signed_rows(rows, as_of) -> str:
    return signing.dumps(
        {"d": as_of.isoformat(), "r": [[r.line, r.value] for r in rows]}, salt=VERIFY_SALT, compress=True
    )


def _unsigned_rows(value: str):
    data = signing.loads(value, salt=VERIFY_SALT, max_age=24 * 3600)
    return [verify.InputRow(int(line), str(v)) for line, v in data["r"]], dt.date.fromisoformat(data["d"])


def _too_many_rows(request, wait: int) -> HttpResponse:
    response = render(request, "roster/verify_too_many.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


@require_http_methods(["GET", "POST"])
@limit_page(Limit("verify", "JAIM_ROSTER_RATE_LIMIT"), "roster/too_many.html")
def verify_page(request):
    """Many 法人番号 or member numbers checked on one day: pasted or uploaded, results as a table, and the same
    results as CSV or Excel (the download buttons send the checked rows back, signed, and check them again)."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = rows = page_error = None
    if request.method == "POST":
        as_of = None
        fmt = request.POST.get("format", "")
        if request.POST.get("rows"):
            try:
                rows, as_of = _unsigned_rows(request.POST["rows"])
            except (signing.BadSignature, ValueError, KeyError, TypeError):
                form = VerifyForm()
                page_error = _("確認結果の有効期限が切れました。もう一度確認してください。")
        elif form.is_valid():
            as_of = form.cleaned_data["as_of"]
            field = "file" if form.cleaned_data.get("file") else "numbers"
            try:
                if field == "file":
                    rows = verify.rows_from_upload(form.cleaned_data["file"], by=request.user)
                else:
                    rows = verify.rows_from_text(form.cleaned_data["numbers"])
                verify.check_count(rows)
                if not rows:
                    form.add_error(field, _("確認する番号が見つかりませんでした。"))
                    rows = None
            except DomainError as exc:
                form.add_error(field, exc.message)
                rows = None
        if rows is not None:
            wait = verify.charge_rows(request, len(rows))
            if wait is not None:
                return _too_many_rows(request, wait)
            result = verify.verify(rows, as_of)
            if fmt in VERIFY_CONTENT_TYPES:
                content = verify.csv_bytes(result) if fmt == "csv" else verify.xlsx_bytes(result)
                response = HttpResponse(content, content_type=VERIFY_CONTENT_TYPES[fmt])
                response["Content-Disposition"] = (
                    f'attachment; filename="{verify.download_name(result, fmt)}"'
                )
                response["Cache-Control"] = "no-store"
                return response
    context = {"form": form, "result": result, "page_error": page_error, "is_today": False}
    if result is not None:
        context["signed_rows"] = _signed_rows(rows, result.as_of)
        context["counts"] = result.counts()
        context["is_today"] = result.as_of == today()
    response = render(request, "roster/verify.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- downloads for a past date ---------------------------------------------------------------------------

DOWNLOAD_CONTENT_TYPES = {**VERIFY_CONTENT_TYPES, "pdf": "application/pdf"}


def _download_for_date(request, fmt):
    """The roster on ?as_of= (roster.downloads); None for today (the latest export answers). A date that is not
    one, or in the future, is a 404: the page only links to valid days."""
    form = RosterSearchForm({"as_of": request.GET["as_of"]})
    if not form.is_valid() or not form.cleaned_data.get("as_of"):
        raise Http404
    as_of = form.cleaned_data["as_of"]
    if as_of == today():
        return None
    try:
        dated = downloads.file_for_date(as_of, fmt)
    except downloads.TooLargeForPdf:
        context = {"as_of": as_of, "max_lines": downloads.PDF_MAX_LINES}
        return render(request, "roster/download_unavailable.html", context, status=404)
    try:
        handle = dated.open()
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=dated.download_name, content_type=DOWNLOAD_CONTENT_TYPES[fmt]
    )
    response["Cache-Control"] = "public, max-age=300"
    return response
