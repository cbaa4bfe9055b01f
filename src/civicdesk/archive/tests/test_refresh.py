"""Refreshing an archived item from its platform: edits become versions, 404s deletions."""

from __future__ import annotations

import httpx
import pytest
import respx

from civicdesk.accounts.models import Account
from civicdesk.accounts.polling import poll_account
from civicdesk.archive.models import Item, ItemVersion
from civicdesk.archive.refresh import refresh_thread
from civicdesk.archive.verify import verify_archive
from civicdesk.connectors.base import ConnectorError
from civicdesk.connectors.tests.contract_cases import CASES, ContractCase, raw_payload
from civicdesk.inbox.models import Entry
from civicdesk.testing.factories import AccountFactory

pytestmark = pytest.mark.django_db

CONTRACT = {case.name: case for case in CASES}
GRAPH = "https://graph.facebook.com/v23.0"
X_API = "https://api.x.com/2"
COMMENT = "778899000003_900000000010"
POST = "1234567900"


def answer(platform: str, name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=raw_payload(platform, name))


def archived_from(case: ContractCase, page: str) -> Account:
    """An account whose first poll read ``page`` from its first listing."""
    account = AccountFactory.create(
        platform=case.platform, handle="elmcity", options=case.make([]).options
    )
    account.set_credentials(dict(case.make([]).credentials))
    account.save()
    with respx.mock() as router:
        router.get(url__regex=case.listing).mock(return_value=answer(case.platform, page))
        for url, name in case.other_listings.items():
            router.get(url__regex=url).mock(return_value=answer(case.platform, name))
        assert poll_account(account_id=account.pk).error == ""
    return account


def texts(item: Item) -> list[tuple[str, bool]]:
    return [(v.text, v.is_deletion) for v in item.versions.order_by("seq")]


class TestRefreshingAFacebookComment:
    @pytest.fixture
    def comment(self) -> Item:
        archived_from(CONTRACT["facebook"], "comment_edited_before")
        return Item.objects.get(platform_id=COMMENT)

    def test_an_edited_comment_becomes_a_new_version_and_new_replies_are_archived(
        self, comment: Item
    ) -> None:
        with respx.mock() as router:
            router.get(url__regex=rf"{GRAPH}/{COMMENT}\?.*").mock(
                return_value=answer("facebook", "comment")
            )
            replies = router.get(url__regex=rf"{GRAPH}/{COMMENT}/comments.*").mock(
                return_value=answer("facebook", "comment_replies")
            )
            report = refresh_thread(item=comment)

        assert texts(comment) == [
            ("How long will it last?", False),
            ("How long will the closure last?", False),
        ]
        assert comment.versions.order_by("seq").last().source == ItemVersion.Source.POLL
        assert report.new_versions == 2
        reply = Item.objects.get(platform_id="778899000003_900000000011")
        assert reply.parent_platform_id == COMMENT
        assert reply.thread_platform_id == comment.thread_platform_id
        assert Entry.objects.filter(item=reply).exists() is True, "a new reply reaches the inbox"
        assert replies.calls.last.request.url.params["order"] == "chronological"
        assert verify_archive().problems == []

    def test_refreshing_again_writes_nothing(self, comment: Item) -> None:
        for _ in range(2):
            with respx.mock() as router:
                router.get(url__regex=rf"{GRAPH}/{COMMENT}\?.*").mock(
                    return_value=answer("facebook", "comment")
                )
                router.get(url__regex=rf"{GRAPH}/{COMMENT}/comments.*").mock(
                    return_value=answer("facebook", "empty")
                )
                report = refresh_thread(item=comment)
        assert report.new_versions == 0
        assert comment.versions.count() == 2

    @pytest.mark.parametrize(
        "gone",
        [(400, "object_not_found"), (404, "empty")],
        ids=["graph-error-100-33", "http-404"],
    )
    def test_a_comment_that_is_gone_becomes_a_deletion_that_keeps_its_words(
        self, comment: Item, gone: tuple[int, str]
    ) -> None:
        status, name = gone
        with respx.mock() as router:
            router.get(url__regex=rf"{GRAPH}/{COMMENT}\?.*").mock(
                return_value=answer("facebook", name, status)
            )
            report = refresh_thread(item=comment)
        comment.refresh_from_db()
        assert report.deletions == 1
        assert comment.is_deleted is True
        assert texts(comment) == [
            ("How long will it last?", False),
            ("How long will it last?", True),
        ]
        assert comment.latest_version.source == ItemVersion.Source.POLL
        assert verify_archive().problems == []

    def test_a_post_is_refreshed_with_all_its_comments(self) -> None:
        archived_from(CONTRACT["facebook"], "comment_edited_before")
        post = Item.objects.get(platform_id="112233445566_778899000003")
        with respx.mock() as router:
            router.get(url__regex=rf"{GRAPH}/112233445566_778899000003\?.*").mock(
                return_value=answer("facebook", "post")
            )
            comments = router.get(url__regex=rf"{GRAPH}/112233445566_778899000003/comments.*").mock(
                return_value=answer("facebook", "empty")
            )
            refresh_thread(item=post)
        assert comments.calls.last.request.url.params["filter"] == "stream"


class TestRefreshingAnXPost:
    @pytest.fixture
    def mention(self) -> Item:
        archived_from(CONTRACT["x"], "post_edited_before")
        return Item.objects.get(platform_id=POST)

    def test_an_edit_found_in_the_conversation_becomes_a_new_version(self, mention: Item) -> None:
        with respx.mock() as router:
            router.get(url__regex=rf"{X_API}/tweets/{POST}\?.*").mock(
                return_value=answer("x", "tweet_first_version")
            )
            search = router.get(url__regex=rf"{X_API}/tweets/search/recent.*").mock(
                return_value=answer("x", "conversation_edited")
            )
            refresh_thread(item=mention)
        assert search.calls.last.request.url.params["query"] == f"conversation_id:{POST}"
        assert texts(mention) == [
            ("@ElmCity Pool opens at 9?", False),
            ("@ElmCity Pool opens at 10?", False),
        ]
        assert mention.versions.order_by("seq").last().data["edited_at"] is not None

    @pytest.mark.parametrize(
        "gone", [(200, "tweet_not_found"), (404, "empty")], ids=["not-found-error", "http-404"]
    )
    def test_a_deleted_post_becomes_a_deletion_that_keeps_its_words(
        self, mention: Item, gone: tuple[int, str]
    ) -> None:
        status, name = gone
        with respx.mock() as router:
            router.get(url__regex=rf"{X_API}/tweets/{POST}\?.*").mock(
                return_value=answer("x", name, status)
            )
            report = refresh_thread(item=mention)
        mention.refresh_from_db()
        assert report.deletions == 1
        assert mention.is_deleted is True
        assert texts(mention) == [
            ("@ElmCity Pool opens at 9?", False),
            ("@ElmCity Pool opens at 9?", True),
        ]

    def test_a_platform_that_cannot_be_asked_writes_nothing(self, mention: Item) -> None:
        with respx.mock() as router:
            router.get(url__regex=rf"{X_API}/tweets/{POST}\?.*").mock(
                return_value=httpx.Response(429, headers={"Retry-After": "900"})
            )
            with pytest.raises(ConnectorError) as caught:
                refresh_thread(item=mention)
        assert caught.value.retry_after == 900.0
        assert mention.versions.count() == 1
