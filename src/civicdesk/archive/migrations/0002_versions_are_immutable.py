"""Make the database itself refuse to change or delete an archived version."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER archive_itemversion_no_update BEFORE UPDATE ON archive_itemversion
       BEGIN SELECT RAISE(ABORT, 'archived item versions are immutable'); END""",
    """CREATE TRIGGER archive_itemversion_no_delete BEFORE DELETE ON archive_itemversion
       BEGIN SELECT RAISE(ABORT, 'archived item versions cannot be deleted'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS archive_itemversion_no_update",
    "DROP TRIGGER IF EXISTS archive_itemversion_no_delete",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION archive_itemversion_immutable() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'archived item versions are immutable'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER archive_itemversion_no_change BEFORE UPDATE OR DELETE ON archive_itemversion
       FOR EACH ROW EXECUTE FUNCTION archive_itemversion_immutable()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS archive_itemversion_no_change ON archive_itemversion",
    "DROP FUNCTION IF EXISTS archive_itemversion_immutable()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
