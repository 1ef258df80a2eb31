from django.db import migrations


def load(apps, schema_editor):
    from members.jsic_data import load as load_jsic

    load_jsic(apps.get_model("members", "JsicCode"), apps.get_model("members", "FieldEligibility"))


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
