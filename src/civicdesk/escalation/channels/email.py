"""Alerts sent as e-mail through Django's mail settings."""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email

from .alert import Alert, clean, email_html, email_subject, email_text
from .outcome import Outcome

# Django waits forever by default; a stuck mail server must not hold up the next contact.
DEFAULT_TIMEOUT = 30.0


def message_id(alert: Alert) -> str:
    """The same Message-ID for every try of one notification, so mail clients show it once."""
    digest = hashlib.sha256(alert.idempotency_key.encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "civicdesk.invalid"
    return f"<alert.{digest}@{domain}>"


def send_email(alert: Alert, to_address: str) -> Outcome:
    """Send the alert to ``to_address`` as text and HTML.

    Refused connections, timeouts and 4xx answers → retry; a 5xx answer (a refused recipient,
    say) → failed with the server's words.
    """
    address = to_address.strip()
    try:
        validate_email(address)
    except ValidationError:
        return Outcome.failed(
            f"{clean(address, 100, single_line=True)!r} is not an e-mail address."
        )
    msgid = message_id(alert)
    message = EmailMultiAlternatives(
        subject=email_subject(alert),
        body=email_text(alert),
        to=[address],
        headers={
            "Message-ID": msgid,
            "X-Civic-Desk-Incident": clean(alert.incident_ref, 80, single_line=True),
            # RFC 3834: keeps out-of-office replies away from the sending address.
            "Auto-Submitted": "auto-generated",
        },
        connection=get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT
        ),
    )
    message.attach_alternative(email_html(alert), "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, said = next(iter(exc.recipients.values()))
        return _answered(code, said)
    except smtplib.SMTPResponseException as exc:
        return _answered(exc.smtp_code, exc.smtp_error)
    except smtplib.SMTPNotSupportedError as exc:
        return Outcome.failed(f"The mail server cannot do what the settings ask: {exc}")
    except OSError as exc:
        # Also smtplib.SMTPServerDisconnected, refused connections and timeouts.
        return Outcome.retry(f"The mail server did not answer ({type(exc).__name__}: {exc}).")
    return Outcome.delivered(msgid)


def _answered(code: int, said: bytes | str) -> Outcome:
    text = said.decode(errors="replace") if isinstance(said, bytes) else said
    words = f"{code} {text}"
    if 500 <= code < 600:
        return Outcome.failed(words)
    return Outcome.retry(words)
