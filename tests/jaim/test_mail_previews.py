"""Mail wording on the demo data: the renewal notice edited by the demo administrator in two versions (history and
diff in the admin, idempotent seed), and a preview on a real member for every kind whose context can be built from
a member number — the starter text rendered in the sandbox on the real objects says what the built-in text says."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.mailtemplates import CONTACT, DEBIT_NOTE, KIND, NOTES
from jaim.links import absolute_url
from jaim.mail import _render
from jaim.mailtemplates import check, load_previews, render_version, starter_text
from jaim.models import MailTemplate, MailTemplateVersion, OutboxMessage
from members.models import Membership, User
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

# Kinds built from the sender's own data, not a member's: their previews use the declared examples.
NOT_FROM_A_MEMBER = {"backoffice_announcement", "backoffice_subscribe_confirm"}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_demo_edits_the_renewal_notice_in_two_versions_with_previews_on_real_members(client):
    call_command("seed_demo")
    admin = User.objects.get(email="admin@demo.jaim.example")
    tpl = MailTemplate.objects.get(kind=KIND)
    v1, v2 = tpl.versions.order_by("number")
    assert (v1.number, v2.number) == (1, 2)
    assert (v1.created_by, v2.created_by) == (admin, admin) and (v1.note, v2.note) == NOTES
    assert (v1.subject_ja, v1.body_ja) == starter_text(KIND)  # version 1 is the built-in text
    assert DEBIT_NOTE in v2.body_ja and CONTACT in v2.body_ja and DEBIT_NOTE not in v1.body_ja
    assert check(KIND, v2.subject_ja, v2.body_ja) == {}

    verified_login(client, admin)
    client.get(reverse("admin:jaim_mailtemplate_changelist"))  # lists (creates) every kind
    page = client.get(reverse("admin:jaim_mailtemplate_change", args=[tpl.pk])).content.decode()
    assert "第2版" in page and NOTES[1] in page and admin.email in page
    diff = client.get(reverse("admin:jaim_mailtemplate_diff", args=[tpl.pk, 2])).content.decode()
    assert "diff_add" in diff and "03-0000-0000" in diff and NOTES[1] in diff

    # every kind with a builder finds a demo member it can show, and the page says it used the member's data
    builders = load_previews()
    numbers = list(
        Membership.objects.exclude(member_number=None).order_by("pk").values_list("member_number", flat=True)
    )
    shown = {}
    for kind, build in sorted(builders.items()):
        for number in numbers:
            ctx = build(number)
            if ctx is not None:
                shown[kind] = (number, ctx)
                break
    missing = set(builders) - set(shown)
    assert missing <= {"fees_credit_note_issued", "lifecycle_reminder_document_expiry"}, (
        missing
    )  # no demo data
    assert set(builders) == set(load_previews()) and len(builders) == 31
    assert NOT_FROM_A_MEMBER.isdisjoint(builders)
    number, ctx = shown[KIND]
    _subject, body = render_version(
        KIND, v2, {"site_url": absolute_url(), **ctx}
    )  # what the next run would send
    assert DEBIT_NOTE in body and CONTACT in body and ctx["establishment"].organisation.name in body
    for kind, (number, ctx) in shown.items():
        _same_as_built_in(kind, ctx)
        if kind == KIND:
            continue
        page = client.get(
            reverse("admin:jaim_mailtemplate_preview", args=[MailTemplate.objects.get(kind=kind).pk]),
            {"member_number": number},
        ).content.decode()
        assert f"会員番号 {number} の実際の内容で表示しています" in page, kind

    before = list(MailTemplateVersion.objects.values_list("pk", "number", "body_ja"))
    mails = OutboxMessage.objects.count()
    call_command("seed_demo")
    assert list(MailTemplateVersion.objects.values_list("pk", "number", "body_ja")) == before
    assert OutboxMessage.objects.count() == mails


def _same_as_built_in(kind: str, ctx: dict) -> None:
    subject, body = starter_text(kind)
    version = MailTemplateVersion(subject_ja=subject, body_ja=body)
    sandbox = render_version(kind, version, {"site_url": absolute_url(), **ctx})
    builtin = _render(kind, ctx)
    assert (_flat(sandbox[0]), _flat(sandbox[1])) == (_flat(builtin[0]), _flat(builtin[1]))


def test_the_previews_the_demo_has_no_data_for_work_on_a_real_member():
    """The credit note and the expiring certificate, on a member made for the purpose."""
    import datetime as dt

    from fees import services as fee_services
    from tests.lifecycle.factories import fee_schedules, member, textile_certificate

    fee_schedules()
    user, m = member()
    textile_certificate(m.establishment, user, valid_until=dt.date(2027, 6, 30))
    inv = fee_services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 4, 20)
    )
    fee_services.issue_credit_note(inv, amount_yen=20_000, reason="団体割引の適用漏れ", by=None)
    builders = load_previews()
    expiry = builders["lifecycle_reminder_document_expiry"](m.member_number)
    note = builders["fees_credit_note_issued"](m.member_number)
    assert expiry["anchor"] == dt.date(2027, 6, 30) and note["note"].reason == "団体割引の適用漏れ"
    assert note["cancelled"] is False and note["remaining"] == inv.total_yen - 20_000
    _same_as_built_in("lifecycle_reminder_document_expiry", expiry)
    _same_as_built_in("fees_credit_note_issued", note)
    assert builders["fees_credit_note_issued"]("J-NO-SUCH") is None
