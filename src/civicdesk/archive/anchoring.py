"""Anchoring seals outside the database: a signed line per seal in an append-only file.

Someone who can rewrite the database can also recompute every hash and seal in it. What they
cannot redo is a copy already kept elsewhere: each seal's digest is signed with an Ed25519 key
that is not in the database (``ANCHOR_KEY_FILE``) and appended as one JSON line to the anchor
file (``ANCHOR_FILE``), which is e-mailed to the records officer once a day. ``civicdesk
verify-archive --anchors COPY --public-key KEY`` then checks the database against that copy.

An anchor line holds ``seal``, ``last_version_id``, ``version_count``, ``digest``,
``sealed_at``, ``key`` (the first 16 hex digits of the SHA-256 of the raw public key) and
``signature`` (base64 Ed25519 over the canonical JSON of every other field).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from .models import ArchiveSeal

SIGNED_FIELDS = ("seal", "last_version_id", "version_count", "digest", "sealed_at", "key")


class AnchorError(Exception):
    pass


def anchor_file() -> Path:
    return Path(settings.ANCHOR_FILE)


def signing_key() -> Ed25519PrivateKey:
    """The anchor signing key, generated (readable by its owner only) the first time it is needed."""
    path = Path(settings.ANCHOR_KEY_FILE)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it a moment ago
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise AnchorError(f"The anchor key {path} cannot be read: {exc}.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"The anchor key {path} is not an Ed25519 private key.")
    return key


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AnchorError(f"The public key {path} cannot be read: {exc}.") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AnchorError(f"The public key {path} is not an Ed25519 public key.")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _signed_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        {name: fields.get(name) for name in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":")
    ).encode()


def anchor_line(seal: ArchiveSeal, *, key: Ed25519PrivateKey) -> str:
    fields: dict[str, Any] = {
        "seal": seal.number,
        "last_version_id": seal.last_version_id,
        "version_count": seal.version_count,
        "digest": seal.digest,
        "sealed_at": seal.sealed_at.isoformat(),
        "key": key_id(key.public_key()),
    }
    fields["signature"] = base64.b64encode(key.sign(_signed_bytes(fields))).decode()
    return json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"


def _last_anchored(handle: Any) -> int:
    """The seal number on the file's last readable line (0 for an empty file)."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - 4096))
    for line in reversed(handle.read().split(b"\n")):
        try:
            return int(json.loads(line)["seal"])
        except (ValueError, KeyError, TypeError):
            continue  # a blank, torn or cut-off line
    return 0


def _ends_mid_line(handle: Any) -> bool:
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return False
    handle.seek(size - 1)
    return handle.read(1) != b"\n"


def anchor_pending_seals() -> int:
    """Append a signed line for every seal newer than the anchor file's last; returns how many.

    The file is opened for appending only and fsynced; an exclusive lock keeps two schedulers
    on one machine from writing the same line twice.
    """
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        after = _last_anchored(handle)
        pending = list(ArchiveSeal.objects.filter(number__gt=after).order_by("number"))
        if not pending:
            return 0
        key = signing_key()
        if _ends_mid_line(handle):
            handle.write(b"\n")  # a line torn by a crash stays unreadable, not glued to the next
        handle.write("".join(anchor_line(seal, key=key) for seal in pending).encode())
        handle.flush()
        os.fsync(handle.fileno())
    return len(pending)


@dataclass
class Anchor:
    line_number: int
    fields: dict[str, Any]

    @property
    def seal(self) -> int:
        return int(self.fields["seal"])

    @property
    def digest(self) -> str:
        return str(self.fields["digest"])

    def is_signed_by(self, key: Ed25519PublicKey) -> bool:
        if self.fields.get("key") != key_id(key):
            return False
        try:
            key.verify(base64.b64decode(self.fields["signature"]), _signed_bytes(self.fields))
        except (InvalidSignature, KeyError, TypeError, ValueError):
            return False
        return True


def read_anchors(path: Path) -> Iterator[Anchor | int]:
    """Each line of an anchor file as an Anchor, or its line number if it cannot be read."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
                int(fields["seal"])
                str(fields["digest"])
            except (ValueError, KeyError, TypeError):
                yield number
                continue
            yield Anchor(line_number=number, fields=fields)
