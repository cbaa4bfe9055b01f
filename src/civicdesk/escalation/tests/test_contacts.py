from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from civicdesk.escalation.contacts import clean_address
from civicdesk.escalation.models import ContactMethod
from civicdesk.testing.factories import UserFactory


class TestPhoneNumbers:
    def test_an_e164_number_is_kept(self):
        assert clean_address("sms", "+15125550143") == "+15125550143"

    def test_spaces_and_dashes_after_the_country_code_are_tidied(self):
        assert clean_address("sms", "+1 512-555-0143") == "+15125550143"

    def test_a_local_number_is_refused_with_how_to_write_it(self):
        with pytest.raises(ValidationError) as refused:
            clean_address("sms", "512-555-0143")
        assert refused.value.messages == [
            "“512-555-0143” is not a phone number in international form. Write it with a plus "
            "sign and the country code, +1 for the US and Canada, for example +15125550143."
        ]

    def test_a_number_that_cannot_exist_is_refused(self):
        with pytest.raises(ValidationError, match="not a valid phone number"):
            clean_address("sms", "+15555550143")


class TestOtherAddresses:
    def test_an_email_address_must_be_one(self):
        assert clean_address("email", "lead@riverbend.example") == "lead@riverbend.example"
        with pytest.raises(ValidationError, match="Write it as name@example.org."):
            clean_address("email", "lead at riverbend")

    @pytest.mark.parametrize("kind", ["webhook_slack", "webhook_teams", "webhook_json"])
    def test_webhooks_must_be_https(self, kind):
        assert clean_address(kind, "https://hooks.example.org/T1") == "https://hooks.example.org/T1"
        with pytest.raises(ValidationError) as refused:
            clean_address(kind, "http://hooks.example.org/T1")
        assert refused.value.messages == [
            "Webhook addresses must start with https:// so that alerts are encrypted on the way."
        ]

    @pytest.mark.parametrize("url", ["http://localhost:8025/hook", "http://127.0.0.1/hook"])
    def test_plain_http_is_allowed_to_this_machine(self, url):
        assert clean_address("webhook_json", url) == url


@pytest.mark.django_db
def test_a_contact_method_explains_its_bad_address_on_the_field():
    method = ContactMethod(user=UserFactory.create(), kind="sms", address="512-555-0143")
    with pytest.raises(ValidationError) as refused:
        method.full_clean()
    assert "+15125550143" in refused.value.message_dict["address"][0]


@pytest.mark.django_db
def test_each_contact_method_gets_its_own_signing_secret():
    user = UserFactory.create()
    first = ContactMethod.objects.create(
        user=user, kind="webhook_json", address="https://a.example"
    )
    second = ContactMethod.objects.create(
        user=user, kind="webhook_json", address="https://b.example"
    )
    assert len(first.signing_secret) >= 40
    assert first.signing_secret != second.signing_secret
