from django.db import migrations

GROUPS = ["reviewer", "finance", "administrator"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    """Staff groups; their permissions are kept in step with the role matrix (jaim.roles) after every migrate."""

    dependencies = [("jaim", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
