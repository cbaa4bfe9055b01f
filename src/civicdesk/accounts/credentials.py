"""Encryption of account credentials at rest.

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``. Keys come from
CIVICDESK_CREDENTIAL_KEYS (the first encrypts, every one decrypts, so keys can be rotated);
without it a key is derived from SECRET_KEY, which suits the embedded setup.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with any configured key."""


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"civicdesk-credentials", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIAL_KEYS) or [_derived_key(settings.SECRET_KEY).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "CIVICDESK_CREDENTIAL_KEYS must hold Fernet keys (32 url-safe base64 bytes each)."
        ) from exc


def encrypt(credentials: dict[str, Any]) -> str:
    if not credentials:
        return ""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "The account's credentials cannot be decrypted with the configured keys; reconnect the account."
        ) from exc


def hint(credentials: dict[str, Any]) -> str:
    """What staff may see of stored credentials: which fields, and the last four characters."""
    parts = []
    for name, value in sorted(credentials.items()):
        text = str(value)
        parts.append(f"{name}: ••••{text[-4:]}" if len(text) >= 12 else f"{name}: ••••")
    return ", ".join(parts)
