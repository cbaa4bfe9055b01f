"""Alerts sent as text messages through Twilio's Messages API.

Settings: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM`` (a phone number in
E.164 form, or a Messaging Service SID starting with "MG").
"""

from __future__ import annotations

import time

import httpx
from django.conf import settings
from pydantic import BaseModel, ValidationError

from civicdesk.connectors.http import USER_AGENT, retry_after_seconds

from .alert import Alert, sms_text
from .outcome import Outcome

MESSAGES_URL = "https://api.twilio.com/2010-04-01/Accounts/{account_sid}/Messages.json"
TIMEOUT = httpx.Timeout(15.0)
TOO_MANY_REQUESTS = 20429


class TwilioMessage(BaseModel):
    sid: str
    status: str = ""


class TwilioError(BaseModel):
    code: int | None = None
    message: str = ""
    detail: str = ""  # sent with some codes, 20003 for one
    more_info: str = ""


def send_sms(alert: Alert, to_number: str) -> Outcome:
    """Send the alert's one line and short acknowledge link to ``to_number``.

    Twilio accepting the message (201, status "queued") counts as delivered; the handset may
    still be off. A timeout after the request went out is retried, and Twilio does not document
    deduplicating that repeat, so the person may get the text twice: better than not at all.
    """
    account_sid = getattr(settings, "TWILIO_ACCOUNT_SID", "")
    auth_token = getattr(settings, "TWILIO_AUTH_TOKEN", "")
    sender = getattr(settings, "TWILIO_FROM", "")
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", account_sid),
            ("TWILIO_AUTH_TOKEN", auth_token),
            ("TWILIO_FROM", sender),
        )
        if not value
    ]
    if missing:
        return Outcome.failed(f"SMS is not set up: {', '.join(missing)} must be set.")
    form = {
        "To": to_number.strip(),
        "MessagingServiceSid" if sender.startswith("MG") else "From": sender,
        "Body": sms_text(alert),
    }
    try:
        response = httpx.post(
            MESSAGES_URL.format(account_sid=account_sid),
            data=form,
            auth=(account_sid, auth_token),
            headers={"I-Twilio-Idempotency-Token": alert.idempotency_key, "User-Agent": USER_AGENT},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        return Outcome.retry(f"Twilio did not answer ({type(exc).__name__}: {exc}).")
    return _outcome(response)


def _outcome(response: httpx.Response) -> Outcome:
    if response.is_success:
        try:
            return Outcome.delivered(TwilioMessage.model_validate_json(response.content).sid)
        except ValidationError:
            # Twilio took the message; sending it again would text the person twice.
            return Outcome.delivered()
    try:
        error = TwilioError.model_validate_json(response.content)
    except ValidationError:
        error = TwilioError(message=response.text.strip())
    code = f"Twilio error {error.code}" if error.code else f"Twilio HTTP {response.status_code}"
    said = " ".join(
        part for part in (error.message, f"({error.detail})" if error.detail else "") if part
    )
    words = f"{code}: {said}" if said else code
    if response.status_code == 429 or error.code == TOO_MANY_REQUESTS:
        return Outcome.retry(
            words, retry_after=retry_after_seconds(response.headers, now=time.time())
        )
    if response.status_code >= 500:
        return Outcome.retry(words)
    return Outcome.failed(words)
