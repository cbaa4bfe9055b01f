from __future__ import annotations

import pytest

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import poll_account
from civicdesk.connectors.base import ConnectorError
from civicdesk.core.models import AuditEvent, Membership
from civicdesk.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired_token(monkeypatch):
    class Expired:
        def fetch_new(self, *, cursor, limit):
            raise ConnectorError(
                "The access token has expired (Graph API code 190).", needs_reconnect=True
            )

    monkeypatch.setattr("civicdesk.accounts.polling.connector_for", lambda account: Expired())


def test_an_expired_token_marks_the_account_and_emails_its_owners_once(
    agency, expired_token, smtp_server, run_tasks_now, django_capture_on_commit_callbacks
):
    account = agency.high_school_account
    custodian = UserFactory.create(username="hs_custodian", email="custodian@riverbend.example")
    account.custodian = custodian
    account.save()
    agency.district_admin.email = "comms@riverbend.example"
    agency.district_admin.save()
    agency.school_editor.email = "editor@riverbend.example"  # an editor, not an owner
    agency.school_editor.save()
    outsider = UserFactory.create(username="hillside_admin", email="admin@hillside.example")
    MembershipFactory.create(
        user=outsider, unit=agency.other_account.unit, role=Membership.Role.ADMIN
    )

    with django_capture_on_commit_callbacks(execute=True):
        poll_account(account_id=account.pk)
    with django_capture_on_commit_callbacks(execute=True):
        poll_account(account_id=account.pk)

    account.refresh_from_db()
    assert account.status == Account.Status.NEEDS_RECONNECT
    assert account.last_error == "The access token has expired (Graph API code 190)."
    assert len(smtp_server.messages) == 1, "owners are told once, not at every poll"
    message = smtp_server.messages[0]
    assert sorted(a.strip() for a in message["To"].split(",")) == [
        "comms@riverbend.example",
        "custodian@riverbend.example",
    ]
    assert message["Subject"] == "Reconnect Riverbend High (Facebook)"
    assert "The access token has expired (Graph API code 190)." in message.get_content()
    assert (
        AuditEvent.objects.filter(
            action="account.needs_reconnect", target_id=str(account.pk)
        ).count()
        == 1
    )


def test_an_account_needing_reconnect_is_not_polled_again(
    agency, expired_token, smtp_server, run_tasks_now
):
    from civicdesk.accounts.polling import claim_due_accounts

    poll_account(account_id=agency.district_account.pk)
    Account.objects.update(
        next_poll_at=Account.objects.get(pk=agency.district_account.pk).next_poll_at
    )
    assert agency.district_account.pk not in claim_due_accounts(
        now=Account.objects.get(pk=agency.district_account.pk).next_poll_at
    )
