from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cycles", "0003_cycle_audit_fraction_cycle_head_epochs"),
    ]

    operations = [
        migrations.AddField(
            model_name="score",
            name="instances",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
