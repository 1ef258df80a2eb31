"""The public roster (no login): search, permanent entry pages, export downloads. And the member's
confirmation PDF, requested from My Page (access checked through members.selectors)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from jaim import signing
from jaim.dates import today
from jaim.errors import DomainError
from members import selectors as member_selectors
from roster import exports, page, selectors, services
from roster.forms import MAX_PAGES, RosterSearchForm
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
            "signature": signing.signature_facts(),
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
