from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from civicdesk.accounts.credentials import CredentialsUnreadable
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
            "options": "{}",
            "new_credentials": f'{{"access_token": "{TOKEN}"}}',
        }
        response = client.post(f"/admin/accounts/account/{account.pk}/change/", form)
        assert response.status_code == 302
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
