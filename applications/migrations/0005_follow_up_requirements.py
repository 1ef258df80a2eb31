"""The documents due once the new company or site operates (R13 FAQ 3-2-2, R14 FAQ 3-2-3): requirement rules of
the stage AFTER_CHANGE. Data staff edit in the admin; an existing type or rule is never overwritten."""

from django.db import migrations

DOCUMENT_TYPES = [
    # code, name, order, help
    ("follow_up_shipment_evidence", "新しい名称での製造品出荷額等の証明書類", 72,
     "新会社・新事業所の稼働後の納品書・出荷指示書・請求書など、新しい名称で製造品出荷額等が生じていることが"
     "分かる書類（FAQ 3-2-2、3-2-3）。"),
    ("relocation_public_document", "新事業所名に変更されたことが確認できる公的書類等", 73,
     "登記簿謄本（登記事項証明書）の写し、新工場の賃貸借契約書の写しなど（FAQ 3-2-3）。"),
]

REQUIREMENTS = [
    # label, kind, document type codes, order
    ("新会社名での製造品出荷額等の証明書類", "NAME_CHANGE", ["follow_up_shipment_evidence"], 45),
    ("新事業所名に変更されたことが確認できる公的書類等", "RELOCATION", ["relocation_public_document"], 55),
    ("新事業所名での製造品出荷額等の証明書類", "RELOCATION", ["follow_up_shipment_evidence"], 56),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("applications", "DocumentType")
    Requirement = apps.get_model("applications", "Requirement")
    types = {}
    for code, name, order, help_text in DOCUMENT_TYPES:
        types[code], _created = DocumentType.objects.get_or_create(
            code=code, defaults={"name": name, "step": "change", "order": order, "help_text": help_text}
        )
    for label, kind, codes, order in REQUIREMENTS:
        if Requirement.objects.filter(label=label, stage="AFTER_CHANGE").exists():
            continue
        req = Requirement.objects.create(label=label, kinds=kind, stage="AFTER_CHANGE", order=order)
        req.document_types.set([types[c] for c in codes])


class Migration(migrations.Migration):
    dependencies = [("applications", "0004_follow_up_documents")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
