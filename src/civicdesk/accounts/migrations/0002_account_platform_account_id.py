from django.db import migrations, models

# Where each connector already kept the account's own id before it had a field of its own.
OWN_ID_OPTIONS = {
    "facebook": "page_id",
    "instagram": "ig_user_id",
    "x": "user_id",
    "youtube": "channel_id",
    "mastodon": "account_id",
}


def copy_ids_from_options(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    for platform, option in OWN_ID_OPTIONS.items():
        for account in Account.objects.filter(platform=platform).only("pk", "options"):
            own_id = str((account.options or {}).get(option) or "")[:200]
            if own_id:
                Account.objects.filter(pk=account.pk).update(platform_account_id=own_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="platform_account_id",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(copy_ids_from_options, migrations.RunPython.noop),
    ]
