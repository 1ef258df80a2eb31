"""Hostile input on backoffice's public forms, token links and imports: never a 500; uploaded bytes of any kind are
refused or reported, never crash the importer; stored markup in an announcement is shown as text."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from backoffice import services
from backoffice.models import Announcement, ImportRun
from tests.factories import UserFactory
from tests.security.test_hostile_input import HYPOTHESIS, SCRIPT, form_fields, hostile, hostile_post

pytestmark = pytest.mark.django_db


def test_the_subscription_form_never_answers_500(client):
    url = reverse("backoffice:subscribe")
    fields = form_fields(client.get(url).content.decode())
    assert {n for n, _ in fields} >= {"email", "name", "agree"}

    @HYPOTHESIS
    @given(value=hostile, chosen=st.integers(0, 5))
    def run(value, chosen):
        assert client.post(url, hostile_post(fields, value, chosen=chosen)).status_code < 500

    run()


def test_token_links_never_answer_500(client):
    # Tokens up to 4,000 characters: longer URLs are refused by the reverse proxy. (Logging a 4xx on a very long
    # URL is linear now: tests/security/test_redaction.py.)
    @HYPOTHESIS
    @given(token=hostile.filter(lambda t: t and len(t) <= 4000 and "/" not in t and "\x00" not in t))
    def run(token):
        for name in ("subscribe_confirm", "unsubscribe"):
            url = reverse(f"backoffice:{name}", args=[token])
            assert client.get(url).status_code < 500
            assert client.post(url).status_code < 500

    run()


@pytest.mark.parametrize(
    "kind", [ImportRun.Kind.COUNCIL, ImportRun.Kind.ASSOCIATION, ImportRun.Kind.BANK_STATEMENT]
)
def test_any_bytes_are_refused_or_reported_never_a_crash(kind):
    header = {
        ImportRun.Kind.COUNCIL: "協議会会員番号,法人名,事業所名,法人番号,産業分類,郵便番号,都道府県,所在地,協議会加入日,協議会退会日,情報移行のみ\n",
        ImportRun.Kind.ASSOCIATION: "団体名,法人番号,法人名,加入日,退会日\n",
        ImportRun.Kind.BANK_STATEMENT: "booked_on,direction,amount_yen,payer_name_raw,description_raw\n",
    }[kind]
    by = UserFactory(is_staff=True)

    @HYPOTHESIS
    @given(
        raw=st.one_of(
            st.binary(max_size=300),
            st.lists(hostile, min_size=1, max_size=11).map(
                lambda cells: (header + ",".join(cells)).encode("utf-8", "surrogatepass")
            ),
        )
    )
    def run(raw):
        try:
            run_ = services.preview_import(
                kind, raw, file_name="x.csv", options={"bank_format": "canonical"}, by=by
            )
        except UnicodeEncodeError:
            return
        assert run_.status in (ImportRun.Status.PREVIEWED, ImportRun.Status.REFUSED)
        if run_.status == ImportRun.Status.REFUSED:
            assert run_.errors or run_.counts["rejected"]

    run()


def test_markup_in_an_announcement_is_text_on_the_public_page(client):
    a = Announcement.objects.create(title=SCRIPT, body=f"{SCRIPT}\nhttps://example.jp/?q=<b>")
    services.publish_announcement(a, by=None)
    page = client.get(reverse("backoffice:announcement_detail", args=[a.pk])).content.decode()
    assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
