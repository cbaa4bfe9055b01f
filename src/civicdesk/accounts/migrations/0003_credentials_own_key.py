from django.db import migrations


def reencrypt_with_credential_key(apps, schema_editor):
    # Credentials stored under the key once derived from SECRET_KEY move to the credential key
    # now, while SECRET_KEY is still the one they were written with.
    from civicdesk.accounts.credentials import rotate_all

    rotate_all(apps.get_model("accounts", "Account"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_account_platform_account_id"),
    ]

    operations = [
        migrations.RunPython(reencrypt_with_credential_key, migrations.RunPython.noop),
    ]
