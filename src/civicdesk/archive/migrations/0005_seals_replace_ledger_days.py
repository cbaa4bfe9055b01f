"""Archive seals replace the per-account daily seals.

Daily seals are not carried over: a seal now covers versions by primary key, chained to the seal
before it, and the first seal run after this migration covers every version already stored.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_stream_source"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnchorDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(unique=True)),
                ("claimed_at", models.DateTimeField()),
                ("first_seal", models.PositiveBigIntegerField(blank=True, null=True)),
                ("last_seal", models.PositiveBigIntegerField(blank=True, null=True)),
                ("sent_to", models.CharField(blank=True, max_length=254)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-day"],
            },
        ),
        migrations.CreateModel(
            name="ArchiveSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.PositiveBigIntegerField(
                        help_text="1, 2, 3, … with no gap.", unique=True
                    ),
                ),
                ("first_version_id", models.PositiveBigIntegerField()),
                ("last_version_id", models.PositiveBigIntegerField(unique=True)),
                ("version_count", models.PositiveIntegerField()),
                ("prev_digest", models.CharField(max_length=64)),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={
                "ordering": ["number"],
            },
        ),
        migrations.DeleteModel(
            name="LedgerDay",
        ),
    ]
