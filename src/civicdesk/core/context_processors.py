"""What every page's navigation needs to know about the person viewing it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest

from . import access


def management(request: HttpRequest) -> dict[str, Callable[[], bool] | bool]:
    # A callable, so only pages that show the links ask, and at most once per page.
    @cache
    def manages_an_organization() -> bool:
        return access.manageable_organizations(request.user).exists()

    return {
        "manages_an_organization": manages_an_organization,
        "demo_mail_sink": bool(settings.DEMO_MAIL_DIR),
    }
