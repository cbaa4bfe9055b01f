"""Writing the audit log: every change a person makes goes through ``record``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import HttpRequest

from .models import AuditEvent

SECRET_KEYS = {
    "password",
    "token",
    "access_token",
    "refresh_token",
    "secret",
    "credentials",
    "app_password",
}


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    return {k: ("••••" if k.lower() in SECRET_KEYS else v) for k, v in data.items()}


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    target: models.Model | None = None,
    by: User | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one event; secrets named in ``data`` are masked before they are stored."""
    actor = by if by is not None and by.is_authenticated else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        ip_address=client_ip(request) if request else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""),
        data=_masked(data),
    )
