"""Result cards of the roster search, rendered in Python.

The search page is the roster's hot path (officers checking establishments, 100,000 of them). Twenty cards
through a Django template include cost ~7 ms a page (translations, filters, lookups per node); the same
markup built here costs well under 1 ms. Every value is escaped; labels are translated once per page.

Each line also keeps its cards, rendered when it is written (write_cards: one per language of CARD_LANGUAGES,
with AS_OF_MARK where a link's ?as_of= goes), so that a search page puts the stored HTML together instead of
building models and markup per request (stored_cards). card_format() identifies what the cards are rendered
with (markup, translations, date formats, the entry URL): a line stored with another format is rendered here
when shown, so the page is the same either way."""

import datetime as dt
import zlib

from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

_LABELS: dict[str, dict[str, str]] = {}
_URLS: dict[str, str] = {}


def card_labels() -> dict[str, str]:
    """The cards' labels in the active language (translated once per language and process)."""
    language = get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = _card_labels()
    return labels


def _card_labels() -> dict[str, str]:
    return {
        "corporate_number": _("法人番号"),
        "no_corporate_number": _("なし（個人事業主）"),
        "location": _("所在地"),
        "jsic": _("産業分類"),
        "listed_since": _("掲載開始日"),
        "RELOCATION": _("移転手続中（新旧併記）"),
        "NAME_CHANGE": _("法人名変更手続中（新旧併記）"),
        "names": _("新旧の名称"),
        "old": _("現在（旧）"),
        "new_RELOCATION": _("移転後（新）"),
        "new_NAME_CHANGE": _("変更後（新）"),
    }


def _entry_url_template() -> str:
    prefix = get_script_prefix()
    template = _URLS.get(prefix)
    if template is None:
        marker = "TOKEN-MARKER"
        template = _URLS[prefix] = reverse("roster:entry", args=[marker]).replace(marker, "{token}")
    return template


def line_cards(lines, *, as_of_param: str = "") -> list[SafeString]:
    """One <article> per line; links carry ?as_of= when the page answers for another day."""
    labels = card_labels()
    url = _entry_url_template()
    suffix = f"?as_of={escape(as_of_param)}" if as_of_param else ""
    return [_card(line, labels, url.format(token=escape(line.token)) + suffix) for line in lines]


def _card(line, t: dict, href: str) -> SafeString:
    e = escape
    location = e(line.location)
    badge = f'<span class="badge badge-change">{e(t[line.change_kind])}</span>' if line.change_kind else ""
    jsic = "".join(f"<li><code>{e(code)}</code>{e(name)}</li>" for code, name in line.jsic)
    corporate = e(line.corporate_number) if line.corporate_number else e(t["no_corporate_number"])
    change = ""
    if line.change_kind:
        new_location = e(line.new_location) or location
        change = (
            f'<div class="ri-change" aria-label="{e(t["names"])}">'
            f'<div class="old"><span class="tag">{e(t["old"])}</span><br>{e(line.organisation_name)}<br>'
            f'{e(line.establishment_name)}<br><span class="muted">{location}</span></div>'
            f'<div class="new"><span class="tag">{e(t["new_" + line.change_kind])}</span><br>'
            f"{e(line.new_organisation_name)}<br>{e(line.new_establishment_name)}<br>"
            f'<span class="muted">{new_location}</span></div></div>'
        )
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<article class="roster-item"><div class="ri-head"><span class="ri-number">{e(line.member_number)}</span>'
        f"{badge}</div>"
        f'<h2><a href="{href}">{e(line.organisation_name)}</a> <small>{e(line.establishment_name)}</small></h2>'
        f'<dl class="ri-facts"><dt>{e(t["corporate_number"])}</dt><dd>{corporate}</dd>'
        f"<dt>{e(t['location'])}</dt><dd>{location}</dd>"
        f'<dt>{e(t["jsic"])}</dt><dd><ul class="jsic-list">{jsic}</ul></dd>'
        f"<dt>{e(t['listed_since'])}</dt><dd>{e(date_format(line.listed_since, 'DATE_FORMAT'))}</dd></dl>"
        f"{change}</article>"
    )


# --- cards stored on the lines ------------------------------------------------------------------------------

CARD_LANGUAGES = ("ja", "en")  # a column each on RosterCard
# Where a card's link takes ?as_of=. Escaped text never holds "<", so the stored HTML holds this only there.
AS_OF_MARK = "<!--as_of-->"


def _stored_card(line) -> str:
    return _card(line, card_labels(), _entry_url_template().format(token=escape(line.token)) + AS_OF_MARK)


def write_cards(lines) -> None:
    """Render the cards of lines just written (they have their primary keys) in every language and store them
    (RosterCard, one insert). The lines' card_format was set when they were made (roster.lines)."""
    from roster.models import RosterCard

    html: dict[str, list[str]] = {}
    for language in CARD_LANGUAGES:
        with translation.override(language):
            html[language] = [_stored_card(line) for line in lines]
    RosterCard.objects.bulk_create(
        RosterCard(line_id=line.pk, **{lang: html[lang][i] for lang in CARD_LANGUAGES})
        for i, line in enumerate(lines)
    )


_FORMATS: dict[str, int] = {}


def card_format() -> int:
    """A number for what the stored cards are rendered with: a checksum of sample cards (one with every part:
    a pending change, classifications, a date) in every language, computed once per process and script
    prefix. Markup, translations, date formats and the entry URL all show in it."""
    prefix = get_script_prefix()
    known = _FORMATS.get(prefix)
    if known is None:
        from roster.models import RosterLine

        sample = RosterLine(
            token="T0k-_",  # noqa: S106 - a sample line's public token, not a secret
            member_number="J0000001",
            listed_since=dt.date(2026, 1, 31),
            corporate_number="",
            organisation_name="<名>&",
            establishment_name="所",
            prefecture="13",
            city="市",
            change_kind="RELOCATION",
            new_organisation_name="新",
            new_establishment_name="新所",
            new_prefecture="14",
            new_city="新市",
            jsic=[["2592", "名"], ["E", "製造"]],
        )
        plain = RosterLine(
            token="t",  # noqa: S106 - a sample line's public token, not a secret
            member_number="J1",
            listed_since=dt.date(2025, 12, 1),
            corporate_number="1",
            organisation_name="o",
            establishment_name="",
            prefecture="47",
            city="c",
            change_kind="NAME_CHANGE",
            new_organisation_name="n",
            jsic=[],
        )
        rendered = []
        for language in CARD_LANGUAGES:
            with translation.override(language):
                rendered += [_stored_card(sample), _stored_card(plain)]
        known = _FORMATS[prefix] = zlib.crc32("\n".join(rendered).encode()) + 1  # never 0 (not rendered)
    return known


def stored_cards(rows, *, as_of_param: str = "") -> str:
    """The cards of a page from (id, card_format, card) rows in their order: the stored HTML, with the links'
    ?as_of= put in; a line stored with another format (or none) is read and rendered here."""
    current = card_format()
    stale = [row[0] for row in rows if row[1] != current or not row[2]]
    rendered = {}
    if stale:
        from roster.models import RosterLine

        labels, url = card_labels(), _entry_url_template()
        for line in RosterLine.objects.filter(pk__in=stale):
            rendered[line.pk] = _card(line, labels, url.format(token=escape(line.token)) + AS_OF_MARK)
    html = "".join(rendered[row[0]] if row[0] in rendered else row[2] for row in rows)
    suffix = f"?as_of={escape(as_of_param)}" if as_of_param else ""
    return html.replace(AS_OF_MARK, suffix)
