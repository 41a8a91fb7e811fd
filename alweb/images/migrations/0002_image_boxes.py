from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("images", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="boxes",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
