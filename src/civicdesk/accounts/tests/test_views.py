from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import respx
import time_machine
from django.db import transaction
from django.urls import reverse

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.archive.models import Item, ItemVersion, RecaptureSpend
from civicdesk.core.models import AuditEvent
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import AccountFactory, record

pytestmark = pytest.mark.django_db

X_TOKEN_URL = "https://api.x.com/2/oauth2/token"


@pytest.fixture
def x_app(settings):
    settings.PLATFORM_APPS = {
        **settings.PLATFORM_APPS,
        "x": {"client_id": "cd-client", "client_secret": "cd-secret"},
    }


class TestAccountList:
    def test_shows_health_and_only_a_hint_of_the_keys(self, client, agency):
        account = agency.high_school_account
        account.set_credentials({"access_token": "EAAGm0PX4ZCpsBAKZCZA-secret-7731"})
        account.status = Account.Status.NEEDS_RECONNECT
        account.last_error = "The access token has expired."
        account.save()
        client.force_login(agency.district_admin)
        page = client.get(reverse("accounts:index")).content.decode()
        assert "Riverbend High" in page and "Needs reconnect" in page
        assert "The access token has expired." in page
        assert "••••7731" in page and "secret-7731" not in page
        assert "Hillside USD" not in page

    def test_a_school_editor_cannot_connect_an_account(self, client, agency):
        client.force_login(agency.school_editor)
        response = client.get(reverse("accounts:connect", args=[agency.high_school_account.pk]))
        assert response.status_code == 403


class TestConnectWithOAuth:
    def test_sign_in_on_x_and_come_back_connected(self, client, agency, x_app):
        account = AccountFactory.create(
            unit=agency.high_school,
            platform="x",
            handle="@RiverbendHigh",
            options={"user_id": "42"},
        )
        client.force_login(agency.district_admin)
        leave = client.post(reverse("accounts:connect", args=[account.pk]))
        assert leave.status_code == 302
        sent = urlparse(leave["Location"])
        query = parse_qs(sent.query)
        assert (sent.netloc, query["client_id"], query["code_challenge_method"]) == (
            "x.com",
            ["cd-client"],
            ["S256"],
        )

        with respx.mock:
            token = respx.post(X_TOKEN_URL).mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "access_token": "x-access-123456",
                        "refresh_token": "x-refresh-654321",
                        "expires_in": 7200,
                        "token_type": "bearer",
                        "scope": "tweet.read offline.access",
                    },
                )
            )
            back = client.get(
                reverse("accounts:oauth_callback"),
                {"state": query["state"][0], "code": "code-from-x"},
            )
        assert back.status_code == 302
        form = parse_qs(token.calls.last.request.content.decode())
        assert form["code"] == ["code-from-x"] and form["grant_type"] == ["authorization_code"]
        assert len(form["code_verifier"][0]) >= 43
        account.refresh_from_db()
        assert account.get_credentials()["refresh_token"] == "x-refresh-654321"
        assert account.status == Account.Status.ACTIVE
        assert account.custodian == agency.district_admin
        assert account.platform_account_id == "42"
        assert AuditEvent.objects.filter(action="account.connected", data__how="oauth").count() == 1

    @pytest.mark.parametrize("state", ["forged", "", "ŝtåte-ünicode"])
    def test_a_callback_with_another_state_is_refused(self, client, agency, x_app, state):
        account = AccountFactory.create(unit=agency.high_school, platform="x", handle="@rh2")
        client.force_login(agency.district_admin)
        client.post(reverse("accounts:connect", args=[account.pk]))
        response = client.get(
            reverse("accounts:oauth_callback"), {"state": state, "code": "x"}, follow=True
        )
        assert "This sign-in link is stale or was not started here." in response.content.decode()
        account.refresh_from_db()
        assert account.encrypted_credentials == ""

    def test_without_a_registered_app_the_page_says_what_to_set(self, client, agency):
        account = AccountFactory.create(
            unit=agency.high_school, platform="youtube", handle="RiverbendHighTV"
        )
        client.force_login(agency.district_admin)
        response = client.post(reverse("accounts:connect", args=[account.pk]))
        assert response.status_code == 409
        assert (
            "set CIVICDESK_YOUTUBE_CLIENT_ID and CIVICDESK_YOUTUBE_CLIENT_SECRET"
            in response.content.decode()
        )

    def test_a_refused_code_is_explained(self, client, agency, x_app):
        account = AccountFactory.create(unit=agency.high_school, platform="x", handle="@rh3")
        client.force_login(agency.district_admin)
        state = parse_qs(
            urlparse(client.post(reverse("accounts:connect", args=[account.pk]))["Location"]).query
        )["state"][0]
        with respx.mock:
            respx.post(X_TOKEN_URL).mock(
                return_value=httpx.Response(
                    400,
                    json={
                        "error": "invalid_grant",
                        "error_description": "Value passed for the authorization code was invalid.",
                    },
                )
            )
            response = client.get(
                reverse("accounts:oauth_callback"), {"state": state, "code": "old"}, follow=True
            )
        assert "Value passed for the authorization code was invalid." in response.content.decode()


class TestConnectBluesky:
    def test_an_app_password_becomes_a_stored_session(self, client, agency):
        account = AccountFactory.create(
            unit=agency.high_school, platform="bluesky", handle="riverbendhigh.bsky.social"
        )
        client.force_login(agency.district_admin)
        with respx.mock:
            respx.post("https://bsky.social/xrpc/com.atproto.server.createSession").mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "did": "did:plc:abc123",
                        "handle": "riverbendhigh.bsky.social",
                        "accessJwt": "eyJ-access-0001",
                        "refreshJwt": "eyJ-refresh-0002",
                    },
                )
            )
            response = client.post(
                reverse("accounts:connect", args=[account.pk]),
                {"identifier": "riverbendhigh.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"},
            )
        assert response.status_code == 302
        account.refresh_from_db()
        assert account.get_credentials()["did"] == "did:plc:abc123"
        assert account.platform_account_id == "did:plc:abc123"
        assert "abcd-efgh" not in str(account.get_credentials())


class TestConnectMastodon:
    VERIFY = "https://social.elm.example/api/v1/accounts/verify_credentials"

    def test_an_access_token_is_checked_and_the_account_keeps_its_id(self, client, agency):
        account = AccountFactory.create(
            unit=agency.high_school,
            platform="mastodon",
            handle="elmcity",
            options={"instance": "https://social.elm.example"},
        )
        client.force_login(agency.district_admin)
        with respx.mock:
            verify = respx.get(self.VERIFY).mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "id": "AdHrt1BvfJ3xfPnKdY",
                        "username": "elmcity",
                        "acct": "elmcity",
                        "display_name": "Elm City Parks",
                    },
                )
            )
            response = client.post(
                reverse("accounts:connect", args=[account.pk]), {"access_token": "tok-0001"}
            )
        assert response.status_code == 302
        assert verify.calls.last.request.headers["Authorization"] == "Bearer tok-0001"
        account.refresh_from_db()
        assert account.platform_account_id == "AdHrt1BvfJ3xfPnKdY"
        assert account.options["account_id"] == "AdHrt1BvfJ3xfPnKdY"
        assert account.get_credentials() == {"access_token": "tok-0001"}
        assert account.status == Account.Status.ACTIVE

    def test_a_token_the_server_refuses_is_not_kept(self, client, agency):
        account = AccountFactory.create(
            unit=agency.high_school,
            platform="mastodon",
            handle="elmcity",
            options={"instance": "https://social.elm.example"},
        )
        client.force_login(agency.district_admin)
        with respx.mock:
            respx.get(self.VERIFY).mock(
                return_value=httpx.Response(400, text="Invalid Bearer token")
            )
            response = client.post(
                reverse("accounts:connect", args=[account.pk]), {"access_token": "wrong"}
            )
        assert response.status_code == 400
        assert "Invalid Bearer token" in response.content.decode()
        account.refresh_from_db()
        assert account.encrypted_credentials == ""
        assert account.platform_account_id == ""


class TestLogByHand:
    def test_a_snapchat_item_copied_by_hand_is_archived_and_in_the_inbox(self, client, agency):
        account = AccountFactory.create(
            unit=agency.high_school, platform="snapchat", handle="riverbendhigh"
        )
        client.force_login(agency.school_editor)
        page = client.get(reverse("accounts:log_item", args=[account.pk])).content.decode()
        assert "has no public API" in page
        response = client.post(
            reverse("accounts:log_item", args=[account.pk]),
            {
                "kind": "message",
                "text": "Someone posted a video of the fight at lunch",
                "author_handle": "student_x",
                "posted_at": "2026-11-24T12:30",
                "url": "",
            },
        )
        item = Item.objects.get(account=account)
        assert response["Location"] == item.get_absolute_url()
        assert item.latest_version.source == ItemVersion.Source.MANUAL
        assert item.latest_version.text == "Someone posted a video of the fight at lunch"
        assert Entry.objects.filter(item=item).exists()
        assert AuditEvent.objects.get(action="archive.logged_by_hand").actor_name == "school_editor"

    @pytest.mark.parametrize(
        "posted_at", ["0001-01-01T00:00", "2003-12-31T12:00", "2026-11-26T12:30"]
    )
    def test_a_date_before_2004_or_not_yet_come_is_refused(self, client, agency, posted_at):
        account = AccountFactory.create(unit=agency.high_school, platform="snapchat")
        client.force_login(agency.school_editor)
        with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
            response = client.post(
                reverse("accounts:log_item", args=[account.pk]),
                {"kind": "message", "text": "Fight at lunch", "posted_at": posted_at, "url": ""},
            )
        assert response.status_code == 200
        assert (
            "Enter when it was posted: a date from 2004 on, and not in the future."
            in response.content.decode()
        )
        assert Item.objects.filter(account=account).exists() is False

    def test_a_date_later_today_in_another_time_zone_is_accepted(self, client, agency):
        account = AccountFactory.create(unit=agency.high_school, platform="snapchat")
        client.force_login(agency.school_editor)
        with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
            response = client.post(
                reverse("accounts:log_item", args=[account.pk]),
                {"kind": "message", "text": "Fight at lunch", "posted_at": "2026-11-25T12:30"},
            )
        assert response.status_code == 302
        assert Item.objects.get(account=account).created_at.year == 2026


class TestRecaptureOnTheAccountList:
    def test_shows_calls_against_the_budget_and_the_items_whose_check_is_overdue(
        self, client, agency, django_assert_max_num_queries
    ):
        start = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
        account = agency.high_school_account
        with time_machine.travel(start, tick=False), transaction.atomic():
            store_records(
                account=account, records=[record(f"c{i}") for i in range(3)], source="poll"
            )
        RecaptureSpend.objects.create(
            account=account, window_start=start, calls=4, last_run_at=start
        )
        client.force_login(agency.district_admin)
        with time_machine.travel(start + timedelta(minutes=30), tick=False):
            with django_assert_max_num_queries(12):
                page = client.get(reverse("accounts:index")).content.decode()
        assert "4 of 4800 calls today" in page
        assert '3 due, <strong class="overdue">3 overdue</strong>' in page
        assert "last <time" in page
