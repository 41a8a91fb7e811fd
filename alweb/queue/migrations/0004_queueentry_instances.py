from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0003_queueentry_is_audit_queueentry_top_percent"),
    ]

    operations = [
        migrations.AddField(
            model_name="queueentry",
            name="instances",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
