"""No stray English on Japanese screens: every portal page and every admin list, add and change page, rendered in
Japanese with a world of data, shows no Latin word outside a short allowlist.

Every msgid of the project is Japanese, so English on a Japanese page means a hard-coded string, a third-party
string without a Japanese translation, a status or type code shown raw instead of its label, or a data note
shown as-is. The visible text is what a person reads: text nodes outside <script>/<style>, plus the attributes
that are read out or shown (title, placeholder, aria-label, alt, and the value of buttons)."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.helpers import verified_login
from tests.security.test_access_matrix import URL_TABLE

pytestmark = pytest.mark.django_db

# Latin words a Japanese office reads as Japanese text does: names, file formats and technical terms that have no
# Japanese form in use. Compared case-insensitively.
ALLOWED_WORDS = {
    "jaim",  # the association's name
    "pdf",
    "csv",
    "excel",
    "xlsx",
    "api",
    "json",  # the roster API's format, named on the API page
    "openapi",
    "e-mail",
    "url",
    "id",
    "jsic",  # 日本標準産業分類 codes are called JSIC codes
    "totp",
    "qr",
    "otp",
    "ok",
    "faq",  # the association's published FAQ, cited by item number (FAQ 2-5-12)
    "jpeg",
    "png",
    "mb",  # file formats and size limits of uploads
    "google",
    "microsoft",
    "authenticator",  # the authenticator apps the second-factor pages name
    "control",
    "command",
    "mac",  # keyboard keys, in Django's own Japanese help for multiple selection
    "kb",  # file sizes
    "ip",  # IPアドレス
}

IGNORED_TAGS = {"script", "style", "template"}
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}


VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class VisibleText(HTMLParser):
    """The text a person sees or hears on the page. Text marked as another language (lang="en", as the language
    switch's 「English」 is) is foreign on purpose and skipped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None  # the element being skipped (script, style, or foreign text)
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if self.skip_tag:
            self.skip_depth += tag == self.skip_tag
            return
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "ja").lower()
        if tag in IGNORED_TAGS or (not lang.startswith("ja") and tag not in VOID_TAGS):
            self.skip_tag, self.skip_depth = tag, 1
            return
        if not lang.startswith("ja"):
            return
        for name in READ_ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        # an <input> button shows its value; a <button>'s value is only sent, its content is what shows
        if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUT_TYPES and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        if self.skip_tag:
            return
        self.handle_starttag(tag, attrs)
        if self.skip_tag == tag:  # <x lang="en"/>: nothing inside
            self.skip_tag = None

    def handle_endtag(self, tag):
        if self.skip_tag == tag:
            self.skip_depth -= 1
            if not self.skip_depth:
                self.skip_tag = None

    def handle_data(self, data):
        if not self.skip_tag:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(p.strip() for p in parser.parts if p.strip())


# Data values, not words: e-mail addresses, web addresses, file names with their extension, and codes that mix
# letters with digits (member numbers, invoice numbers, object ids).
DATA_PATTERNS = [
    re.compile(r"\b(?:[0-9A-F]{2}:){7,}[0-9A-F]{2}\b"),  # a certificate's fingerprint
    re.compile(r"\b(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{1,4}\b"),  # a TOTP secret in groups of four, to type in
    re.compile(r"\b(?:GET|POST) /\S+"),  # an API endpoint
    re.compile(r"\bShift_JIS\b|\bUTF-8\b"),  # a file's encoding
    re.compile(r"[A-Za-z0-9+/]{0,8}\*{4,}"),  # a masked secret (the password hash's salt, 「tU******」)
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    re.compile(r"https?://\S+"),
    re.compile(r"[\w-]+\.(pdf|png|jpe?g|csv|xlsx|txt|svg|zip)\b", re.IGNORECASE),
    re.compile(r"\b(?=[A-Za-z-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b"),
    re.compile(r"\b(?=\w*\d)(?=\w*[A-Za-z])[A-Za-z0-9]+\b"),
]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def stray_english(text: str, *, allowed_values=()) -> list[str]:
    """Latin words of two or more letters in `text` that are neither allowed words nor data values."""
    for value in sorted(allowed_values, key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    for pattern in DATA_PATTERNS:
        text = pattern.sub(" ", text)
    words = LATIN_WORD.findall(text)
    return sorted({w for w in words if len(w) > 1 and w.lower() not in ALLOWED_WORDS})


def test_the_check_finds_an_english_word_on_a_japanese_page():
    """The self-check: an English word added to a page is found, wherever a person would read it."""
    page = (
        "<html><head><title>会員ページ</title><style>.card{color:red}</style>"
        "<script>var status = 'PAID';</script></head><body>"
        '<p class="note" data-state="draft">申請書（JAIM 様式、PDF）を e-mail で送付しました: a@example.jp</p>'
        '<a href="/x" title="Download">請求書</a><input type="text" name="status" value="typed">'
        "<table><tr><th>請求番号</th></tr><tr><td>INV-2026-0001</td></tr></table>"
        "<p>状態: PENDING review</p><button value='go'>送信</button><button lang='en'>English</button>"
        "</body></html>"
    )
    assert stray_english(visible_text(page)) == ["Download", "PENDING", "review"]
    assert stray_english(visible_text("<p>承認済み</p><input type='submit' value='Save'>")) == ["Save"]
    assert stray_english(visible_text("<p>申請 (JSIC 2499) を受け付けました。</p>")) == []


# Pages that answer with something other than an HTML page, or need a token the world does not hold.
NOT_PAGES = {
    "healthz",
    "livez",
    "set_language",
    "logout",
    "admin:logout",
    "admin:view_on_site",
    "members:postal_lookup",
    "roster:download",
    "fees:invoice_link",
}


def _world_values(world) -> set[str]:
    """Values the world's data holds that may be Latin (names from factories, e-mail addresses, numbers)."""
    values = set()
    for obj in (world.owner, world.org, world.est, world.other_est, world.membership, world.invoice):
        for f in obj._meta.concrete_fields:
            value = getattr(obj, f.attname, None)
            if isinstance(value, str) and re.search(r"[A-Za-z]", value):
                values.add(value)
    from roster.models import RosterEntry

    values |= set(RosterEntry.objects.values_list("token", flat=True))  # random public tokens
    for user in [world.owner, *world.people.values(), *world.helpers.values()]:
        values |= {user.email, user.get_username(), user.get_full_name()}
    return {v for v in values if v}


def _portal_urls(world):
    kwargs_for = {
        "roster:entry": {"token": world.roster_entry.token},
        "backoffice:announcement_detail": None,
    }
    for name, spec in sorted(URL_TABLE.items()):
        kind = spec[0]
        if kind not in ("portal", "public", "own") or name in NOT_PAGES:
            continue
        if kind == "portal":
            kwargs = {k: f(world) for k, f in spec[1].items()}
        else:
            kwargs = kwargs_for.get(name, {})
        if kwargs is None:
            continue
        try:
            yield name, reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue  # a token page: its kwargs are not the world's


def _admin_urls(world):
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        yield prefix + "changelist", reverse(prefix + "changelist")
        yield prefix + "add", reverse(prefix + "add")
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            yield prefix + "change", reverse(prefix + "change", args=[obj.pk])


def _html(response) -> str | None:
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    body = b"".join(response) if response.streaming else response.content
    return body.decode("utf-8")


def _context(text: str, word: str) -> str:
    """Where the word stands, for the failure message."""
    at_ = re.search(rf"\b{re.escape(word)}\b", text)
    return text[max(0, at_.start() - 30) : at_.end() + 30].replace("\n", " ") if at_ else word


def _findings(client, urls, values) -> dict[str, list[str]]:
    found = {}
    for name, url in urls:
        html = _html(client.get(url))
        if html is None:
            continue
        text = visible_text(html)
        words = stray_english(text, allowed_values=values)
        if words:
            found[name] = (url, words, " | ".join(_context(text, w) for w in words[:4]))
    return found


@pytest.fixture
def world(settings):
    with at(WORLD_DAY):
        yield build_world()


def _report(found) -> str:
    return "English on Japanese pages:\n" + "\n".join(
        f"  {page} {url}: {words}\n      {where}" for page, (url, words, where) in sorted(found.items())
    )


def test_portal_pages_in_japanese_show_no_english(client, world):
    values = _world_values(world)
    rendered = []
    with at(WORLD_DAY):
        client.force_login(world.owner)
        urls = list(_portal_urls(world))
        found = _findings(client, urls, values)
        rendered = [n for n, _ in urls]
    assert len(rendered) >= 40
    assert found == {}, _report(found)


# Latin words left on admin pages, each data rather than a word to translate. The test fails on any word not
# listed for its page, and on a listed word that is gone, so the list only shrinks.
KNOWN_ADMIN_ENGLISH = {
    # django-axes stores 「<unknown>」 as the browser (User-Agent) of a request that sent none: a stored value
    "admin:axes_accesslog_change": {"unknown"},
    "admin:axes_accesslog_changelist": {"unknown"},
    # 「CSV（UTF-8・BOM付き）」: BOM付き is the name Japanese software gives this encoding (Excel, メモ帳)
    "admin:backoffice_exportjob_changelist": {"BOM"},
    # 「改行（CR+LF）」: the bank's file format names its line ending by these control codes (全銀協 format)
    "admin:fees_debitoriginator_add": {"CR", "LF"},
}


def test_admin_pages_in_japanese_show_no_english(client, world):
    from members.models import JsicCode

    values = _world_values(world)
    # the JSIC table's English titles are a column of their own (英語名称), shown as data
    values |= set(JsicCode.objects.values_list("name_en", flat=True))
    superuser = UserFactory(is_staff=True, is_superuser=True)
    values |= {superuser.email, superuser.get_username(), superuser.get_full_name()}
    with at(WORLD_DAY):
        verified_login(client, superuser)
        urls = list(_admin_urls(world))
        found = _findings(client, urls, values)
    assert len(urls) >= 3 * 20
    new = {
        page: (url, [w for w in words if w not in KNOWN_ADMIN_ENGLISH.get(page, set())], where)
        for page, (url, words, where) in found.items()
    }
    assert {p: v for p, v in new.items() if v[1]} == {}, _report({p: v for p, v in new.items() if v[1]})
    gone = {
        page: sorted(known - set(found.get(page, ("", [], ""))[1]))
        for page, known in KNOWN_ADMIN_ENGLISH.items()
        if known - set(found.get(page, ("", [], ""))[1])
    }
    assert gone == {}, f"translated now, remove from KNOWN_ADMIN_ENGLISH: {gone}"
