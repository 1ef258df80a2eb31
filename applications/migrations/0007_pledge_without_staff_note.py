"""The seeded 行動規範 pledge carried a note for the secretariat (「※この文面は初期値です…」) that applicants read
as part of what they pledge. The note goes: in place while nobody has accepted the text, otherwise as a new
version (acceptances keep the version they accepted). The secretariat still registers its official wording as a
new version in the admin (docs/decisions.md)."""

from django.db import migrations

NOTE = "\n※この文面は初期値です。事務局が管理画面で正式な文面の新しい版を登録してください。"


def forwards(apps, schema_editor):
    PledgeText = apps.get_model("applications", "PledgeText")
    PledgeAcceptance = apps.get_model("applications", "PledgeAcceptance")
    for pledge in PledgeText.objects.filter(body__contains=NOTE.strip()):
        newer = PledgeText.objects.filter(code=pledge.code, version__gt=pledge.version).exists()
        if newer:
            continue  # the secretariat already registered a later version
        clean = pledge.body.replace(NOTE, "").replace(NOTE.strip(), "").rstrip()
        if not PledgeAcceptance.objects.filter(pledge=pledge).exists():
            pledge.body = clean
            pledge.save(update_fields=["body"])
        else:
            PledgeText.objects.create(
                code=pledge.code,
                version=pledge.version + 1,
                title=pledge.title,
                body=clean,
                kinds=pledge.kinds,
                is_active=True,
                order=pledge.order,
            )


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_withdrawal_kind_retired")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
