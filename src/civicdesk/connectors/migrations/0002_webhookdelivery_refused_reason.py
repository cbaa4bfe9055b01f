from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="refused_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
