"""The registered readings (フリガナ) of the names on each name version, and the lines' search keys with them.

Existing versions take the readings registered today (as a rebuild from members data does: members keeps no
dated history of a reading); the search key of every line is then recomputed by the same function the roster
uses (roster.history.line_search_key). Nothing a result shows changes."""

from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    from roster.history import line_search_key

    NameVersion = apps.get_model("roster", "NameVersion")
    RosterLine = apps.get_model("roster", "RosterLine")
    RosterEntry = apps.get_model("roster", "RosterEntry")
    readings = {
        entry_id: (org_kana or "", est_kana or "")
        for entry_id, org_kana, est_kana in RosterEntry.objects.values_list(
            "pk",
            "membership__establishment__organisation__name_kana",
            "membership__establishment__name_kana",
        ).iterator(chunk_size=BATCH)
    }
    fields = ["organisation_name_kana", "establishment_name_kana"]
    batch = []
    for version in NameVersion.objects.only("pk", "entry_id").iterator(chunk_size=BATCH):
        version.organisation_name_kana, version.establishment_name_kana = readings.get(
            version.entry_id, ("", "")
        )
        batch.append(version)
        if len(batch) >= BATCH:
            NameVersion.objects.bulk_update(batch, fields)
            batch = []
    NameVersion.objects.bulk_update(batch, fields)
    names = ("organisation_name", "establishment_name", "new_organisation_name", "new_establishment_name")
    batch = []
    for line in RosterLine.objects.only("pk", "entry_id", "search_key", *names).iterator(chunk_size=BATCH):
        org_kana, est_kana = readings.get(line.entry_id, ("", ""))
        key = line_search_key(
            {
                **{f: getattr(line, f) for f in names},
                "organisation_name_kana": org_kana,
                "establishment_name_kana": est_kana,
            }
        )
        if key != line.search_key:
            line.search_key = key
            batch.append(line)
        if len(batch) >= BATCH:
            RosterLine.objects.bulk_update(batch, ["search_key"])
            batch = []
    RosterLine.objects.bulk_update(batch, ["search_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("roster", "0004_rosterline_new_prefecture"),
    ]

    operations = [
        migrations.AddField(
            model_name="nameversion",
            name="organisation_name_kana",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="法人名フリガナ"),
        ),
        migrations.AddField(
            model_name="nameversion",
            name="establishment_name_kana",
            field=models.CharField(blank=True, default="", max_length=200, verbose_name="事業所名フリガナ"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
