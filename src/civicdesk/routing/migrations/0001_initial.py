"""Routing rules move from triage to their own app: in Django's state only, keeping the table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source, target):
    # Permissions and admin history point at the content type, so it moves with the model.
    content_types = apps.get_model("contenttypes", "ContentType")
    content_types.objects.using(schema_editor.connection.alias).filter(
        app_label=source, model="routingrule"
    ).update(app_label=target)


def rules_content_type_to_routing(apps, schema_editor):
    _move_content_type(apps, schema_editor, "triage", "routing")


def rules_content_type_to_triage(apps, schema_editor):
    _move_content_type(apps, schema_editor, "routing", "triage")


create_routing_rule = migrations.CreateModel(
    name="RoutingRule",
    fields=[
        (
            "id",
            models.BigAutoField(
                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
            ),
        ),
        ("name", models.CharField(max_length=200)),
        ("position", models.PositiveIntegerField(default=100)),
        ("is_enabled", models.BooleanField(default=True)),
        (
            "signals",
            models.JSONField(
                blank=True, default=list, help_text='Signal names, e.g. ["question"].'
            ),
        ),
        (
            "signal_match",
            models.CharField(
                choices=[("any", "any of the signals"), ("all", "all of the signals")],
                default="any",
                max_length=3,
            ),
        ),
        (
            "keywords",
            models.JSONField(
                blank=True,
                default=list,
                help_text="Words or phrases, any of which must appear.",
            ),
        ),
        ("language", models.CharField(blank=True, max_length=16)),
        ("tag", models.CharField(blank=True, max_length=50)),
        (
            "escalate",
            models.BooleanField(
                default=False,
                help_text="Treat as urgent: bring to the top and flag for escalation.",
            ),
        ),
        ("created_at", models.DateTimeField(auto_now_add=True)),
        (
            "account",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.account",
            ),
        ),
        (
            "assign_to",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        (
            "organization",
            models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="routing_rules",
                to="core.organization",
            ),
        ),
        (
            "route_to",
            models.ForeignKey(
                blank=True,
                help_text="The department queue that should answer.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="routing_rules",
                to="core.unit",
            ),
        ),
        (
            "unit",
            models.ForeignKey(
                blank=True,
                help_text="Items on accounts of this unit (and the units below it).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.unit",
            ),
        ),
    ],
    options={
        "db_table": "triage_routingrule",
        "ordering": ["organization", "position", "pk"],
    },
)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0004_poll_lease_token"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_owed_tasks"),
        ("triage", "0002_routing_rules_move_to_routing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[create_routing_rule],
            database_operations=[],
        ),
        migrations.RunPython(rules_content_type_to_routing, rules_content_type_to_triage),
    ]
