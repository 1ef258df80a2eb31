"""Default reminder rules (data: staff change or switch them off in the admin; a rule edited there is kept)."""

from django.db import migrations

DEFAULTS = [
    # kind, name, offset_days, repeat_every_days, repeat_times (None = until settled)
    ("RENEWAL_ANSWER", "回答期限の1週間前", -7, 0, 0),
    ("RENEWAL_ANSWER", "回答期限の前日", -1, 0, 0),
    ("RENEWAL_UNPAID", "口座振替日の1週間後から2週間ごと（失効まで）", 7, 14, None),
    ("RETURNED_APPLICATION", "修正期限の3日前", -3, 0, 0),
    ("IDENTITY_FOLLOW_UP", "提出期限の2週間前", -14, 0, 0),
    ("IDENTITY_FOLLOW_UP", "提出期限から2週間ごと（提出まで）", 0, 14, None),
    ("DOCUMENT_EXPIRY", "有効期限の90日前", -90, 0, 0),
    ("DOCUMENT_EXPIRY", "有効期限の30日前", -30, 0, 0),
    ("WAGE_REPORT_OPENING", "受付開始のお知らせ", 0, 0, 0),
    ("WAGE_REPORT_DUE", "提出期限の2週間前", -14, 0, 0),
    ("WAGE_REPORT_DUE", "提出期限の3日前", -3, 0, 0),
    ("WAGE_ADDITIONAL_DUE", "追加報告の期限の2週間前", -14, 0, 0),
    ("WAGE_ADDITIONAL_DUE", "追加報告の期限の3日前", -3, 0, 0),
]


def add_defaults(apps, schema_editor):
    ReminderRule = apps.get_model("lifecycle", "ReminderRule")
    for kind, name, offset, every, times in DEFAULTS:
        ReminderRule.objects.get_or_create(
            kind=kind,
            name=name,
            defaults={"offset_days": offset, "repeat_every_days": every, "repeat_times": times},
        )


class Migration(migrations.Migration):
    dependencies = [("lifecycle", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
