"""The public roster (no login): search, permanent entry pages, export downloads. And the member's
confirmation PDF, requested from My Page (access checked through members.selectors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jaim.dates import today
from jaim.errors import DomainError
from members import selectors as member_selectors
from roster import cards, exports, selectors, services
from roster.forms import MAX_PAGES, PAGE_SIZE, RosterSearchForm
from roster.models import RosterExport
from roster.ratelimit import limit_page


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), MAX_PAGES))
    except ValueError:
        return 1


@require_GET
@limit_page("page")
def search(request):
    """The public search. The page body is cached per query under the roster's version (see selectors), so a
    repeated search costs two cache reads; base.html (with its CSRF token) is rendered per request."""
    searched = any(request.GET.get(k) for k in SEARCH_PARAMS)
    key = selectors.response_cache_key("page", request.GET)
    body = selectors.cache_get(key)
    if body is None:
        body = render_to_string(
            "roster/_search_body.html", _search_context(request, searched), request=request
        )
        selectors.cache_set(key, body)
    body = mark_safe(body)  # noqa: S308 - our own auto-escaped template output, cached as a string
    return render(request, "roster/search.html", {"body": body, "searched": searched})


SEARCH_PARAMS = ("q", "prefecture", "jsic", "as_of")


def _search_context(request, searched: bool) -> dict:
    form = RosterSearchForm(request.GET if searched else None)
    context = {
        "form": form,
        "as_of": today(),
        "is_today": True,
        "page": None,
        "searched": searched,
        "filtered": any(request.GET.get(k) for k in ("prefecture", "jsic", "as_of")),
    }
    if searched and form.is_valid():
        query = form.query()
        context.update(as_of=query.as_of, is_today=query.as_of == today())
        if query.has_criteria:
            page = selectors.ResultPage(
                selectors.search(query), _page_number(request), per_page=PAGE_SIZE, cap=MAX_PAGES * PAGE_SIZE
            )
            as_of_param = "" if query.as_of == today() else query.as_of.isoformat()
            context.update(
                page=page,
                cards=cards.line_cards(page.object_list, as_of_param=as_of_param),
                truncated=page.capped,
                query=query,
            )
        else:
            context["needs_criteria"] = True
    latest = selectors.latest_exports()
    labels = {"csv": _("CSV（Excelで開けます）"), "xlsx": _("Excel（.xlsx）"), "pdf": _("PDF（印刷用）")}
    context["export_list"] = [(labels[f], latest[f]) for f in ("csv", "xlsx", "pdf") if f in latest]
    params = request.GET.copy()
    params.pop("page", None)
    context["querystring"] = params.urlencode()
    context["filter_fields"] = [form["prefecture"], form["jsic"], form["as_of"]]
    return context


@require_GET
@limit_page("entry")
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
        },
    )


@require_GET
@limit_page("download")
def download(request, fmt):
    if fmt not in RosterExport.Format.values:
        raise Http404
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
