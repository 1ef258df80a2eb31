"""Follow-up documents of a finished merger or relocation (R13, R14)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0003_queue_order_index'),
        ('members', '0005_legal_forms_identity_completion'),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='identity_change',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='application', to='members.identitychange', verbose_name='受理した名称変更・移転'),
        ),
        migrations.AddField(
            model_name='document',
            name='is_follow_up',
            field=models.BooleanField(default=False, help_text='名称変更・移転の稼働後に提出された書類（R13、R14）。', verbose_name='稼働後の追加書類'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='stage',
            field=models.CharField(choices=[('APPLICATION', '申請時に提出'), ('AFTER_CHANGE', '新会社・新事業所の稼働後に提出（名称変更・移転）')], default='APPLICATION', help_text='「稼働後」の要件は、名称変更・移転の稼働を事務局が確認したときに提出期限付きで求めます（FAQ 3-2-2、3-2-3）。', max_length=16, verbose_name='提出の時期'),
        ),
    ]
