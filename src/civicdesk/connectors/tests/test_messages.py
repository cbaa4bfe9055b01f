"""Direct messages, read within fetch_new as ``message`` items: X, Facebook Pages, Instagram."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
import respx

from civicdesk.connectors.base import Capability, Connector, ItemKind
from civicdesk.connectors.facebook import FacebookConnector
from civicdesk.connectors.instagram import InstagramConnector
from civicdesk.connectors.tests.contract_cases import CASES, ContractCase, payload
from civicdesk.connectors.tests.test_contract import quiet_other_listings, read_all
from civicdesk.connectors.x import XConnector

CONTRACT = {case.platform: case for case in CASES}


@dataclass(frozen=True)
class MessagesCase:
    platform: str
    listing: str  # URL (regex) of the message listing
    pages: tuple[str, ...]  # payloads it serves, in order
    ids: list[str]  # message ids fetch_new returns, in order
    conversation: str  # the conversation of the first two messages
    own_message: str  # sent by the agency account
    first_text: str
    with_media: str = ""  # a message carrying an image

    @property
    def contract(self) -> ContractCase:
        return CONTRACT[self.platform]

    def make(self, **options: object) -> Connector:
        connector = self.contract.make([])
        connector.options = {**connector.options, **options}
        return connector

    def other_listings(self) -> dict[str, str]:
        """The contract case's other listings, less this one (served here)."""
        return {
            url: name for url, name in self.contract.other_listings.items() if url != self.listing
        }


MESSAGE_CASES = [
    MessagesCase(
        platform="x",
        listing=r"https://api\.x\.com/2/dm_events.*",
        pages=("dm_events_page1", "dm_events_page2"),
        ids=["1582838223890771972", "1582838223890771973", "1582838223890771970"],
        conversation="783214-2244994945",
        own_message="1582838223890771973",
        first_text="Is the Elm St. pool open Saturday? The sign says closed.",
        with_media="1582838223890771972",
    ),
    MessagesCase(
        platform="facebook",
        listing=r"https://graph\.facebook\.com/v23\.0/112233445566/conversations.*",
        pages=("conversations", "empty"),
        ids=[
            "m_Qw1eR2tY3uI4oP5aS6dF7gH8jK9lZ0xC1vB2nM3qW4eR5tY6uI7oP8aS9dF0gH1j",
            "m_Xy9zW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK9j",
            "m_Ab2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2q",
        ],
        conversation="t_10158806218386231",
        own_message="m_Ab2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2q",
        first_text="Thank you for fixing the streetlight on 5th.",
        with_media="m_Xy9zW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7zY6xW5vU4tS3rQ2pO1nM0lK9j",
    ),
    MessagesCase(
        platform="instagram",
        listing=r"https://graph\.facebook\.com/v23\.0/17841400000000001/conversations.*",
        pages=("conversations",),
        ids=[
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjMwMDAwMDAwMDAwMDAwMDAx",
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjMwMDAwMDAwMDAwMDAwMDAy",
        ],
        conversation="aWdfZAG06MTpJR01lc3NhZA2VUaHJlYWQ6MTc4NDE0MDAwMDAwMDAwMDE6MzQwMjgyMzY2ODQxNzEw",
        own_message="aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjMwMDAwMDAwMDAwMDAwMDAy",
        first_text="When does fall sports registration open?",
    ),
]

every_platform = pytest.mark.parametrize(
    "case", MESSAGE_CASES, ids=[case.platform for case in MESSAGE_CASES]
)


def serve(router: respx.Router, case: MessagesCase) -> respx.Route:
    """The contract's first listing empty, the other listings quiet, the messages recorded."""
    router.get(url__regex=case.contract.listing).mock(
        return_value=httpx.Response(200, json=payload(case.platform, "empty"))
    )
    for url, name in case.other_listings().items():
        router.get(url__regex=url).mock(
            return_value=httpx.Response(200, json=payload(case.platform, name))
        )
    return router.get(url__regex=case.listing).mock(
        side_effect=[httpx.Response(200, json=payload(case.platform, p)) for p in case.pages]
    )


@every_platform
class TestReadingMessages:
    def test_the_connector_declares_that_it_reads_messages(self, case: MessagesCase) -> None:
        assert case.make().can(Capability.READ_MESSAGES) is True

    def test_messages_come_with_the_rest_of_fetch_new_oldest_first(
        self, case: MessagesCase
    ) -> None:
        with respx.mock(assert_all_called=True) as router:
            serve(router, case)
            items, _ = read_all(case.make(), limit=50)
        messages = [i for i in items if i.kind == ItemKind.MESSAGE]
        assert [m.platform_id for m in messages] == case.ids
        assert len(messages) == len(items), "the empty listings add nothing"
        first = next(m for m in messages if m.text == case.first_text)
        assert first.author_platform_id != ""
        assert (first.author_handle or first.author_name) != ""

    def test_a_conversation_reads_as_one_thread(self, case: MessagesCase) -> None:
        with respx.mock() as router:
            serve(router, case)
            items, _ = read_all(case.make(), limit=50)
        in_conversation = [i for i in items if i.parent_platform_id == case.conversation]
        assert len(in_conversation) == 2
        assert [i.created_at for i in in_conversation] == sorted(
            i.created_at for i in in_conversation
        )

    def test_the_agencys_own_messages_carry_its_handle(self, case: MessagesCase) -> None:
        with respx.mock() as router:
            serve(router, case)
            items, _ = read_all(case.make(), limit=50)
        by_id = {i.platform_id: i for i in items}
        assert by_id[case.own_message].author_handle.lower() == "elmcity"
        others = [i for i in items if i.platform_id != case.own_message]
        assert all(i.author_handle.lower() != "elmcity" for i in others)

    def test_attached_images_are_kept(self, case: MessagesCase) -> None:
        if not case.with_media:
            return
        with respx.mock() as router:
            serve(router, case)
            items, _ = read_all(case.make(), limit=50)
        media = next(i for i in items if i.platform_id == case.with_media).media
        assert [m.kind for m in media] == ["image"]
        assert media[0].url.startswith("https://")

    def test_the_next_sweep_reads_only_what_is_newer(self, case: MessagesCase) -> None:
        with respx.mock() as router:
            serve(router, case)
            _, cursor = read_all(case.make(), limit=50)
        with respx.mock() as router:
            router.get(url__regex=case.contract.listing).mock(
                return_value=httpx.Response(200, json=payload(case.platform, "empty"))
            )
            for url, name in case.other_listings().items():
                router.get(url__regex=url).mock(
                    return_value=httpx.Response(200, json=payload(case.platform, name))
                )
            router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(200, json=payload(case.platform, case.pages[0]))
            )
            again, _ = read_all(case.make(), limit=50, cursor=cursor)
        assert again == []

    def test_an_account_connected_without_message_access_can_leave_messages_out(
        self, case: MessagesCase
    ) -> None:
        with respx.mock(assert_all_called=False) as router:
            messages = router.get(url__regex=case.listing).mock(
                return_value=httpx.Response(403, json={"error": "forbidden"})
            )
            router.get(url__regex=case.contract.listing).mock(
                return_value=httpx.Response(200, json=payload(case.platform, "empty"))
            )
            quiet_other_listings(router, case.contract)
            items, _ = read_all(case.make(read_messages=False), limit=50)
        assert items == []
        assert messages.called is False


def test_x_pages_through_messages_with_the_pagination_token() -> None:
    case = MESSAGE_CASES[0]
    with respx.mock() as router:
        route = serve(router, case)
        read_all(case.make(), limit=50)
    assert "pagination_token" not in route.calls[0].request.url.params
    assert route.calls[1].request.url.params["pagination_token"] == "18LAA581J5II7LA00C00ZZZZ"
    assert route.calls[0].request.url.params["event_types"] == "MessageCreate"


def test_facebook_asks_for_messenger_conversations_with_their_messages() -> None:
    case = MESSAGE_CASES[1]
    with respx.mock() as router:
        route = serve(router, case)
        read_all(case.make(), limit=50)
    params = route.calls[0].request.url.params
    assert params["platform"] == "messenger"
    assert params["fields"] == (
        "id,updated_time,messages.limit(25){id,message,from,to,created_time,attachments}"
    )
    assert route.calls[1].request.url.params["after"] == "QVFIUmNvbnY"


def test_instagram_with_facebook_login_reads_the_linked_pages_conversations() -> None:
    connector = MESSAGE_CASES[2].make(page_id="112233445566")
    with respx.mock() as router:
        router.get(
            url__regex=r"https://graph\.facebook\.com/v23\.0/17841400000000001/media.*"
        ).mock(return_value=httpx.Response(200, json=payload("instagram", "empty")))
        route = router.get(
            url__regex=r"https://graph\.facebook\.com/v23\.0/112233445566/conversations.*"
        ).mock(return_value=httpx.Response(200, json=payload("instagram", "conversations")))
        items, _ = read_all(connector, limit=50)
    assert route.calls[0].request.url.params["platform"] == "instagram"
    assert "messages.limit(20)" in route.calls[0].request.url.params["fields"]
    assert len(items) == 2


@pytest.mark.parametrize(
    "connector", [XConnector, FacebookConnector, InstagramConnector], ids=lambda c: c.__name__
)
def test_reading_messages_is_declared_where_it_is_implemented(connector: type[Connector]) -> None:
    assert Capability.READ_MESSAGES in connector.capabilities
