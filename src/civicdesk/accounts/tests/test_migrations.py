"""Upgrading keeps every account readable and knows each one's platform id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civicdesk.accounts.credentials import _derived_key
from civicdesk.accounts.models import Account

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0003_credentials_own_key")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_moves_credentials_off_the_secret_key_and_copies_platform_ids(settings):
    settings.SECRET_KEY = "the-secret-key-before-the-upgrade-" + "q" * 30
    old = migrate(BEFORE)
    try:
        organization = old.get_model("core", "Organization").objects.create(
            name="Elm City", slug="elm-city-upgrade"
        )
        unit = old.get_model("core", "Unit").objects.create(organization=organization, name="Parks")
        token = Fernet(_derived_key(settings.SECRET_KEY)).encrypt(
            json.dumps({"access_token": "tok-0001"}).encode()
        )
        pk = (
            old.get_model("accounts", "Account")
            .objects.create(
                organization=organization,
                unit=unit,
                platform="mastodon",
                handle="elmcity",
                display_name="Elm City Parks",
                options={"instance": "https://social.elm.example", "account_id": "AdHrt1B"},
                encrypted_credentials=token.decode(),
            )
            .pk
        )
        migrate(AFTER)
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        settings.SECRET_KEY = "the-secret-key-after-a-rotation-" + "r" * 30
        account = Account.objects.get(pk=pk)
        assert account.get_credentials() == {"access_token": "tok-0001"}
        assert account.platform_account_id == "AdHrt1B"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
