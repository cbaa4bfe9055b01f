"""Encryption of account credentials at rest.

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``. Keys come from CIVICDESK_CREDENTIAL_KEYS
or, on the embedded setup, a key generated once into ``var/credential_keys``: the first encrypts,
every one decrypts, so keys can be rotated. They are independent of SECRET_KEY, so rotating the
secret key loses no credentials.

Earlier versions derived the key from SECRET_KEY when no credential key was set. Credentials
stored that way are still read, with the key derived from SECRET_KEY or any of
SECRET_KEY_FALLBACKS, and :func:`rotate_all` (``civicdesk rotate-credentials``, also run by a
migration) re-encrypts them with the first credential key.
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
from django.db import models


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with any configured key."""


def _derived_key(secret: str) -> bytes:
    """The key earlier versions derived from SECRET_KEY; only ever used to decrypt."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"civicdesk-credentials", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def _fernet() -> MultiFernet:
    keys = list(settings.CREDENTIAL_KEYS)
    if not keys:
        raise ImproperlyConfigured("CIVICDESK_CREDENTIAL_KEYS must name at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "CIVICDESK_CREDENTIAL_KEYS must hold Fernet keys (32 url-safe base64 bytes each)."
        ) from exc


def _derived_fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_derived_key(secret)) for secret in secrets if secret])


def encrypt(credentials: dict[str, Any]) -> str:
    if not credentials:
        return ""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def _plaintext(token: str) -> tuple[bytes, bool]:
    """(the decrypted bytes, whether they were encrypted with the first credential key)."""
    current = _fernet()
    try:
        plain = current.decrypt(token.encode())
    except InvalidToken:
        pass
    else:
        try:
            Fernet(settings.CREDENTIAL_KEYS[0]).decrypt(token.encode())
        except InvalidToken:
            return plain, False
        return plain, True
    try:
        return _derived_fernet().decrypt(token.encode()), False
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "The account's credentials cannot be decrypted with the configured keys; "
            "reconnect the account."
        ) from exc


def decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    return json.loads(_plaintext(token)[0])


def rotate_all(account_model: type[models.Model] | None = None) -> tuple[int, list[str]]:
    """Re-encrypt with the first credential key every account's credentials that need it.

    Returns (how many were re-encrypted, the accounts whose credentials no key can read); those
    are left as they are and must be reconnected. ``account_model`` is the Account model to use
    (a migration passes its historical one).
    """
    if account_model is None:
        from civicdesk.accounts.models import Account  # the model imports this module

        account_model = Account
    rotated, unreadable = 0, []
    accounts: Any = account_model._default_manager  # the historical model has the same fields
    for account in accounts.exclude(encrypted_credentials="").only(
        "pk", "encrypted_credentials", "display_name", "platform"
    ):
        try:
            plain, is_current = _plaintext(account.encrypted_credentials)
        except CredentialsUnreadable:
            unreadable.append(f"{account.display_name} ({account.platform})")
            continue
        if is_current:
            continue
        # Only if unchanged: a token refresh may have replaced the credentials meanwhile.
        rotated += account_model._default_manager.filter(
            pk=account.pk, encrypted_credentials=account.encrypted_credentials
        ).update(encrypted_credentials=_fernet().encrypt(plain).decode())
    return rotated, unreadable


def hint(credentials: dict[str, Any]) -> str:
    """What staff may see of stored credentials: which fields, and the last four characters."""
    parts = []
    for name, value in sorted(credentials.items()):
        text = str(value)
        parts.append(f"{name}: ••••{text[-4:]}" if len(text) >= 12 else f"{name}: ••••")
    return ", ".join(parts)
