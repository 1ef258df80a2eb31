"""The lines' result cards, stored per language (roster.cards.fill_cards). Existing lines start without
(card_format 0): the search renders them when shown, as before, until `manage.py rebuild_roster` (or their next
change) writes them with their cards."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("roster", "0005_nameversion_readings"),
    ]

    operations = [
        migrations.AddField(
            model_name="rosterline",
            name="card_en",
            field=models.TextField(blank=True, default="", verbose_name="表示（英語）"),
        ),
        migrations.AddField(
            model_name="rosterline",
            name="card_format",
            field=models.BigIntegerField(default=0, verbose_name="表示形式"),
        ),
        migrations.AddField(
            model_name="rosterline",
            name="card_ja",
            field=models.TextField(blank=True, default="", verbose_name="表示（日本語）"),
        ),
    ]
