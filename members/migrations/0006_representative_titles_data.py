"""Seed the kinds of organisation and their legal representatives' titles (R8, FAQ 2-4-7), then move the free-text
代表者役職 onto the list: a known title (or a known longer form such as 代表取締役社長) is mapped; anything else
(工場長, 総務部長 …) is left without a title, so staff see it flagged, and the old text is always kept in
representative_title_text. Data staff edit later is never overwritten (get_or_create by code / title).

Also repairs identity changes whose 効力発生日 was typed into the admin by hand before the date became read-only:
that saved the date but moved no names, so such a change is still pending in fact; its date is cleared so staff
can finish it properly (R13, R14)."""

import unicodedata

from django.db import migrations

LEGAL_FORMS = [
    # code, name, kind, order, titles
    ("kabushiki", "株式会社", "CORPORATION", 10, ["代表取締役", "代表執行役"]),
    ("yugen", "特例有限会社", "CORPORATION", 15, ["取締役", "代表取締役"]),
    ("godo", "合同会社", "CORPORATION", 20, ["代表社員"]),
    ("gomei", "合名会社", "CORPORATION", 21, ["代表社員"]),
    ("goshi", "合資会社", "CORPORATION", 22, ["代表社員"]),
    ("ippan_shadan", "一般社団法人", "CORPORATION", 30, ["代表理事", "理事長"]),
    ("ippan_zaidan", "一般財団法人", "CORPORATION", 31, ["代表理事", "理事長"]),
    ("kumiai", "協同組合等", "CORPORATION", 40, ["代表理事", "理事長"]),
    ("sole", "個人事業主", "SOLE_PROPRIETOR", 90, ["事業主"]),
]

# Words in a company name that tell its kind (after NFKC: （株） → (株)).
NAME_MARKERS = [
    ("kabushiki", ("株式会社", "(株)", "㈱")),
    ("yugen", ("有限会社", "(有)", "㈲")),
    ("godo", ("合同会社", "(同)")),
    ("gomei", ("合名会社", "(名)")),
    ("goshi", ("合資会社", "(資)")),
    ("ippan_shadan", ("一般社団法人", "(一社)")),
    ("ippan_zaidan", ("一般財団法人", "(一財)")),
    ("kumiai", ("協同組合", "組合連合会", "組合")),
]

# Longer forms of a legal title: the legal part is what the list holds.
TITLE_ALIASES = {
    "代表取締役社長": "代表取締役",
    "代表取締役会長": "代表取締役",
    "代表取締役社長執行役員": "代表取締役",
    "代表執行役社長": "代表執行役",
    "代表執行役社長CEO": "代表執行役",
    "代表社員社長": "代表社員",
    "業務執行社員": "代表社員",
    "代表理事長": "代表理事",
    "代表理事会長": "代表理事",
    "代表": "事業主",  # only for a sole proprietor (see _title)
    "代表者": "事業主",
    "店主": "事業主",
    "事業主": "事業主",
}


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def _legal_form_code(org) -> str | None:
    if org.kind == "SOLE_PROPRIETOR":
        return "sole"
    name = _norm(org.name)
    for code, markers in NAME_MARKERS:
        if any(m in name for m in markers):
            return code
    return None


def _title(form_code, text, titles_by_form):
    """The list entry the free text means, or None."""
    text = _norm(text)
    wanted = TITLE_ALIASES.get(text, text)
    if wanted == "事業主" and form_code != "sole":
        return None
    if form_code is not None:
        return titles_by_form.get(form_code, {}).get(wanted)
    # Kind unknown from the name: a title held by exactly one kind tells it.
    holders = [code for code, titles in titles_by_form.items() if wanted in titles]
    if len(holders) == 1 and holders[0] != "sole":
        return titles_by_form[holders[0]][wanted]
    return None


def forward(apps, schema_editor):
    LegalForm = apps.get_model("members", "LegalForm")
    RepresentativeTitle = apps.get_model("members", "RepresentativeTitle")
    Organisation = apps.get_model("members", "Organisation")
    forms = {}
    for code, name, kind, order, titles in LEGAL_FORMS:
        form, _created = LegalForm.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "order": order}
        )
        forms[code] = form
        for i, title in enumerate(titles):
            RepresentativeTitle.objects.get_or_create(legal_form=form, title=title, defaults={"order": i + 1})
    titles_by_form = {}
    for t in RepresentativeTitle.objects.select_related("legal_form"):
        titles_by_form.setdefault(t.legal_form.code, {})[t.title] = t

    for org in Organisation.objects.filter(representative_title__isnull=True).iterator():
        code = _legal_form_code(org)
        title = _title(code, org.representative_title_text, titles_by_form)
        if code is None and title is not None:
            code = title.legal_form.code
        org.legal_form_id = forms[code].pk if code else None
        org.representative_title_id = title.pk if title else None
        org.save(update_fields=["legal_form", "representative_title"])

    IdentityChange = apps.get_model("members", "IdentityChange")
    for ch in IdentityChange.objects.filter(effective_on__isnull=False, completed_at__isnull=True).select_related(
        "establishment__organisation"
    ):
        est = ch.establishment
        moved = est.name == ch.new_establishment_name and est.organisation.name == ch.new_organisation_name
        if not moved:
            ch.effective_on = None
            ch.save(update_fields=["effective_on"])


def backward(apps, schema_editor):
    Organisation = apps.get_model("members", "Organisation")
    Organisation.objects.update(representative_title=None, legal_form=None)


class Migration(migrations.Migration):
    dependencies = [("members", "0005_legal_forms_identity_completion")]

    operations = [migrations.RunPython(forward, backward)]
