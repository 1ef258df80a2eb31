"""Every mail kind's wording is editable (jaim.mailtemplates.KINDS): each built-in text (templates/mail/<kind>.txt)
has its variables declared, its starter text is a valid first version, and that starter text sent through the
sandbox says exactly what the built-in Django template says for the same values. The kinds with a security link
refuse a version without it; the English texts are checked like the Japanese ones."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from jaim.errors import DomainError
from jaim.mail import _render
from jaim.mailtemplates import (
    KINDS,
    ListVar,
    _finish,
    check,
    examples,
    register_version,
    required,
    starter_text,
)

MAIL_DIR = Path(settings.BASE_DIR) / "templates" / "mail"
ALL_KINDS = sorted(p.stem for p in MAIL_DIR.glob("*.txt"))
SECURITY_LINKS = {
    "password_reset": {"url"},
    "verify_email": {"url"},
    "signup_existing": {"login_url", "reset_url"},
    "backoffice_subscribe_confirm": {"url"},
    "backoffice_announcement": {"unsubscribe_url"},
}


def _namespace(kind: str) -> dict:
    """The examples as the built-in Django template sees them: objects with attributes (get_<x>_display too)."""

    def put(out: dict, dotted: str, value, display: bool) -> None:
        *heads, last = dotted.split(".")
        for head in heads:
            out = out.setdefault(head, {})
        out[last] = value
        if display:
            out[f"get_{last}_display"] = lambda v=value: v

    def objects(tree):
        if isinstance(tree, dict):
            return SimpleNamespace(**{k: objects(v) for k, v in tree.items()})
        return tree

    out: dict = {}
    for var in KINDS[kind]:
        if isinstance(var, ListVar):
            items = []
            for _n in range(2):
                item: dict = {}
                for f in var.fields:
                    put(item, f.name, f.example, f.display)
                items.append(objects(item))
            out[var.name] = items
        else:
            put(out, var.name, var.example, var.display)
    return {k: objects(v) for k, v in out.items()}


def _sandbox_examples(kind: str) -> dict:
    ex = examples(kind)
    for var in KINDS[kind]:
        if isinstance(var, ListVar):
            ex[var.name] = ex[var.name] * 2
    return ex


def test_every_built_in_mail_is_editable():
    assert len(ALL_KINDS) == 33
    assert [k for k in ALL_KINDS if k not in KINDS] == []
    assert set(KINDS) == set(ALL_KINDS)  # nothing declared for a mail that does not exist


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_the_starter_text_is_valid_and_says_what_the_built_in_text_says(kind):
    subject, body = starter_text(kind)
    assert "{% load" not in body and "autoescape" not in body and "_display" not in subject + body
    assert check(kind, subject, body) == {}
    expected = _render(kind, _namespace(kind))
    assert _finish(subject, body, _sandbox_examples(kind)) == (" ".join(expected[0].split()), expected[1])


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SECURITY_LINKS))
def test_a_version_without_its_security_link_is_refused(kind):
    assert set(required(kind)) == SECURITY_LINKS[kind]
    subject, body = starter_text(kind)
    for name in SECURITY_LINKS[kind]:
        stripped = body.replace("{{ " + name + " }}", "")
        errors = check(kind, subject, stripped)
        assert set(errors) == {"body_ja"} and name in errors["body_ja"] and "必ず" in errors["body_ja"]
        with pytest.raises(DomainError):
            register_version(kind, subject=subject, body=stripped)
    assert check(kind, subject, body + "\n追記の一行\n") == {}


def test_only_the_mails_with_a_link_to_act_on_have_required_variables():
    assert {k for k in KINDS if required(k)} == set(SECURITY_LINKS)


@pytest.mark.django_db
def test_the_english_texts_are_checked_like_the_japanese_ones():
    kind = "password_reset"
    subject, body = starter_text(kind)
    ok_en = ("[JAIM] Password reset", "Open this link to set a new password:\n{{ url }}\n")
    assert check(kind, subject, body, *ok_en) == {}
    assert set(check(kind, subject, body, "[JAIM] {{ settings.SECRET_KEY }}", ok_en[1])) == {"subject_en"}
    assert set(check(kind, subject, body, ok_en[0], "No link at all\n")) == {"body_en"}
    assert set(check(kind, subject, body, ok_en[0], "{% include 'x' %}{{ url }}")) == {"body_en"}
    assert set(check(kind, subject, body, ok_en[0], "")) == {"body_en"}  # both or neither
    assert set(check(kind, subject, body, "", ok_en[1])) == {"subject_en"}
    with pytest.raises(DomainError):
        register_version(kind, subject=subject, body=body, subject_en=ok_en[0], body_en="{{ user.password }}")
    version = register_version(kind, subject=subject, body=body, subject_en=ok_en[0], body_en=ok_en[1])
    assert (version.subject_en, version.number) == (ok_en[0], 1)


@pytest.mark.parametrize(
    "source",
    [
        # a list inside itself: n**depth steps with nothing printed that would reach the output's cap
        "{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}{% endfor %}",
        "{% for a in items recursive %}{{ loop(a) }}{% endfor %}",
        "{% for a in items %}{{ loop.cycle('x', 'y') }}{% endfor %}",
        "{% for a in items if a.amount_yen %}x{% endfor %}",
        "{% for a in items %}{{ a.invoice.pdf.path }}{% endfor %}",
        "{% for a in items %}{{ a.invoice.membership.establishment.organisation.corporate_number }}{% endfor %}",
        "{% for a in statement %}{% endfor %}",
    ],
)
def test_loops_are_flat_over_a_declared_list_with_declared_fields_only(source):
    assert set(check("fees_statement_issued", "件名", source)) == {"body_ja"}


def test_a_loop_over_a_declared_list_with_its_fields_is_accepted():
    source = "{% for a in items %}{{ a.invoice.number }} {{ a.amount_yen|yen }}\n{% else %}なし{% endfor %}"
    assert check("fees_statement_issued", "件名", source) == {}


def test_what_renders_is_only_the_declared_plain_values():
    """Even a variable that names a whole object ({{ invoice }}) prints its declared fields, never a model."""
    subject, _body = starter_text("fees_invoice_issued")
    body = "{{ invoice }}{{ site_url }}\n"
    assert check("fees_invoice_issued", subject, body) == {}
    out = _finish(subject, body, examples("fees_invoice_issued"))[1]
    assert "2027-000123" in out and "<" not in out and "object at" not in out


@pytest.mark.django_db
def test_a_saved_version_that_cannot_render_falls_back_to_the_built_in_text():
    """A version rows written around the check (an old one, a later change of the sandbox's rules) never stops a
    mail: the built-in text goes out."""
    from jaim.mail import queue_mail
    from jaim.models import MailTemplate

    tpl = MailTemplate.objects.create(kind="verify_email")
    tpl.versions.create(number=1, subject_ja="件名", body_ja="{{ user.password }}{% include 'x' %}")
    user = SimpleNamespace(full_name="見本 太郎")
    msg = queue_mail(
        to="a@example.jp", template="verify_email", context={"user": user, "url": "U"}, kind="verify_email"
    )
    assert msg.subject == "【JAIM】メールアドレスの確認" and "見本 太郎 様" in msg.body and "U" in msg.body


@pytest.mark.django_db
def test_a_caller_context_without_a_declared_field_falls_back_to_the_built_in_text():
    from jaim.mail import queue_mail
    from jaim.models import MailTemplate

    tpl = MailTemplate.objects.create(kind="verify_email")
    tpl.versions.create(
        number=1, subject_ja="確認 {{ user.full_name }}", body_ja="{{ user.full_name }}\n{{ url }}\n"
    )
    msg = queue_mail(
        to="a@example.jp",
        template="verify_email",
        context={"user": object(), "url": "U"},
        kind="verify_email",
    )
    assert msg.subject == "【JAIM】メールアドレスの確認"  # the built-in text, not a crash of the sender
