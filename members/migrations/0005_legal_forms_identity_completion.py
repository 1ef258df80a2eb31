"""Kinds of organisation and their representatives' titles (R8); finishing identity changes (R13, R14)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0004_establishment_prefecture_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='LegalForm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=30, unique=True, verbose_name='コード')),
                ('name', models.CharField(max_length=60, unique=True, verbose_name='名称')),
                ('kind', models.CharField(choices=[('CORPORATION', '法人'), ('SOLE_PROPRIETOR', '個人事業主')], default='CORPORATION', max_length=20, verbose_name='法人・個人の別')),
                ('order', models.PositiveSmallIntegerField(default=100, verbose_name='表示順')),
                ('is_active', models.BooleanField(default=True, verbose_name='有効')),
            ],
            options={
                'verbose_name': '法人の種類',
                'verbose_name_plural': '法人の種類',
                'ordering': ['order', 'code'],
            },
        ),
        migrations.CreateModel(
            name='RepresentativeTitle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=60, verbose_name='代表者の役職')),
                ('order', models.PositiveSmallIntegerField(default=100, verbose_name='表示順')),
                ('is_active', models.BooleanField(default=True, verbose_name='有効')),
            ],
            options={
                'verbose_name': '代表者の役職',
                'verbose_name_plural': '代表者の役職',
                'ordering': ['legal_form__order', 'order', 'id'],
            },
        ),
        migrations.AlterModelOptions(
            name='identitychange',
            options={'ordering': ['-accepted_on', '-id'], 'permissions': [('complete_identitychange', '新会社・新事業所の稼働を確認できる')], 'verbose_name': '名称変更・移転', 'verbose_name_plural': '名称変更・移転'},
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='completed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='稼働を確認した日時'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='completed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='稼働の確認者'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='follow_up_overdue_on',
            field=models.DateField(blank=True, null=True, verbose_name='提出期限超過として記録した日'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='follow_up_submitted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='追加書類がそろった日時'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='reported_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='稼働の報告日時'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='reported_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='稼働の報告者'),
        ),
        migrations.AddField(
            model_name='historicalidentitychange',
            name='reported_effective_on',
            field=models.DateField(blank=True, null=True, verbose_name='会員が報告した稼働日'),
        ),
        migrations.AddField(
            model_name='historicalorganisation',
            name='representative_since',
            field=models.DateField(blank=True, help_text='登記事項証明書に記載の就任日。', null=True, verbose_name='代表者の就任日'),
        ),
        # The free text stays, under its own name: the title becomes a choice from the list (R8).
        migrations.RenameField(
            model_name='historicalorganisation',
            old_name='representative_title',
            new_name='representative_title_text',
        ),
        migrations.AlterField(
            model_name='historicalorganisation',
            name='representative_title_text',
            field=models.CharField(blank=True, help_text='役職を一覧から選ぶ方式にする前に入力されていた文字列。事務局の確認用に残しています。', max_length=60, verbose_name='移行前の代表者役職（入力どおり）'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='completed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='稼働を確認した日時'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='completed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='稼働の確認者'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='follow_up_overdue_on',
            field=models.DateField(blank=True, null=True, verbose_name='提出期限超過として記録した日'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='follow_up_submitted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='追加書類がそろった日時'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='reported_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='稼働の報告日時'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='reported_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='稼働の報告者'),
        ),
        migrations.AddField(
            model_name='identitychange',
            name='reported_effective_on',
            field=models.DateField(blank=True, null=True, verbose_name='会員が報告した稼働日'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='representative_since',
            field=models.DateField(blank=True, help_text='登記事項証明書に記載の就任日。', null=True, verbose_name='代表者の就任日'),
        ),
        # The free text stays, under its own name: the title becomes a choice from the list (R8).
        migrations.RenameField(
            model_name='organisation',
            old_name='representative_title',
            new_name='representative_title_text',
        ),
        migrations.AlterField(
            model_name='organisation',
            name='representative_title_text',
            field=models.CharField(blank=True, help_text='役職を一覧から選ぶ方式にする前に入力されていた文字列。事務局の確認用に残しています。', max_length=60, verbose_name='移行前の代表者役職（入力どおり）'),
        ),
        migrations.AlterField(
            model_name='historicalidentitychange',
            name='follow_up_done_on',
            field=models.DateField(blank=True, null=True, verbose_name='追加書類の確認日'),
        ),
        migrations.AlterField(
            model_name='identitychange',
            name='follow_up_done_on',
            field=models.DateField(blank=True, null=True, verbose_name='追加書類の確認日'),
        ),
        migrations.AddConstraint(
            model_name='identitychange',
            constraint=models.CheckConstraint(condition=models.Q(('effective_on__isnull', True), ('effective_on__gte', models.F('accepted_on')), _connector='OR'), name='identitychange_effective_after_accepted'),
        ),
        migrations.AddField(
            model_name='historicalorganisation',
            name='legal_form',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='members.legalform', verbose_name='法人の種類'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='legal_form',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.legalform', verbose_name='法人の種類'),
        ),
        migrations.AddField(
            model_name='representativetitle',
            name='legal_form',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='representative_titles', to='members.legalform', verbose_name='法人の種類'),
        ),
        migrations.AddField(
            model_name='historicalorganisation',
            name='representative_title',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='法人の種類ごとの法律上の代表者の役職から選びます（FAQ 2-4-7）。', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='members.representativetitle', verbose_name='代表者役職'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='representative_title',
            field=models.ForeignKey(blank=True, help_text='法人の種類ごとの法律上の代表者の役職から選びます（FAQ 2-4-7）。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='members.representativetitle', verbose_name='代表者役職'),
        ),
        migrations.AddConstraint(
            model_name='representativetitle',
            constraint=models.UniqueConstraint(fields=('legal_form', 'title'), name='reptitle_unique_per_form'),
        ),
    ]
