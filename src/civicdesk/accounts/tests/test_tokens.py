"""A refused token is refreshed once before anyone is asked to reconnect the account."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from pytest_django.fixtures import Settings

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import poll_account
from civicdesk.archive.models import Item
from civicdesk.connectors.base import Platform
from civicdesk.connectors.tests.contract_cases import CASES, ContractCase, payload, raw_payload
from civicdesk.core.models import AuditEvent
from civicdesk.testing.factories import AccountFactory

pytestmark = pytest.mark.django_db

CONTRACT = {case.platform: case for case in CASES}
TOKEN_URLS = {
    "x": "https://api.x.com/2/oauth2/token",
    "youtube": "https://oauth2.googleapis.com/token",
    "pinterest": "https://api.pinterest.com/v5/oauth/token",
}
FRESH = {
    "x": "bWRWa3gzdnk3WXFyRkp0RzJqbm9fresh",
    "youtube": "ya29.a0AfB_byfreshaccesstokenvalue",
    "pinterest": "pina_AMAQWBIWAAHZAAAAfreshaccesstoken",
}
EXPIRED = {"access_token": "expired-access-token", "refresh_token": "stored-refresh-token"}


@pytest.fixture(autouse=True)
def platform_apps(settings: Settings) -> None:
    settings.PLATFORM_APPS = {
        platform: {"client_id": f"{platform}-client", "client_secret": f"{platform}-secret"}
        for platform in ("facebook", "instagram", "x", "youtube", "pinterest")
    }


def account_for(case: ContractCase, credentials: dict[str, str], **options: object) -> Account:
    connector = case.make([])
    account = AccountFactory.create(
        platform=case.platform,
        handle="elmcity",
        options={**connector.options, **options},
    )
    account.set_credentials(credentials)
    account.save()
    return account


def body(case: ContractCase, name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=raw_payload(case.platform, name))


def refused() -> httpx.Response:
    return httpx.Response(401, json={"error": "invalid_token"})


def serve_listings(router: respx.Router, case: ContractCase, *first: httpx.Response) -> respx.Route:
    """The first listing answers ``first`` in turn, then its last page; the others are empty."""
    listing = router.get(url__regex=case.listing).mock(
        side_effect=[*first, body(case, case.pages[1])]
    )
    for url, name in case.other_listings.items():
        router.get(url__regex=url).mock(return_value=body(case, name))
    return listing


def events(action: str, account: Account) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_id=str(account.pk)))


@pytest.mark.parametrize("platform", ["x", "youtube", "pinterest"])
class TestRefreshingARefusedToken:
    def test_the_token_is_refreshed_stored_and_the_poll_goes_on(self, platform: str) -> None:
        case = CONTRACT[platform]
        account = account_for(case, EXPIRED)
        with respx.mock() as router:
            listing = serve_listings(router, case, refused())
            token = router.post(TOKEN_URLS[platform]).mock(
                return_value=body(case, "token_refreshed")
            )
            result = poll_account(account_id=account.pk)

        assert result.error == ""
        assert token.call_count == 1
        sent = parse_qs(token.calls.last.request.content.decode())
        assert sent["grant_type"] == ["refresh_token"]
        assert sent["refresh_token"] == ["stored-refresh-token"]
        assert listing.calls[0].request.headers["Authorization"] == "Bearer expired-access-token"
        assert listing.calls[1].request.headers["Authorization"] == f"Bearer {FRESH[platform]}"
        assert sorted(Item.objects.values_list("platform_id", flat=True)) == sorted(
            case.page_ids[1]
        )

        account.refresh_from_db()
        credentials = account.get_credentials()
        assert credentials["access_token"] == FRESH[platform]
        assert credentials["expires_at"] != ""
        assert FRESH[platform][-4:] in account.credentials_hint
        assert account.status == Account.Status.ACTIVE
        refreshed = events("account.token_refreshed", account)
        assert [e.data for e in refreshed] == [{"how": "refresh token"}]
        assert events("account.needs_reconnect", account) == []

    def test_a_refused_refresh_asks_for_a_reconnect_as_before(self, platform: str) -> None:
        case = CONTRACT[platform]
        account = account_for(case, EXPIRED)
        with respx.mock() as router:
            router.get(url__regex=case.listing).mock(return_value=refused())
            router.post(TOKEN_URLS[platform]).mock(
                return_value=httpx.Response(400, json=payload("x", "token_refresh_refused"))
            )
            result = poll_account(account_id=account.pk)

        assert "Reconnect the account." in result.error
        account.refresh_from_db()
        assert account.status == Account.Status.NEEDS_RECONNECT
        assert account.get_credentials() == EXPIRED
        assert events("account.token_refreshed", account) == []
        assert len(events("account.needs_reconnect", account)) == 1


def test_the_refresh_uses_the_apps_client_credentials() -> None:
    case = CONTRACT["x"]
    account = account_for(case, EXPIRED)
    with respx.mock() as router:
        serve_listings(router, case, refused())
        token = router.post(TOKEN_URLS["x"]).mock(return_value=body(case, "token_refreshed"))
        poll_account(account_id=account.pk)
    pair = base64.b64encode(b"x-client:x-secret").decode()
    assert token.calls.last.request.headers["Authorization"] == f"Basic {pair}"
    assert account.__class__.objects.get(pk=account.pk).get_credentials()["refresh_token"] == (
        "d0lTMHpNZ2M0eGZxY0dEbmQ4rotated"
    )


def test_a_token_still_refused_after_refreshing_asks_for_a_reconnect_once() -> None:
    case = CONTRACT["x"]
    account = account_for(case, EXPIRED)
    with respx.mock() as router:
        listing = router.get(url__regex=case.listing).mock(return_value=refused())
        token = router.post(TOKEN_URLS["x"]).mock(return_value=body(case, "token_refreshed"))
        poll_account(account_id=account.pk)
    assert listing.call_count == 2, "the poll is retried once, not again and again"
    assert token.call_count == 1
    account.refresh_from_db()
    assert account.status == Account.Status.NEEDS_RECONNECT
    assert account.get_credentials()["access_token"] == FRESH["x"], "the new token is kept"
    assert len(events("account.token_refreshed", account)) == 1
    assert len(events("account.needs_reconnect", account)) == 1


def test_an_account_without_a_refresh_token_is_flagged_without_asking() -> None:
    case = CONTRACT["x"]
    account = account_for(case, {"access_token": "expired-access-token"})
    with respx.mock(assert_all_called=False) as router:
        router.get(url__regex=case.listing).mock(return_value=refused())
        token = router.post(TOKEN_URLS["x"])
        poll_account(account_id=account.pk)
    assert token.called is False
    account.refresh_from_db()
    assert account.status == Account.Status.NEEDS_RECONNECT


def test_without_a_configured_app_the_account_is_flagged(settings: Settings) -> None:
    settings.PLATFORM_APPS = {"x": {"client_id": "", "client_secret": ""}}
    case = CONTRACT["x"]
    account = account_for(case, EXPIRED)
    with respx.mock(assert_all_called=False) as router:
        router.get(url__regex=case.listing).mock(return_value=refused())
        token = router.post(TOKEN_URLS["x"])
        poll_account(account_id=account.pk)
    assert token.called is False
    account.refresh_from_db()
    assert account.status == Account.Status.NEEDS_RECONNECT


def test_an_unreachable_token_endpoint_is_retried_later_without_flagging_the_account() -> None:
    case = CONTRACT["x"]
    account = account_for(case, EXPIRED)
    with respx.mock() as router:
        router.get(url__regex=case.listing).mock(return_value=refused())
        router.post(TOKEN_URLS["x"]).mock(return_value=httpx.Response(503))
        result = poll_account(account_id=account.pk)
    assert result.error == "X had a server error on POST /2/oauth2/token (HTTP 503)."
    account.refresh_from_db()
    assert account.status == Account.Status.ACTIVE
    assert account.get_credentials() == EXPIRED
    assert events("account.needs_reconnect", account) == []


def test_credentials_another_worker_refreshed_meanwhile_are_used_as_they_are() -> None:
    case = CONTRACT["x"]
    account = account_for(case, EXPIRED)
    with respx.mock(assert_all_called=False) as router:
        listing = router.get(url__regex=case.listing)

        answered: list[httpx.Request] = []

        def refreshed_elsewhere(request: httpx.Request) -> httpx.Response:
            answered.append(request)
            if len(answered) == 1:
                other = Account.objects.get(pk=account.pk)
                other.set_credentials({**EXPIRED, "access_token": "refreshed-by-another-worker"})
                other.save()
                return refused()
            return body(case, case.pages[1])

        listing.mock(side_effect=refreshed_elsewhere)
        for url, name in case.other_listings.items():
            router.get(url__regex=url).mock(return_value=body(case, name))
        token = router.post(TOKEN_URLS["x"])
        result = poll_account(account_id=account.pk)
    assert result.error == ""
    assert token.called is False
    assert listing.calls[1].request.headers["Authorization"] == (
        "Bearer refreshed-by-another-worker"
    )


def test_an_instagram_login_token_is_extended_with_itself() -> None:
    case = CONTRACT["instagram"]
    account = account_for(
        case, {"access_token": "IGQVJYoldlonglivedtoken"}, graph_host="graph.instagram.com"
    )
    listing_url = r"https://graph\.instagram\.com/v23\.0/17841400000000001/media.*"
    with respx.mock() as router:
        listing = router.get(url__regex=listing_url).mock(
            side_effect=[
                httpx.Response(400, json=payload("facebook", "token_expired")),
                body(case, case.pages[1]),
            ]
        )
        router.get(
            url__regex=r"https://graph\.instagram\.com/v23\.0/17841400000000001/conversations.*"
        ).mock(return_value=body(case, "empty"))
        extend = router.get("https://graph.instagram.com/refresh_access_token").mock(
            return_value=body(case, "token_extended")
        )
        result = poll_account(account_id=account.pk)
    assert result.error == ""
    assert extend.calls.last.request.url.params["grant_type"] == "ig_refresh_token"
    assert extend.calls.last.request.url.params["access_token"] == "IGQVJYoldlonglivedtoken"
    assert listing.calls[1].request.headers["Authorization"] == (
        "Bearer IGQVJYextendedlonglivedtoken0000"
    )
    account.refresh_from_db()
    assert account.get_credentials()["access_token"] == "IGQVJYextendedlonglivedtoken0000"


def test_a_facebook_page_token_is_never_refreshed() -> None:
    case = CONTRACT["facebook"]
    account = account_for(case, {"page_access_token": "page-token", "refresh_token": "unused"})
    with respx.mock() as router:
        router.get(url__regex=case.listing).mock(
            return_value=httpx.Response(400, json=payload("facebook", "token_expired"))
        )
        poll_account(account_id=account.pk)
    account.refresh_from_db()
    assert account.status == Account.Status.NEEDS_RECONNECT
    assert events("account.token_refreshed", account) == []


class TestBlueskySessions:
    DID = "did:plc:agencyelmcity0000000000"

    def test_the_session_the_connector_refreshed_is_stored_after_the_poll(self) -> None:
        case = CONTRACT["bluesky"]
        account = account_for(
            case,
            {
                "did": self.DID,
                "handle": "elmcity.bsky.social",
                "access_jwt": "a",
                "refresh_jwt": "r",
            },
        )
        with respx.mock() as router:
            serve_listings(
                router, case, httpx.Response(400, json=payload("bluesky", "expired_token"))
            )
            refresh = router.post(url__regex=case.extra["session_refresh"]).mock(
                return_value=body(case, "refresh_session")
            )
            result = poll_account(account_id=account.pk)
        assert result.error == ""
        assert refresh.calls.last.request.headers["Authorization"] == "Bearer r"
        account.refresh_from_db()
        stored = account.get_credentials()
        session = payload("bluesky", "refresh_session")
        assert stored == {
            "did": self.DID,
            "handle": "elmcity.bsky.social",
            "access_jwt": session["accessJwt"],
            "refresh_jwt": session["refreshJwt"],
        }
        assert [e.data for e in events("account.token_refreshed", account)] == [
            {"how": "session refresh"}
        ]

    def test_an_unchanged_session_is_not_written_again(self) -> None:
        case = CONTRACT["bluesky"]
        account = account_for(case, {"did": self.DID, "access_jwt": "a", "refresh_jwt": "r"})
        before = account.encrypted_credentials
        with respx.mock() as router:
            serve_listings(router, case)
            poll_account(account_id=account.pk)
        account.refresh_from_db()
        assert account.encrypted_credentials == before
        assert events("account.token_refreshed", account) == []


def test_the_platforms_that_refresh_with_a_refresh_token() -> None:
    from civicdesk.accounts.tokens import REFRESH_TOKEN_PLATFORMS

    assert REFRESH_TOKEN_PLATFORMS == {Platform.X, Platform.YOUTUBE, Platform.PINTEREST}
