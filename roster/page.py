"""The body of the public roster search page, built in Python.

The search page is the roster's hot path, and each query is new (officers check different establishments), so
the page body is built on almost every request. Through the template engine the search form, the status line,
the result cards and the pager cost several milliseconds a page — more than the search itself (profiled in
bench/RESULTS.md); built here they cost a fraction of one. The parts that do not depend on the query are still
templates, rendered once per process: the introduction per language, the downloads per language and roster
version. Every value is escaped; see roster/cards.py for the result cards."""

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from jaim.dates import today
from roster import cards, selectors
from roster.forms import MAX_PAGES, PAGE_SIZE, RosterSearchForm

SEARCH_PARAMS = ("q", "prefecture", "jsic", "as_of")

_STATIC: dict[tuple, str] = {}


def _static(name: str, *key, context=None) -> str:
    """A template that depends only on the language and `key`, rendered once per process."""
    cache_key = (name, get_language(), *key)
    html = _STATIC.get(cache_key)
    if html is None:
        html = render_to_string(name, context or {})
        if None not in key and not settings.DEBUG:  # DEBUG: templates may be edited while the server runs
            if len(_STATIC) > 64:  # old roster versions
                _STATIC.clear()
            _STATIC[cache_key] = html
    return html


def search_body(params, *, page_number: int, version: int | None = None) -> str:
    """The page body for the query parameters `params` (request.GET)."""
    searched = any(params.get(k) for k in SEARCH_PARAMS)
    form = RosterSearchForm(params if searched else None)
    parts = [_static("roster/_search_intro.html"), _form(form, params)]
    if searched and form.is_valid():
        parts.append(_answer(form, params, page_number))
        if form.query().as_of != today():
            parts.append(render_to_string("roster/_dated_downloads.html", {"as_of": form.query().as_of}))
    parts.append(_downloads(version))
    return "".join(parts)


def _errors(field) -> str:
    return "".join(
        f'<p class="error" id="{field.id_for_label}_error" role="alert">{escape(e)}</p>' for e in field.errors
    )


def _has_error(field) -> str:
    return " has-error" if field.errors else ""


_FORMS: dict[tuple, str] = {}
_Q_MARKER = "QJAIMQMARKERQ"  # escapes to itself; a valid name query, so the marker form has no errors


def _form(form: RosterSearchForm, params) -> str:
    """The search form. Without errors its HTML depends only on the language and the submitted filter values,
    but for the query typed in: it is rendered once per such combination (with a marker for the query) and the
    escaped query put in."""
    if form.is_bound and form.errors:
        return _form_html(form, params)
    raw = {name: params.get(name) for name in SEARCH_PARAMS}  # None: not submitted at all
    key = (get_language(), form.is_bound, raw["q"] and True, raw["prefecture"], raw["jsic"], raw["as_of"])
    html = _FORMS.get(key)
    if html is None:
        data = {name: value for name, value in raw.items() if value is not None}
        if raw["q"]:
            data["q"] = _Q_MARKER
        marked = RosterSearchForm(data) if form.is_bound else form
        html = _form_html(marked, params)
        if len(_FORMS) > 512:
            _FORMS.clear()
        _FORMS[key] = html
    return html.replace(_Q_MARKER, escape(raw["q"]), 1) if raw["q"] else html


def _form_html(form: RosterSearchForm, params) -> str:
    q = form["q"]
    filtered = any(params.get(k) for k in ("prefecture", "jsic", "as_of"))
    filters = []
    for name in ("prefecture", "jsic", "as_of"):
        field = form[name]
        help_text = (
            f'<p class="help" id="{field.auto_id}_helptext">{escape(field.help_text)}</p>'
            if field.help_text
            else ""
        )
        filters.append(
            f'<div class="field{_has_error(field)}"><label for="{field.id_for_label}">{escape(field.label)}</label>'
            f"{field}{_errors(field)}{help_text}</div>"
        )
    opened = " open" if filtered or (form.is_bound and form.errors) else ""
    return (
        f'<form class="panel roster-search" method="get" action="{reverse("roster:search")}" role="search" '
        f'novalidate><div class="field{_has_error(q)}"><label for="{q.id_for_label}">{escape(q.label)}</label>'
        f'<div class="q-row">{q}<button class="btn" type="submit">{escape(_("検索"))}</button></div>'
        f'{_errors(q)}<p class="help" id="{q.auto_id}_helptext">{escape(q.help_text)}</p></div>'
        f'<details class="filters-box" data-open-wide{opened}><summary>'
        f"{escape(_('絞り込み・基準日（都道府県・産業分類・日付を指定して確認）'))}</summary>"
        f'<div class="filters">{"".join(filters)}</div></details></form>'
    )


def _answer(form: RosterSearchForm, params, page_number: int) -> str:
    query = form.query()
    is_today = query.as_of == today()
    date = date_format(query.as_of, "DATE_FORMAT")
    if is_today:
        status = f"<strong>{escape(_('%(date)s（本日）時点の名簿') % {'date': date})}</strong>"
    else:
        status = (
            f"<strong>{escape(_('%(date)s 時点の名簿') % {'date': date})}</strong>"
            f'<span class="note">'
            f"{escape(_('指定日に掲載されていた事業所と、その日の名称を表示しています。本日の掲載状況とは異なる場合があります。'))}"
            f"</span>"
        )
    if not query.has_criteria:
        return (
            f'<div class="asof{"" if is_today else " asof-past"}" role="status">{status}</div>'
            f'<p class="empty-state">'
            f"{escape(_('名称・法人番号・会員番号を入力するか、都道府県・産業分類で絞り込んでください。'))}</p>"
        )
    language = get_language()
    stored = language if language in cards.CARD_LANGUAGES else None  # the lines' stored cards
    page = selectors.ResultPage(
        query, page_number, per_page=PAGE_SIZE, cap=MAX_PAGES * PAGE_SIZE, card_language=stored
    )
    if page.capped:
        count = _("%(n)s件以上") % {"n": intcomma(page.shown_count)}
    else:
        count = ngettext("%(n)s件", "%(n)s件", page.count) % {"n": intcomma(page.count)}
    out = [
        f'<div class="asof{"" if is_today else " asof-past"}" role="status">{status}'
        f'<span class="note">{escape(count)}</span></div>'
    ]
    if not page.object_list:
        empty = (
            _(
                "該当する事業所は名簿に掲載されていません。名称の一部だけ、または法人番号で検索してみてください。"
            )
            if is_today
            else _("指定日の名簿に該当する事業所は掲載されていませんでした。")
        )
        out.append(f'<p class="empty-state">{escape(empty)}</p>')
        return "".join(out)
    as_of_param = "" if is_today else query.as_of.isoformat()
    if stored:
        results = cards.stored_cards(page.object_list, as_of_param=as_of_param)
    else:
        results = "".join(cards.line_cards(page.object_list, as_of_param=as_of_param))
    out.append(f'<div class="results">{results}</div>')
    if page.has_other_pages:
        rest = params.copy()
        rest.pop("page", None)
        querystring = escape(rest.urlencode())
        pager = [f'<nav class="pager" aria-label="{escape(_("ページ"))}">']
        if page.has_previous:
            pager.append(
                f'<a href="?{querystring}&amp;page={page.previous_page_number}" rel="prev">← {escape(_("前へ"))}</a>'
            )
        position = _("%(n)s / %(total)s ページ") % {"n": page.number, "total": page.num_pages}
        pager.append(f'<span class="current">{escape(position)}</span>')
        if page.has_next:
            pager.append(
                f'<a href="?{querystring}&amp;page={page.next_page_number}" rel="next">{escape(_("次へ"))} →</a>'
            )
        out.append("".join(pager) + "</nav>")
    if page.capped:
        notice = _(
            "表示できるのは最初の1,000件までです。条件を絞り込むか、名簿データ（CSV・Excel）を御利用ください。"
        )
        out.append(f'<p class="help">{escape(notice)}</p>')
    return "".join(out)


def _downloads(version: int | None) -> str:
    latest = selectors.latest_exports(version)
    labels = {"csv": _("CSV（Excelで開けます）"), "xlsx": _("Excel（.xlsx）"), "pdf": _("PDF（印刷用）")}
    export_list = [(labels[f], latest[f]) for f in ("csv", "xlsx", "pdf") if f in latest]
    return _static("roster/_search_downloads.html", version, context={"export_list": export_list})
