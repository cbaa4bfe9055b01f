"""Which items an account posted itself: by the platform's account id, else by its handle."""

from __future__ import annotations

import pytest

from civicdesk.testing.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mastodon_account():
    return AccountFactory.create(
        platform="mastodon",
        handle="elmcity",
        platform_account_id="AdHrt1BvfJ3xfPnKdY",
        options={"instance": "https://social.elm.example", "account_id": "AdHrt1BvfJ3xfPnKdY"},
    )


class TestIsAuthorOf:
    def test_an_own_status_whose_acct_names_the_domain_is_the_accounts(self, mastodon_account):
        assert (
            mastodon_account.is_author_of(
                author_platform_id="AdHrt1BvfJ3xfPnKdY",
                author_handle="elmcity@social.elm.example",
            )
            is True
        )

    def test_the_same_name_with_another_id_is_someone_else(self, mastodon_account):
        assert (
            mastodon_account.is_author_of(
                author_platform_id="AdHsy2WQP5M3ZYXJGa", author_handle="elmcity"
            )
            is False
        )

    @pytest.mark.parametrize(
        ("handle", "is_own"),
        [
            ("elmcity", True),
            ("@ElmCity", True),
            ("elmcity@social.elm.example", True),
            ("elmcity@mastodon.social", False),
            ("jane", False),
        ],
    )
    def test_without_ids_the_handle_decides_ignoring_the_own_domain(self, handle, is_own):
        account = AccountFactory.create(
            platform="mastodon",
            handle="elmcity",
            options={"instance": "https://social.elm.example"},
        )
        assert account.is_author_of(author_platform_id="", author_handle=handle) is is_own

    def test_on_other_platforms_a_handle_with_a_domain_is_not_shortened(self):
        account = AccountFactory.create(platform="x", handle="elmcity")
        assert account.is_author_of(author_platform_id="", author_handle="elmcity@x.com") is False
        assert account.is_author_of(author_platform_id="", author_handle="@ElmCity") is True
