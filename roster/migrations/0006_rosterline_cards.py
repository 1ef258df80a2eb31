"""The lines' result cards, stored per language in a table of their own (roster.cards.write_cards; inline they
made every line several times wider). Existing lines start without (card_format 0): the search renders them
when shown, as before, until `manage.py rebuild_roster` (or their next change) writes them with their cards.

On PostgreSQL a card is deleted with its line by the database (ON DELETE CASCADE): the writes delete lines in
one statement and Django does not query the cards for it (on_delete=DO_NOTHING, no constraint of Django's)."""

import django.db.models.deletion
from django.db import migrations, models

CASCADE = (
    "ALTER TABLE roster_rostercard ADD CONSTRAINT rostercard_line_cascade FOREIGN KEY (line_id) "
    "REFERENCES roster_rosterline (id) ON DELETE CASCADE"
)
NO_CASCADE = "ALTER TABLE roster_rostercard DROP CONSTRAINT IF EXISTS rostercard_line_cascade"


def _postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('roster', '0005_nameversion_readings'),
    ]

    operations = [
        migrations.CreateModel(
            name='RosterCard',
            fields=[
                ('line', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='card', serialize=False, to='roster.rosterline', verbose_name='名簿の行')),
                ('ja', models.TextField(verbose_name='表示（日本語）')),
                ('en', models.TextField(verbose_name='表示（英語）')),
            ],
            options={
                'verbose_name': '名簿の行の表示',
                'verbose_name_plural': '名簿の行の表示',
            },
        ),
        migrations.AddField(
            model_name='rosterline',
            name='card_format',
            field=models.BigIntegerField(default=0, verbose_name='表示形式'),
        ),
        migrations.RunPython(_postgres(CASCADE), _postgres(NO_CASCADE)),
    ]
