from django.db import migrations


class Migration(migrations.Migration):
    """Routing rules now belong to the routing app; their table stays where it is."""

    dependencies = [
        ("triage", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RoutingRule")],
            database_operations=[],
        ),
    ]
