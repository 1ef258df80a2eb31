"""Mail wording as data (jaim.mailtemplates): an administrator's version is what the next mail sends, the built-in
text without one, versions kept with their author and a diff, previews on a real member, a test send to oneself,
hostile texts refused before they are saved, and the pages closed to the other roles."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from jaim.errors import DomainError
from jaim.mailtemplates import check, register_version, starter_text
from jaim.models import MailTemplate, MailTemplateVersion, OutboxMessage
from lifecycle import services
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season

pytestmark = pytest.mark.django_db
KIND = "lifecycle_renewal_notice"


def _renewal_mails():
    return OutboxMessage.objects.filter(kind=KIND)


def _edit(client, subject, body, note=""):
    client.get(reverse("admin:jaim_mailtemplate_changelist"))
    tpl = MailTemplate.objects.get(kind=KIND)
    data = {"subject_ja": subject, "body_ja": body, "subject_en": "", "body_en": "", "note": note}
    return tpl, client.post(reverse("admin:jaim_mailtemplate_change", args=[tpl.pk]), data)


def test_the_administrators_wording_is_what_the_next_renewal_run_sends(staff_client):
    fee_schedules()
    season()
    _user, m = member()
    tpl, response = _edit(
        staff_client,
        "【JAIM】{{ season.fiscal_year }}年度も御継続ください",
        "{{ establishment.organisation.name }} 様\n年会費 {{ invoice.total_yen|yen }}、振替日 {{ invoice.due_date|date }}\n",
        note="文面を短く",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with at(NOTICE_ON):
        services.run_renewal(on=NOTICE_ON)
    mail = _renewal_mails().get()
    assert mail.subject == "【JAIM】2027年度も御継続ください"
    assert mail.body.startswith(f"{m.establishment.organisation.name} 様\n年会費 ¥")
    assert "振替日 2027年" in mail.body
    version = tpl.versions.get()
    assert (version.number, version.created_by, version.note) == (1, staff_client.user, "文面を短く")


def test_without_a_version_the_built_in_text_is_sent():
    fee_schedules()
    season()
    member()
    with at(NOTICE_ON):
        services.run_renewal(on=NOTICE_ON)
    mail = _renewal_mails().get()
    assert mail.subject.startswith("【JAIM】2027年度の会員継続の確認（回答期限 2027年2月19日）")
    assert "マイページで「継続する」" in mail.body


def test_the_first_form_shows_the_built_in_text_and_it_is_a_valid_version():
    for kind in (
        "lifecycle_renewal_notice",
        "fees_invoice_issued",
        "application_received",
        "application_approved",
    ):
        subject, body = starter_text(kind)
        assert "{% load" not in body and check(kind, subject, body) == {}


def test_versions_are_kept_with_their_author_and_a_diff(staff_client):
    tpl, _r = _edit(staff_client, "件名一", "本文{{ invoice.number }}\n共通の行\n", note="一")
    tpl, _r = _edit(staff_client, "件名二", "本文{{ invoice.number }}を変更\n共通の行\n", note="二")
    numbers = list(tpl.versions.order_by("number").values_list("number", "subject_ja", "created_by"))
    assert numbers == [(1, "件名一", staff_client.user.pk), (2, "件名二", staff_client.user.pk)]
    page = staff_client.get(reverse("admin:jaim_mailtemplate_change", args=[tpl.pk])).content.decode()
    assert "第2版" in page and "第1版" in page and staff_client.user.email in page
    assert 'value="件名二"' in page  # the form starts from the newest version
    diff = staff_client.get(reverse("admin:jaim_mailtemplate_diff", args=[tpl.pk, 2])).content.decode()
    assert "件名一" in diff and "件名二" in diff and "diff_add" in diff


def test_preview_on_a_real_member_shows_the_members_name(staff_client):
    fee_schedules()
    season()
    _user, m = member()
    with at(NOTICE_ON):
        services.run_renewal(on=NOTICE_ON)
    staff_client.get(reverse("admin:jaim_mailtemplate_changelist"))
    tpl = MailTemplate.objects.get(kind=KIND)
    url = reverse("admin:jaim_mailtemplate_preview", args=[tpl.pk])
    page = staff_client.get(url, {"member_number": m.member_number}).content.decode()
    assert m.establishment.organisation.name in page and m.member_number in page
    example = staff_client.get(url).content.decode()
    assert "株式会社見本製作所" in example and m.establishment.organisation.name not in example


def test_test_send_queues_the_mail_to_oneself(staff_client):
    staff_client.get(reverse("admin:jaim_mailtemplate_changelist"))
    tpl = MailTemplate.objects.get(kind=KIND)
    response = staff_client.post(reverse("admin:jaim_mailtemplate_test_send", args=[tpl.pk]))
    assert response.status_code == 302
    mail = OutboxMessage.objects.get(kind="mail_template_test")
    assert mail.to == staff_client.user.email
    assert mail.subject.startswith("【JAIM】2027年度の会員継続の確認")


@pytest.mark.parametrize(
    "source",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ invoice.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{% for i in range(10**9) %}x{% endfor %}",
        "{% for a in invoice %}{% for b in a %}{{ b }}{% endfor %}{% endfor %}",
        "{% include 'x' %}",
        "{% extends 'x' %}",
        "{% import 'x' as y %}",
        "{% macro m() %}{% endmacro %}",
        "{% set x = invoice %}",
        "{{ invoice.delete() }}",
        "{{ invoice.number * 100000000 }}",
        "{{ invoice.number|attr('x') }}",
        "{% if %}",
        "{{ invoice.nonexistent }}",
        "{{ self }}",
        "{{ self._TemplateReference__context }}",
        "{{ cycler('a', 'b') }}",
        "{{ joiner() }}",
        "{{ namespace(a=1) }}",
        "{{ lipsum(1000000) }}",
        "{{ range }}",
        "{{ config }}",
        "{{ request.environ }}",
        "{{ invoice.number|indent(1000000000) }}",
        "{{ invoice.number|replace('', 'xxxxxxxxxx') }}",
        "{{ invoice.number|map('upper') }}",
        "{{ invoice.number|format(1) }}",
        "{{ invoice.number.upper() }}",
        "{{ invoice.number['__class__'] }}",
        "{{ invoice['number'].__len__ }}",
        "{% for c in invoice.number %}{{ c }}{% endfor %}",
        "{% for a in [1, 2, 3] %}{{ a }}{% endfor %}",
        "{% filter upper %}x{% endfilter %}",
        "{% with a = invoice %}{{ a }}{% endwith %}",
        "{% call invoice() %}{% endcall %}",
        "{% set x %}y{% endset %}",
        "{% block b %}{% endblock %}",
        "{% import 'mail/password_reset.txt' as t %}",
        "{% from 'x' import y %}",
        "{% include '/etc/passwd' %}",
        "{{ " + "(" * 4000 + "invoice.number" + ")" * 4000 + " }}",
        "{% if invoice.number is divisibleby 3 %}x{% endif %}",
        "{{ invoice.number if invoice.number is callable }}",
        "{{ '%s' % invoice.number }}",
        "x" * 20_001,
    ],
)
def test_hostile_or_broken_texts_are_refused_with_a_japanese_message(source, staff_client):
    errors = check(KIND, "件名", source)
    assert set(errors) == {"body_ja"}
    assert all(ord(ch) > 0x3000 for ch in errors["body_ja"][:2])  # Japanese, not jinja's English
    with pytest.raises(DomainError):
        register_version(KIND, subject="件名", body=source)
    tpl, response = _edit(staff_client, "件名", source)
    assert response.status_code == 200 and escape(errors["body_ja"]) in response.content.decode()
    assert not MailTemplateVersion.objects.exists()


@pytest.mark.parametrize("group", ["reviewer", "finance"])
def test_other_roles_cannot_reach_the_pages(client, group):
    from tests.security.helpers import staff_user, verified_login

    tpl = MailTemplate.objects.create(kind=KIND)
    verified_login(client, staff_user(group=group))
    for url in (
        reverse("admin:jaim_mailtemplate_changelist"),
        reverse("admin:jaim_mailtemplate_change", args=[tpl.pk]),
        reverse("admin:jaim_mailtemplate_preview", args=[tpl.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("admin:jaim_mailtemplate_test_send", args=[tpl.pk])).status_code == 403
    assert not OutboxMessage.objects.exists()


def test_english_texts_are_checked_saved_and_previewed_next_to_the_japanese(staff_client):
    """No recipient has a language yet (every mail goes out in Japanese): the English texts are checked like the
    Japanese ones, kept in the version and shown in the preview, and the form says when they will be used."""
    staff_client.get(reverse("admin:jaim_mailtemplate_changelist"))
    tpl = MailTemplate.objects.get(kind=KIND)
    url = reverse("admin:jaim_mailtemplate_change", args=[tpl.pk])
    assert "受信者の言語が英語のときに使います" in staff_client.get(url).content.decode()
    subject, body = starter_text(KIND)
    data = {"subject_ja": subject, "body_ja": body, "note": "英語を追加"}
    bad = staff_client.post(url, {**data, "subject_en": "[JAIM] Renewal", "body_en": "{{ settings.DEBUG }}"})
    assert bad.status_code == 200 and not MailTemplateVersion.objects.exists()
    assert bad.context["adminform"].form.errors.keys() == {"body_en"}
    en_body = "Dear {{ establishment.organisation.name }},\nAnnual fee {{ invoice.total_yen|yen }}.\n"
    ok = staff_client.post(
        url, {**data, "subject_en": "[JAIM] Renewal {{ season.fiscal_year }}", "body_en": en_body}
    )
    assert ok.status_code == 302
    version = tpl.versions.get()
    assert (version.subject_en, version.body_en) == (
        "[JAIM] Renewal {{ season.fiscal_year }}",
        en_body.strip(),
    )
    page = staff_client.get(reverse("admin:jaim_mailtemplate_preview", args=[tpl.pk])).content.decode()
    assert "[JAIM] Renewal 2027" in page and "Annual fee ¥120,000." in page and "会員継続の確認" in page
    diff = staff_client.get(reverse("admin:jaim_mailtemplate_diff", args=[tpl.pk, 1])).content.decode()
    assert "Annual&nbsp;fee" in diff and "英語を追加" in diff  # HtmlDiff keeps the spaces as &nbsp;


def test_every_kind_is_listed_once_with_its_variables_and_required_links(staff_client):
    from jaim.mailtemplates import KINDS

    page = staff_client.get(reverse("admin:jaim_mailtemplate_changelist")).content.decode()
    assert set(MailTemplate.objects.values_list("kind", flat=True)) == set(KINDS)
    assert page.count("お知らせの配信") == 1 and "メール文面のテスト送信" not in page
    reset = MailTemplate.objects.get(kind="password_reset")
    form = staff_client.get(reverse("admin:jaim_mailtemplate_change", args=[reset.pk])).content.decode()
    assert "{{ url }}" in form and "（必須）" in form
    statement = MailTemplate.objects.get(kind="fees_statement_issued")
    form = staff_client.get(reverse("admin:jaim_mailtemplate_change", args=[statement.pk])).content.decode()
    assert "{% for item in items %}" in form and "{{ item.invoice.number }}" in form


def test_before_the_run_the_renewal_preview_shows_the_invoice_the_run_then_issues():
    """An administrator rewords the renewal notice before the season's run: the preview on a real member uses the
    invoice that run would issue (amount from the fee schedule, debit date), not example values."""
    from fees.models import Invoice
    from lifecycle.mail_previews import renewal_notice

    fee_schedules()
    s = season()
    _user, m = member()
    ctx = renewal_notice(m.member_number)
    assert ctx is not None and ctx["invoice"].pk is None and ctx["invoice"].number == "発行時に採番"
    with at(NOTICE_ON):
        services.run_renewal(on=NOTICE_ON)
    issued = Invoice.objects.get(membership=m, fiscal_year=s.fiscal_year)
    assert (ctx["invoice"].total_yen, ctx["invoice"].due_date) == (issued.total_yen, issued.due_date)
    after = renewal_notice(m.member_number)
    assert after["invoice"] == issued  # once issued, the real one


def test_the_variables_table_shows_examples_as_the_filters_print_them(staff_client):
    """Issue 18: no ISO dates, bare numbers or True/False on a Japanese screen, the examples included."""
    staff_client.get(reverse("admin:jaim_mailtemplate_changelist"))
    tpl = MailTemplate.objects.get(kind=KIND)
    html = staff_client.get(reverse("admin:jaim_mailtemplate_change", args=[tpl.pk])).content.decode()
    assert "2027年2月28日" in html and "120,000" in html
    assert "2027-02-28" not in html and ">120000<" not in html and ">True<" not in html
