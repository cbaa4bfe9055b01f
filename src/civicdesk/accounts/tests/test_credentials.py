from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from civicdesk.accounts.credentials import CredentialsUnreadable, _derived_key
from civicdesk.accounts.models import Account
from civicdesk.core.models import AuditEvent
from civicdesk.testing.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "EAAGm0PX4ZCpsBAKZCZA-page-token-7731"


class TestCredentials:
    def test_credentials_are_encrypted_at_rest(self):
        account = AccountFactory.create()
        account.set_credentials({"access_token": TOKEN})
        account.save()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT encrypted_credentials FROM accounts_account WHERE id = %s", [account.pk]
            )
            stored = cursor.fetchone()[0]
        assert TOKEN not in stored
        assert Account.objects.get(pk=account.pk).get_credentials() == {"access_token": TOKEN}

    def test_staff_see_only_a_hint(self):
        account = AccountFactory.create()
        account.set_credentials({"access_token": TOKEN, "pin": "12"})
        assert account.credentials_hint == "access_token: ••••7731, pin: ••••"

    def test_keys_can_be_rotated(self, settings):
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        settings.CREDENTIAL_KEYS = [old]
        account = AccountFactory.create()
        account.set_credentials({"access_token": TOKEN})
        settings.CREDENTIAL_KEYS = [new, old]
        assert account.get_credentials() == {"access_token": TOKEN}
        settings.CREDENTIAL_KEYS = [new]
        with pytest.raises(CredentialsUnreadable, match="reconnect the account"):
            account.get_credentials()

    def test_rotating_the_secret_key_keeps_credentials_readable(self, settings):
        settings.SECRET_KEY = "secret-key-before-rotation-" + "x" * 30
        account = AccountFactory.create()
        account.set_credentials({"access_token": TOKEN})
        account.save()
        settings.SECRET_KEY = "secret-key-after-rotation-" + "y" * 30
        assert Account.objects.get(pk=account.pk).get_credentials() == {"access_token": TOKEN}

    def test_the_setup_page_never_shows_the_secret_and_logs_its_replacement(self, client):
        admin = UserFactory.create(username="setup_admin", is_staff=True, is_superuser=True)
        client.force_login(admin)
        account = AccountFactory.create()
        form = {
            "organization": account.organization_id,
            "unit": account.unit_id,
            "platform": "facebook",
            "handle": account.handle,
            "display_name": account.display_name,
            "url": "",
            "custodian": "",
            "status": "active",
            "poll_interval": 60,
            "options": '{"page_id": "104392"}',
            "new_credentials": f'{{"access_token": "{TOKEN}"}}',
        }
        response = client.post(f"/admin/accounts/account/{account.pk}/change/", form)
        assert response.status_code == 302
        assert Account.objects.get(pk=account.pk).platform_account_id == "104392"
        page = client.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
        assert TOKEN not in page
        assert "••••7731" in page
        event = AuditEvent.objects.get(action="account.credentials_replaced")
        assert event.actor_name == "setup_admin"
        assert TOKEN not in str(event.data)

    def test_bad_credentials_json_is_explained(self, client):
        client.force_login(
            UserFactory.create(username="setup_admin", is_staff=True, is_superuser=True)
        )
        account = AccountFactory.create()
        form = {
            "organization": account.organization_id,
            "unit": account.unit_id,
            "platform": "facebook",
            "handle": account.handle,
            "display_name": account.display_name,
            "status": "active",
            "poll_interval": 60,
            "options": "{}",
            "new_credentials": "{access_token: nope}",
        }
        response = client.post(f"/admin/accounts/account/{account.pk}/change/", form)
        assert "Credentials must be a JSON object" in response.content.decode()


OLD_SECRET_KEY = "secret-key-of-an-earlier-version-" + "z" * 30


def stored_the_earlier_way(account: Account, values: dict) -> None:
    """Credentials as earlier versions wrote them: with a key derived from SECRET_KEY."""
    token = Fernet(_derived_key(OLD_SECRET_KEY)).encrypt(json.dumps(values).encode()).decode()
    Account.objects.filter(pk=account.pk).update(encrypted_credentials=token)


class TestCredentialsOfEarlierVersions:
    def test_they_are_read_and_rotated_onto_the_credential_key(self, settings):
        settings.SECRET_KEY = OLD_SECRET_KEY
        account = AccountFactory.create()
        stored_the_earlier_way(account, {"access_token": TOKEN})
        assert Account.objects.get(pk=account.pk).get_credentials() == {"access_token": TOKEN}
        out = StringIO()
        call_command("rotate_credentials", stdout=out)
        assert out.getvalue() == "Re-encrypted the credentials of 1 accounts.\n"
        settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
        assert Account.objects.get(pk=account.pk).get_credentials() == {"access_token": TOKEN}
        call_command("rotate_credentials", stdout=out)
        assert out.getvalue().endswith("Re-encrypted the credentials of 0 accounts.\n")

    def test_a_secret_key_fallback_still_reads_them(self, settings):
        settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
        settings.SECRET_KEY_FALLBACKS = [OLD_SECRET_KEY]
        account = AccountFactory.create()
        stored_the_earlier_way(account, {"access_token": TOKEN})
        assert Account.objects.get(pk=account.pk).get_credentials() == {"access_token": TOKEN}

    def test_credentials_no_key_reads_are_named_and_the_command_fails(self, settings):
        settings.SECRET_KEY = "a-new-secret-key-" + "n" * 40
        settings.SECRET_KEY_FALLBACKS = []
        account = AccountFactory.create(display_name="Riverbend High")
        stored_the_earlier_way(account, {"access_token": TOKEN})
        err = StringIO()
        with pytest.raises(CommandError, match="reads the credentials of 1 accounts"):
            call_command("rotate_credentials", stdout=StringIO(), stderr=err)
        assert "Riverbend High (facebook)" in err.getvalue()


def test_the_embedded_setup_generates_a_credential_key_of_its_own(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("CIVICDESK_", "DATABASE_URL"))
    }
    show = "from civicdesk import settings; print(','.join(settings.CREDENTIAL_KEYS))"

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", show],
            env={**environment, "CIVICDESK_VAR_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    first = run()
    Fernet(first)  # a valid key, not something derived from the secret key
    assert (tmp_path / "credential_keys").read_text().strip() == first
    assert (tmp_path / "credential_keys").stat().st_mode & 0o777 == 0o600
    assert run() == first
