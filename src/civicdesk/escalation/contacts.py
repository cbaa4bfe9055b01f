"""How a person is reached: checking an address of each kind, in words staff can act on."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

# Plain http only to the machine itself: the demo's receiver and tests. Anything else would send
# the text of a threat across a network in the clear.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})

EMAIL = "email"
SMS = "sms"
WEBHOOKS = frozenset({"webhook_slack", "webhook_teams", "webhook_json"})


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


def clean_address(kind: str, address: str) -> str:
    """The address in the form it is stored and sent to; raises ValidationError with a sentence."""
    address = address.strip()
    if not address:
        raise ValidationError("Enter where to reach this person.")
    if kind == EMAIL:
        return _clean_email(address)
    if kind == SMS:
        return clean_phone(address)
    if kind in WEBHOOKS:
        return _clean_webhook(address)
    raise ValidationError(f"“{kind}” is not a way Civic Desk can reach people.")


def clean_phone(number: str) -> str:
    """A mobile number in E.164 form (+15125550143); anything else is refused, not guessed at."""
    refusal = (
        f"“{number}” is not a phone number in international form. Write it with a plus sign "
        "and the country code, +1 for the US and Canada, for example +15125550143."
    )
    if not number.startswith("+"):
        raise ValidationError(refusal)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(refusal) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            f"“{number}” is not a valid phone number. Check the digits after the country code."
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _clean_email(address: str) -> str:
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError(
            f"“{address}” is not an e-mail address. Write it as name@example.org."
        ) from exc
    return address


def _clean_webhook(url: str) -> str:
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise ValidationError(
            f"“{url}” is not a web address. Paste the whole webhook URL, starting with https://."
        ) from exc
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValidationError(
            "Webhook addresses must start with https:// so that alerts are encrypted on the way."
        )
    return url
